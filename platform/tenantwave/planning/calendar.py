"""Windows and freezes at an instant: is it open, is it frozen, and when does that change.

Instants are naive UTC datetimes, as the ledger keeps them. Windows and weekly freezes are read on
the local wall clock of their time zone (zoneinfo), which makes the transitions of daylight saving
time behave as a person reading that clock expects:

- a window whose start falls in the hour skipped when clocks go forward (02:30 on the spring-forward
  night in Europe/Berlin) opens when the clock jumps past it (03:00 CEST) and still ends at its end;
- in the hour repeated when clocks go back, a window covering that hour is open both times round;
- a window running past midnight (22:00 to 04:00) belongs to the day it starts on.

A dated freeze's start and end are instants: a local time that does not exist (skipped) is the
moment the clock jumps past it; one that exists twice (repeated) is its first occurrence.

Pure and deterministic: nothing here reads the system clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache

from tenantwave.config.schedule import Freeze, WeeklyMoment, Window, parse_moment, zone

HORIZON = timedelta(days=15)  # how far ahead an opening or an end is looked for
_STEP = timedelta(hours=1)  # no two offset changes of a time zone are closer than this


def wall(instant: datetime, tz: str) -> datetime:
    """The local wall-clock time (naive) in `tz` at the UTC instant."""
    return instant.replace(tzinfo=UTC).astimezone(zone(tz)).replace(tzinfo=None)


def _offset(instant: datetime, tz: str) -> timedelta | None:
    return instant.replace(tzinfo=UTC).astimezone(zone(tz)).utcoffset()


def instants_of(local: datetime, tz: str) -> list[datetime]:
    """The UTC instants at which `tz`'s wall clock shows `local`: one, two (a repeated hour) or none
    (a skipped hour)."""
    found = []
    for fold in (0, 1):
        instant = local.replace(tzinfo=zone(tz), fold=fold).astimezone(UTC).replace(tzinfo=None)
        if wall(instant, tz) == local and instant not in found:
            found.append(instant)
    return sorted(found)


# the first and last instants whose wall clock exists in every zone (offsets are under a day)
EARLIEST = datetime.min + timedelta(days=2)
LATEST = datetime.max.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)


def first_instant(local: datetime, tz: str) -> datetime:
    """The first UTC instant at which `tz`'s wall clock shows `local` or has passed it. A moment
    so near an end of the calendar that UTC cannot hold it is that end (EARLIEST, LATEST):
    validation refuses such dates, this keeps evaluation from ever overflowing."""
    if not EARLIEST <= local <= LATEST:
        return EARLIEST if local < EARLIEST else LATEST
    found = instants_of(local, tz)
    if found:
        return found[0]
    # skipped: between the reading with the offset after the jump and the one before it
    low = local.replace(tzinfo=zone(tz), fold=1).astimezone(UTC).replace(tzinfo=None)
    high = local.replace(tzinfo=zone(tz), fold=0).astimezone(UTC).replace(tzinfo=None)
    low, high = min(low, high), max(low, high)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if wall(middle, tz) >= local:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


@lru_cache(maxsize=256)
def transitions(tz: str, start: datetime, end: datetime) -> tuple[datetime, ...]:
    """The instants in [start, end] at which `tz`'s offset from UTC changes (to the second)."""
    found = []
    at = start
    while at < end:
        step = min(_STEP, end - at)
        if _offset(at, tz) != _offset(at + step, tz):
            low, high = at, at + step
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _offset(middle, tz) == _offset(low, tz):
                    low = middle
                else:
                    high = middle
            found.append(high.replace(microsecond=0))
        at += step
    return tuple(found)


def _dates(now: datetime, tz: str) -> list[datetime]:
    """The local midnights from the day before `now` to the day after the horizon."""
    first = wall(now, tz).date() - timedelta(days=1)
    days = HORIZON.days + 3
    return [datetime.combine(first + timedelta(days=n), time()) for n in range(days)]


def wall_candidates(now: datetime, tz: str, clocks: Iterable[time]) -> set[datetime]:
    """Every instant within the horizon at which `tz`'s wall clock shows one of `clocks`, and
    every change of its offset (where the wall clock jumps)."""
    found = set(transitions(tz, _hour(now), _hour(now + HORIZON) + _STEP))
    for midnight in _dates(now, tz):
        for clock in clocks:
            found.update(instants_of(datetime.combine(midnight.date(), clock), tz))
    return found


def _hour(instant: datetime) -> datetime:
    return instant.replace(minute=0, second=0, microsecond=0)


def first_after(now: datetime, candidates: Iterable[datetime], holds: Callable[[datetime], bool]) -> datetime | None:
    """`now` if `holds(now)`, else the first candidate after `now` (within the horizon) where it holds."""
    if holds(now):
        return now
    for candidate in sorted(c for c in candidates if now < c <= now + HORIZON):
        if holds(candidate):
            return candidate
    return None


# -- windows ---------------------------------------------------------------------------------------


def window_open(window: Window, instant: datetime) -> bool:
    """On the window's wall clock: a listed day between start and end (an overnight window's end
    on the next day)."""
    local = wall(instant, window.tz)
    clock, day = local.time(), local.weekday()
    closes = window.closes
    if window.overnight:
        assert closes is not None
        return (day in window.weekdays and clock >= window.opens) or (
            (day - 1) % 7 in window.weekdays and clock < closes
        )
    return day in window.weekdays and window.opens <= clock and (closes is None or clock < closes)


def any_open(windows: Sequence[Window], instant: datetime) -> bool:
    return any(window_open(window, instant) for window in windows)


def next_opening(groups: Sequence[Sequence[Window]], now: datetime) -> datetime | None:
    """The first instant from `now` at which every group has an open window (None: not within the
    horizon). A group is the windows of one tenant."""
    candidates: set[datetime] = set()
    for windows in groups:
        for window in windows:
            candidates |= wall_candidates(now, window.tz, (window.opens,))
    return first_after(now, candidates, lambda at: all(any_open(windows, at) for windows in groups))


# -- freezes ---------------------------------------------------------------------------------------


def freeze_active(freeze: Freeze, instant: datetime) -> bool:
    start, end = parse_moment(freeze.start), parse_moment(freeze.end)
    if isinstance(start, WeeklyMoment) and isinstance(end, WeeklyMoment):
        local = wall(instant, freeze.tz)
        minute = local.weekday() * 1440 + local.hour * 60 + local.minute
        low, high = start.minute_of_week, end.minute_of_week
        return low <= minute < high if low < high else minute >= low or minute < high
    assert isinstance(start, datetime) and isinstance(end, datetime)
    return first_instant(start, freeze.tz) <= instant < first_instant(end, freeze.tz)


def freeze_end_candidates(freeze: Freeze, now: datetime) -> set[datetime]:
    """The instants within the horizon from `now` at which the freeze may stop holding."""
    end = parse_moment(freeze.end)
    if isinstance(end, datetime):
        ends = first_instant(end, freeze.tz)
        return {ends} if now < ends <= now + HORIZON else set()
    return wall_candidates(now, freeze.tz, (end.at,))


def freeze_end(freeze: Freeze, now: datetime) -> datetime | None:
    """When the freeze, active at `now`, next stops holding (None: not within the horizon)."""
    end = parse_moment(freeze.end)
    if isinstance(end, datetime):
        return first_instant(end, freeze.tz)
    candidates = wall_candidates(now, freeze.tz, (end.at,))
    return first_after(now, candidates, lambda at: not freeze_active(freeze, at))
