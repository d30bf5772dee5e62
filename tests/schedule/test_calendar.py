"""Windows and freezes at an instant, on the wall clock of their time zone, across DST transitions.

Every instant is naive UTC and fixed: nothing here reads the system clock. Europe/Berlin changes
2026-03-29 01:00 UTC (02:00 CET -> 03:00 CEST) and 2026-10-25 01:00 UTC (03:00 CEST -> 02:00 CET).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantwave.config.schedule import Freeze, Window
from tenantwave.planning.calendar import (
    first_instant,
    freeze_active,
    freeze_end,
    instants_of,
    next_opening,
    transitions,
    wall,
    window_open,
)

pytestmark = pytest.mark.unit

BERLIN = "Europe/Berlin"


def window(**fields: Any) -> Window:
    return Window.model_validate({"days": ["sun"], "start": "02:00", "end": "06:00", "tz": BERLIN, **fields})


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_transitions_of_berlin_in_2026_are_found_to_the_second() -> None:
    found = transitions(BERLIN, utc("2026-01-01 00:00"), utc("2026-12-31 00:00"))
    assert found == (utc("2026-03-29 01:00"), utc("2026-10-25 01:00"))


def test_a_skipped_local_time_has_no_instant_and_a_repeated_one_has_two() -> None:
    assert instants_of(utc("2026-03-29 02:30"), BERLIN) == []
    assert instants_of(utc("2026-10-25 02:30"), BERLIN) == [utc("2026-10-25 00:30"), utc("2026-10-25 01:30")]
    assert first_instant(utc("2026-03-29 02:30"), BERLIN) == utc("2026-03-29 01:00")  # when the clock jumps
    assert first_instant(utc("2026-10-25 02:30"), BERLIN) == utc("2026-10-25 00:30")  # the first occurrence


def test_spring_forward_a_window_starting_in_the_skipped_hour_opens_when_the_clock_jumps() -> None:
    w = window(start="02:30", end="04:00")
    assert not window_open(w, utc("2026-03-29 00:59:59"))  # 01:59:59 CET
    assert window_open(w, utc("2026-03-29 01:00"))  # 03:00 CEST
    assert window_open(w, utc("2026-03-29 01:59:59"))  # 03:59:59 CEST
    assert not window_open(w, utc("2026-03-29 02:00"))  # 04:00 CEST
    assert next_opening([[w]], utc("2026-03-28 12:00")) == utc("2026-03-29 01:00")


def test_fall_back_a_window_over_the_repeated_hour_is_open_both_times_round() -> None:
    w = window(start="02:00", end="03:00")
    assert not window_open(w, utc("2026-10-24 23:59"))  # 01:59 CEST
    assert window_open(w, utc("2026-10-25 00:30"))  # 02:30 CEST
    assert window_open(w, utc("2026-10-25 01:30"))  # 02:30 CET, the second time
    assert not window_open(w, utc("2026-10-25 02:00"))  # 03:00 CET
    assert next_opening([[w]], utc("2026-10-24 12:00")) == utc("2026-10-25 00:00")


def test_fall_back_the_clock_jumping_back_into_a_window_reopens_it() -> None:
    w = window(start="01:30", end="02:30")
    assert not window_open(w, utc("2026-10-25 00:45"))  # 02:45 CEST: past the end
    assert next_opening([[w]], utc("2026-10-25 00:45")) == utc("2026-10-25 01:00")  # 02:00 CET again


def test_a_window_spanning_midnight_belongs_to_the_day_it_starts() -> None:
    w = window(days=["fri"], start="22:00", end="04:00", tz="UTC")
    assert window_open(w, utc("2026-11-27 22:00"))  # Friday 22:00
    assert window_open(w, utc("2026-11-28 03:59"))  # Saturday 03:59
    assert not window_open(w, utc("2026-11-28 04:00"))
    assert not window_open(w, utc("2026-11-26 23:00"))  # Thursday night: not listed
    assert not window_open(w, utc("2026-11-27 03:00"))  # Friday early morning: Thursday's night
    assert next_opening([[w]], utc("2026-11-25 15:00")) == utc("2026-11-27 22:00")


def test_a_window_spanning_midnight_on_the_spring_forward_night_is_an_hour_shorter() -> None:
    w = window(days=["sat"], start="23:00", end="03:00")  # Sat 28 March 2026, Berlin
    assert not window_open(w, utc("2026-03-28 21:59"))  # 22:59 CET
    assert window_open(w, utc("2026-03-28 22:00"))  # 23:00 CET
    assert window_open(w, utc("2026-03-29 00:59"))  # 01:59 CET, the last minute before the jump
    assert not window_open(w, utc("2026-03-29 01:00"))  # 03:00 CEST: three real hours, not four


def test_a_window_spanning_midnight_on_the_fall_back_night_is_an_hour_longer() -> None:
    w = window(days=["sat"], start="23:00", end="03:00")  # Sat 24 October 2026, Berlin
    assert window_open(w, utc("2026-10-24 21:00"))  # 23:00 CEST
    assert window_open(w, utc("2026-10-25 01:59"))  # 02:59 CET, the second time round
    assert not window_open(w, utc("2026-10-25 02:00"))  # 03:00 CET: five real hours


def test_an_end_of_24_00_is_the_end_of_the_day() -> None:
    w = window(days=["wed"], start="00:00", end="24:00", tz="UTC")
    assert window_open(w, utc("2026-11-25 23:59:59"))
    assert not window_open(w, utc("2026-11-26 00:00"))


def test_a_pool_opens_when_every_member_window_is_open_at_once() -> None:
    berlin = window(days=["sat"], start="02:00", end="06:00")  # 01:00-05:00 UTC in winter
    new_york = window(days=["fri"], start="22:00", end="23:30", tz="America/New_York")  # 03:00-04:30 UTC Sat
    assert next_opening([[berlin], [new_york]], utc("2026-11-25 15:00")) == utc("2026-11-28 03:00")
    disjoint = window(days=["mon"], start="02:00", end="03:00")
    assert next_opening([[berlin], [disjoint]], utc("2026-11-25 15:00")) is None


def test_weekly_freeze_friday_afternoon_to_monday_morning() -> None:
    freeze = Freeze.model_validate({"start": "fri 15:00", "end": "mon 08:00", "tz": BERLIN})
    assert not freeze_active(freeze, utc("2026-11-27 13:59"))  # Fri 14:59 CET
    assert freeze_active(freeze, utc("2026-11-27 14:00"))  # Fri 15:00 CET
    assert freeze_active(freeze, utc("2026-11-29 12:00"))  # Sunday
    assert freeze_active(freeze, utc("2026-11-30 06:59"))  # Mon 07:59 CET
    assert not freeze_active(freeze, utc("2026-11-30 07:00"))
    assert freeze_end(freeze, utc("2026-11-28 10:00")) == utc("2026-11-30 07:00")


def test_weekly_freeze_over_the_spring_forward_weekend_ends_on_the_summer_clock() -> None:
    freeze = Freeze.model_validate({"start": "fri 15:00", "end": "mon 08:00", "tz": BERLIN})
    assert freeze_end(freeze, utc("2026-03-28 10:00")) == utc("2026-03-30 06:00")  # 08:00 CEST


def test_dated_freeze_holds_from_start_to_end_in_its_zone() -> None:
    freeze = Freeze.model_validate({"start": "2026-12-18 17:00", "end": "2027-01-04 08:00", "tz": BERLIN})
    assert not freeze_active(freeze, utc("2026-12-18 15:59"))
    assert freeze_active(freeze, utc("2026-12-18 16:00"))
    assert freeze_active(freeze, utc("2027-01-04 06:59"))
    assert not freeze_active(freeze, utc("2027-01-04 07:00"))
    assert freeze_end(freeze, utc("2026-12-20 00:00")) == utc("2027-01-04 07:00")


ZONES = st.sampled_from(["UTC", BERLIN, "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Santiago"])
INSTANTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
CLOCKS = st.sampled_from(["00:00", "01:30", "02:00", "02:30", "03:00", "12:15", "22:00", "23:59"])
DAYS = st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), min_size=1, max_size=7, unique=True)


@given(zone=ZONES, days=DAYS, start=CLOCKS, end=CLOCKS | st.just("24:00"), now=INSTANTS)
def test_next_opening_is_open_and_nothing_before_it_is(
    zone: str, days: list[str], start: str, end: str, now: datetime
) -> None:
    if start == end:
        return
    w = Window.model_validate({"days": days, "start": start, "end": end, "tz": zone})
    opens = next_opening([[w]], now)
    assert opens is not None  # a weekly window opens within the horizon
    assert window_open(w, opens)
    step = timedelta(minutes=15)
    probe = now
    while probe < opens:  # closed throughout (sampled) until it opens
        assert not window_open(w, probe)
        probe += step


@given(zone=ZONES, now=INSTANTS)
def test_wall_and_first_instant_agree_on_every_instant(zone: str, now: datetime) -> None:
    local = wall(now, zone)
    assert now in instants_of(local, zone)
    assert first_instant(local, zone) <= now


WEEKLY = st.tuples(st.sampled_from(["mon", "wed", "fri", "sat", "sun"]), CLOCKS)


@given(zone=ZONES, start=WEEKLY, end=WEEKLY, now=INSTANTS)
def test_a_weekly_freeze_ends_where_it_stops_holding_and_holds_until_then(
    zone: str, start: tuple[str, str], end: tuple[str, str], now: datetime
) -> None:
    if start == end:
        return
    freeze = Freeze.model_validate({"start": " ".join(start), "end": " ".join(end), "tz": zone})
    if not freeze_active(freeze, now):
        return
    ends = freeze_end(freeze, now)
    assert ends is not None and ends > now  # a weekly freeze ends within the week
    assert not freeze_active(freeze, ends)
    assert freeze_active(freeze, ends - timedelta(seconds=1))
    probe = now
    while probe < ends:  # holds throughout (sampled) until it ends
        assert freeze_active(freeze, probe)
        probe += timedelta(minutes=15)
