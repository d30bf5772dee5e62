"""A JSON array of records held only as their texts: what a big document's JSON writer needs to print
25,000 stacks without testing and encoding each one again (cli/jsonout.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RecordTexts:
    """A JSON array of records (objects none of whose values is a list holding an object) as each
    record's text, exactly as `json.dumps(record)` writes it (ASCII, ", " and ": "), in order: the
    JSON writer (cli/jsonout.py) prints them one a line, as it prints a list of such records.

    There is nothing in it to change, by design: no records, only a tuple of strings, fixed when
    made (frozen). It is not a list: json.dumps refuses it, and a document holding one is for
    printing only (Plan.printable_json); the documents code reads and changes (Plan.to_json) hold
    plain lists of plain dicts."""

    texts: tuple[str, ...]
