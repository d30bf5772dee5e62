"""JSON documents on stdout: every command's `--json` output goes through `echo_json`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import click

_record = json.JSONEncoder(separators=(", ", ": ")).encode  # one encoder: json.dumps(separators=) makes one per call


def echo_json(data: Any) -> None:
    click.echo(json_text(data))


def json_text(data: Any) -> str:
    """Indented JSON with every record (an object in a list that holds no list of objects: a stack,
    a problem) on one line: as readable as indent=2, and written by the C encoder (json.dumps with
    an indent falls back to the pure-Python one, seconds for a plan of 30,000 stacks)."""
    return "".join(_json_parts(data, ""))


def _json_parts(value: Any, margin: str) -> Iterator[str]:
    inner = margin + "  "
    if isinstance(value, dict) and value:
        yield "{\n"
        for index, (key, item) in enumerate(value.items()):
            yield f"{inner}{json.dumps(str(key))}: "
            yield from _json_parts(item, inner)
            yield ",\n" if index < len(value) - 1 else "\n"
        yield margin + "}"
    elif isinstance(value, list) and value and any(isinstance(item, dict | list) for item in value):
        yield "[\n"
        for index, item in enumerate(value):
            yield inner
            if _is_record(item):
                yield _record(item)
            else:
                yield from _json_parts(item, inner)
            yield ",\n" if index < len(value) - 1 else "\n"
        yield margin + "]"
    else:
        yield json.dumps(value)


def _is_record(item: Any) -> bool:
    # Loops, not nested any(...) generators: called once per stack, 25,000 times in a big plan.
    if not isinstance(item, dict):
        return False
    for value in item.values():
        if isinstance(value, list):
            for element in value:
                if isinstance(element, dict):
                    return False
    return True
