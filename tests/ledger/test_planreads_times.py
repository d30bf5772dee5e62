"""planreads._iso (a stored time as ISO 8601 UTC to the second, cut from the stored text when it
is in SQLAlchemy's SQLite form) gives exactly what parsing and formatting gave, for every stored
form and for text that only looks like one (the same errors too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tenantwave.ledger import planreads

pytestmark = pytest.mark.unit


def parsed_and_formatted(value: datetime | str | None) -> str | None:
    """The earlier _iso: the specification."""
    moment = value if value is None or isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def outcome(function: Any, value: Any) -> tuple[str, str]:
    try:
        return "value", repr(function(value))
    except Exception as exc:  # the same error, type and message
        return type(exc).__name__, str(exc)


def same(value: Any) -> None:
    assert outcome(planreads._iso, value) == outcome(parsed_and_formatted, value)


def sqlalchemy_sqlite(moment: datetime) -> str:
    """How SQLAlchemy's SQLite DateTime stores a time."""
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}")  # fmt: skip


zones = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))])


@given(st.datetimes())
@example(datetime(2026, 1, 1, 23, 59, 59, 999999))
@example(datetime(1, 1, 1))
@example(datetime(9999, 12, 31, 23, 59, 59, 999999))
def test_every_stored_form_of_a_time(moment: datetime) -> None:
    same(sqlalchemy_sqlite(moment))
    same(str(moment))  # the fraction only when there is one
    same(moment.isoformat())
    same(moment.isoformat(sep=" ", timespec="milliseconds"))
    same(moment)  # PostgreSQL's driver: a datetime


@given(st.datetimes(timezones=zones))
def test_times_with_a_zone(moment: datetime) -> None:
    same(moment)
    same(moment.isoformat(sep=" "))
    same(moment.isoformat(sep=" ", timespec="microseconds"))


ALPHABET = "0123456789-: .T,+WZ٣x"


@given(st.datetimes(), st.lists(st.tuples(st.integers(0, 25), st.sampled_from(ALPHABET)), max_size=3))
@example(datetime(2026, 1, 2, 2, 54, 59), [(5, "W")])
@example(datetime(2026, 2, 28, 2, 54, 59), [(9, "9")])  # 2026-02-29: no such day
@example(datetime(2026, 1, 2, 23, 54, 59), [(17, "6")])  # second 69
@example(datetime(2026, 1, 2, 23, 54, 59), [(11, "3")])  # hour 33
@example(datetime(2026, 1, 2, 2, 54, 59), [(0, "٣")])  # a digit, not an ASCII one
def test_text_that_only_looks_like_a_stored_time(moment: datetime, edits: list[tuple[int, str]]) -> None:
    text = list(sqlalchemy_sqlite(moment))
    for at, character in edits:
        text[at] = character
    same("".join(text))


@given(st.text(alphabet=ALPHABET, max_size=30))
@example("2026-W01-1 02:54:59.000000")  # an ISO week date, 26 characters
@example("2026-01-02 02:54:59.000+01")
@example("2026-01-02 02:54:59.00000Z")
@example("")
def test_any_text(text: str) -> None:
    same(text)


def test_none_and_other_types() -> None:
    same(None)
    same(b"2026-01-02 02:54:59.000000")
    same(20260102)
