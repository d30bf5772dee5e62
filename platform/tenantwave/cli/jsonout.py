"""JSON documents on stdout: every command's `--json` output goes through `echo_json`."""

from __future__ import annotations

import json.encoder
import sys
from collections.abc import Callable, Sequence
from itertools import chain, islice, repeat
from typing import Any, cast

from tenantwave.planning.records import RecordTexts

_text = json.encoder.encode_basestring_ascii  # a string as json.dumps writes it (ASCII, escaped)


def echo_json(data: Any) -> None:
    """The document's text and a newline on stdout, flushed: what click.echo(json_text(data)) writes,
    without its two passes over a text of megabytes (appending the newline; stripping ANSI escape
    sequences for a non-terminal, of which JSON text has none: ESC is written \\u001b)."""
    stream = sys.stdout
    if stream is None:  # no standard output: nothing to write to (click.echo's rule)
        return
    stream.write(_joined(data, "\n"))
    stream.flush()


def json_text(data: Any) -> str:
    """Indented JSON with every record (an object in a list that holds no list of objects: a stack,
    a problem) on one line: as readable as indent=2, and written by the C encoder (json.dumps with
    an indent falls back to the pure-Python one, seconds for a plan of 30,000 stacks).

    The text is json.dumps's, byte for byte: records and other values are written by one C encoder
    made for this document with json.dumps's settings (ASCII, ", " and ": ", circular references
    refused, NaN and Infinity allowed) and called directly: `json.JSONEncoder.encode` makes a new
    one at every call, a third of the time of a plan of 25,000 stacks. A `RecordTexts`
    (planning/records.py: a plan's stacks in Plan.printable_json) is written as the array of its
    records, each record's text as its maker wrote it (json.dumps's), without encoding anything."""
    return _joined(data, "")


def _joined(data: Any, end: str) -> str:
    parts: list[str] = []
    _write(data, "", parts, _encoder())
    parts.append(end)
    return "".join(parts)


Encode = Callable[[Any, int], Sequence[str]]
"""An encoder's call: (value, 0) -> the chunks of its text."""


def _encoder() -> Encode:
    """JSONEncoder(separators=(", ", ": ")).encode (json.dumps's settings) without its per-call setup:
    the C encoder it would make (the same arguments), made once."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # an interpreter without the C accelerator: the pure-Python encoder, as json.dumps
        encode = json.JSONEncoder(separators=(", ", ": "), default=_refuse).encode
        return lambda value, _level: (encode(value),)
    return cast(Encode, make({}, _refuse, _text, None, ": ", ", ", False, False, True))


def _refuse(value: Any) -> Any:
    """JSONEncoder.default: what JSON cannot hold is an error, json.dumps's own; RecordTexts in a
    record (only when empty: _is_record) is its array."""
    if isinstance(value, RecordTexts):
        return [json.loads(text) for text in value.texts]
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def _write(value: Any, margin: str, parts: list[str], encode: Encode) -> None:
    """Append the text of `value`, indented by `margin`, to `parts`."""
    if isinstance(value, dict) and value:
        inner = margin + "  "
        parts.append("{\n")
        last = len(value) - 1
        for index, (key, item) in enumerate(value.items()):
            parts.append(f"{inner}{_text(str(key))}: ")
            _write(item, inner, parts, encode)
            parts.append(",\n" if index < last else "\n")
        parts.append(margin + "}")
    elif isinstance(value, RecordTexts):
        inner, texts = margin + "  ", value.texts
        if not texts:
            parts.append("[]")
            return
        parts += ("[\n", inner, texts[0])
        parts += chain.from_iterable(zip(repeat(f",\n{inner}"), islice(texts, 1, None)))  # one copy, in the end's join
        parts += ("\n", margin, "]")
    elif isinstance(value, list) and value and any(isinstance(item, dict | list | RecordTexts) for item in value):
        inner = margin + "  "
        parts.append("[\n")
        last = len(value) - 1
        for index, item in enumerate(value):
            parts.append(inner)
            if _is_record(item):
                parts += encode(item, 0)
            else:
                _write(item, inner, parts, encode)
            parts.append(",\n" if index < last else "\n")
        parts.append(margin + "]")
    elif isinstance(value, str):
        parts.append(_text(value))
    else:
        parts += encode(value, 0)


_NOT_LISTS = frozenset({str, int, float, bool, type(None), dict, tuple})
_NOT_DICTS = frozenset({str, int, float, bool, type(None), list, tuple})


def _is_record(item: Any) -> bool:
    """An object none of whose values is a list holding an object. Called once per item of a list of
    objects (25,000 stacks in `status --json` at 10k tenants): the types of its values, and of a
    list's elements, are first compared with types that cannot be a list (a dict) in one C loop;
    only values of other types (subclasses included) are tested one by one."""
    if not isinstance(item, dict):
        return False
    values = item.values()
    if _NOT_LISTS.issuperset(map(type, values)):
        return True
    for value in values:
        if isinstance(value, RecordTexts) and value.texts:  # an array of records: written by _write
            return False
        if isinstance(value, list) and not _NOT_DICTS.issuperset(map(type, value)):
            for element in value:
                if isinstance(element, dict):
                    return False
    return True
