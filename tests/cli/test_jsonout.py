"""json_text (cli/jsonout.py) writes, byte for byte, the text its first implementation wrote: one
json.JSONEncoder(...).encode per record and json.dumps for every other value (kept here as the
reference), for any JSON-like document: non-ASCII text, floats (NaN and infinities included), nested
lists of records, empty containers, keys json.dumps turns into text."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import click
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantwave.cli.jsonout import echo_json, json_text
from tenantwave.planning.records import RecordTexts

pytestmark = pytest.mark.unit


# The implementation json_text replaced (tenantwave/cli/jsonout.py at 6b5f562), unchanged.
_record = json.JSONEncoder(separators=(", ", ": ")).encode


def reference_json_text(data: Any) -> str:
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
    if not isinstance(item, dict):
        return False
    for value in item.values():
        if isinstance(value, list):
            for element in value:
                if isinstance(element, dict):
                    return False
    return True


texts = st.text(st.characters(codec="utf-8")) | st.sampled_from(["", "é", "日本", "\u2028", '"\\\n\t\x00', "💥"])
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()  # NaN, inf and -inf included: json.dumps writes NaN, Infinity, -Infinity
    | st.sampled_from([0.1, -0.0, 1e300, 5e-324, math.inf])
    | texts
)
keys = texts | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
records = st.dictionaries(keys, scalars | st.lists(scalars, max_size=4), max_size=6)
documents = st.recursive(
    scalars | records | st.just({}) | st.just([]),
    lambda children: (
        st.lists(children, max_size=5) | st.lists(records, max_size=5) | st.dictionaries(keys, children, max_size=5)
    ),
    max_leaves=40,
)


@given(documents)
def test_json_text_is_byte_identical_to_the_first_implementation(data: Any) -> None:
    assert json_text(data) == reference_json_text(data)


@pytest.mark.parametrize(
    "data",
    [
        {},
        [],
        {"waves": [{"number": 1, "stacks": [{"name": "é", "tenants": ["x"], "n": float("nan")}, {}]}]},
        {"nested": [[1, [{"a": {"b": [1]}}]], [{"a": [{"deep": []}]}], [], {}], 2: True, None: -math.inf},
        [[[]], [{}], [[{"x": 1}]]],
        "just text ✓",
        1.0000000000000002,
    ],
)
def test_json_text_of_chosen_documents(data: Any) -> None:
    assert json_text(data) == reference_json_text(data)


@pytest.mark.parametrize("value", [object(), {1, 2}, b"bytes"])
def test_what_json_cannot_hold_fails_as_json_dumps_fails(value: Any) -> None:
    for document in (value, [value], {"stacks": [{"bad": value}]}, {"top": [{"a": [{"b": value}]}]}):
        with pytest.raises(TypeError) as new:
            json_text(document)
        with pytest.raises(TypeError) as old:
            reference_json_text(document)
        assert str(new.value) == str(old.value)


def test_a_circular_record_is_refused_as_json_dumps_refuses_it() -> None:
    record: dict[str, Any] = {"name": "a", "tenants": []}
    record["self"] = {"inner": record}  # a record (no list of objects in it), written by the C encoder
    for document in ({"stacks": [record]}, [record]):
        with pytest.raises(ValueError, match="Circular reference detected"):
            json_text(document)
        with pytest.raises(ValueError, match="Circular reference detected"):
            reference_json_text(document)


def _as_records(data: Any) -> Any:
    """The same document with every non-empty list of records as RecordTexts (json.dumps's texts)."""
    if isinstance(data, dict):
        return {key: _as_records(value) for key, value in data.items()}
    if isinstance(data, list):
        if data and all(_is_record(item) for item in data):
            return RecordTexts(tuple(json.dumps(item) for item in data))
        return [_as_records(item) for item in data]
    return data


@given(documents)
def test_record_texts_are_written_as_the_plain_lists_are(data: Any) -> None:
    try:
        expected = reference_json_text(data)
    except (TypeError, ValueError):
        return
    assert json_text(_as_records(data)) == expected


def test_record_texts_are_written_as_they_are() -> None:
    document = {"stacks": RecordTexts(('{"a": "one"}', '{"a": "two"}')), "empty": RecordTexts(())}
    assert json_text(document) == '{\n  "stacks": [\n    {"a": "one"},\n    {"a": "two"}\n  ],\n  "empty": []\n}'


@pytest.mark.parametrize("data", [{}, {"stacks": [{"a": "\x1b[31mred\x1b[0m"}]}, ["\x1b[1m"]])
def test_echo_json_writes_what_click_echo_wrote(data: Any, capsys: pytest.CaptureFixture[str]) -> None:
    click.echo(reference_json_text(data))
    expected = capsys.readouterr().out
    echo_json(data)
    assert capsys.readouterr().out == expected
    assert expected.endswith("\n") and "\x1b" not in expected
