"""A list of JSON records with their text: what a big document's JSON writer needs to print 25,000
stacks without testing and encoding each one (cli/jsonout.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


class Records(list[dict[str, Any]]):
    """A JSON array of records (objects none of whose values is a list holding an object), and, as
    `texts` when its maker gives them, each record's text exactly as `json.dumps(record)` writes it
    (ASCII, ", " and ": "), in order. Everything else sees a plain list of dicts (equality, json.dumps,
    iteration); a writer that prints one record a line (cli/jsonout.py) prints `texts` instead.

    The texts are the records as made: a Records is not to be changed once made (nothing checks that
    a record still matches its text; a writer ignores texts that do not number the records)."""

    __slots__ = ("texts",)

    def __init__(self, records: Iterable[dict[str, Any]] = (), texts: Sequence[str] | None = None) -> None:
        super().__init__(records)
        self.texts = texts
