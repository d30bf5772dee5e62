"""The configuration of time: maintenance windows (tiers/, tenants/) and freezes (platform.yaml).

Documented in docs/windows-and-freezes.md. Strict like the rest of the config; every value is
checked when the file is read, so a bad time zone, time, day or range is one problem naming its
file and field, never a surprise at deploy time.

- A `Window` is weekly: on each of its `days`, from `start` to `end` (local wall-clock time in `tz`).
  An `end` at or before `start` runs past midnight into the next day; `24:00` is the end of the day.
- A `Freeze` is either one date range (`start`/`end` as `YYYY-MM-DD HH:MM`) or weekly (`start`/`end`
  as `<day> HH:MM`, e.g. `fri 15:00` to `mon 08:00`), in `tz`, limited to some environments,
  phases or tenants (default: everything).

Evaluating them at an instant is `tenantwave.planning.calendar`'s work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tenantwave.config.suggestions import did_you_mean

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ScheduleId = Annotated[str, Field(min_length=1, max_length=32)]
FIRST_YEAR, LAST_YEAR = 1970, 9000  # a freeze's dates: safe to evaluate in every time zone
_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")
_WEEKLY = re.compile(r"^([a-z]{3}) (\d{2}:\d{2})$")
_DATED = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


@cache
def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` (from the system, else the tzdata package)."""
    return ZoneInfo(name)


@cache
def known_zones() -> frozenset[str]:
    """Every IANA time zone name this machine knows (its zoneinfo, else the tzdata package)."""
    return frozenset(available_timezones())


NOT_LOCATIONS = frozenset({"localtime", "Factory", "posixrules"})  # in the database, but no place's clock
SHOWN = 80  # characters of a bad value echoed in a message


def shown(text: str) -> str:
    """`text` quoted for a message, capped at SHOWN characters (then `...`)."""
    return repr(text) if len(text) <= SHOWN else repr(text[:SHOWN]) + "..."


def check_zone(name: str) -> str:
    """A valid IANA time zone name (a location), or a ValueError that names the closest ones."""
    if name in NOT_LOCATIONS:
        raise ValueError(f"{shown(name)} is not an IANA location: use an IANA name such as Europe/Berlin or UTC")
    if name in known_zones():
        try:
            zone(name)
            return name
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    hint = did_you_mean(name, known_zones() - NOT_LOCATIONS)
    raise ValueError(f"unknown time zone {shown(name)}{hint}: use an IANA name such as Europe/Berlin or UTC")


def parse_clock(text: str, *, end: bool = False) -> time | None:
    """`HH:MM` as a time; None for `24:00` (the end of the day, allowed for an `end`)."""
    match = _CLOCK.match(text)
    if match is None:
        raise ValueError(f"{shown(text)} is not a time: write HH:MM, e.g. 02:00" + (" (or 24:00)" if end else ""))
    hours, minutes = int(match[1]), int(match[2])
    if end and (hours, minutes) == (24, 0):
        return None
    if hours > 23 or minutes > 59:
        raise ValueError(f"{shown(text)} is not a time: hours 00-23, minutes 00-59" + (" (or 24:00)" if end else ""))
    return time(hours, minutes)


def check_day(day: str) -> str:
    if day not in DAYS:
        raise ValueError(f"{shown(day)} is not a day: use {', '.join(DAYS[:-1])} or {DAYS[-1]}")
    return day


def non_empty(names: list[str] | None) -> list[str] | None:
    """A scope (environments, phases, tenants) is left out or names at least one."""
    if names is not None and not names:
        raise ValueError("an empty list covers nothing: leave the key out or name at least one")
    return names


class Window(_Strict):
    """A weekly maintenance window: deploys may happen on `days` from `start` to `end` in `tz`."""

    days: Annotated[list[str], Field(min_length=1, max_length=7)]
    start: str
    end: str
    tz: str
    environments: list[ScheduleId] | None = None  # None: every environment of the tenant

    _tz = field_validator("tz")(check_zone)
    _scopes = field_validator("environments")(non_empty)

    @field_validator("days")
    @classmethod
    def _days(cls, days: list[str]) -> list[str]:
        for day in days:
            check_day(day)
        if len(set(days)) != len(days):
            raise ValueError("a day is listed twice")
        return days

    @field_validator("start")
    @classmethod
    def _start(cls, text: str) -> str:
        parse_clock(text)
        return text

    @field_validator("end")
    @classmethod
    def _end(cls, text: str) -> str:
        parse_clock(text, end=True)
        return text

    @model_validator(mode="after")
    def _has_length(self) -> Window:
        if self.start == self.end:
            raise ValueError(
                f"start and end are both {self.start}: a window needs a length "
                "(an end at or before the start runs past midnight; a whole day is 00:00 to 24:00)"
            )
        return self

    @property
    def opens(self) -> time:
        opens = parse_clock(self.start)
        assert opens is not None
        return opens

    @property
    def closes(self) -> time | None:
        """None: the end of the day (24:00)."""
        return parse_clock(self.end, end=True)

    @property
    def weekdays(self) -> frozenset[int]:
        return frozenset(DAYS.index(day) for day in self.days)

    @property
    def overnight(self) -> bool:
        """The window runs past midnight into the next day (its end is at or before its start)."""
        closes = self.closes
        return closes is not None and closes <= self.opens

    def describe(self) -> str:
        return f"{','.join(self.days)} {self.start}-{self.end} {self.tz}"


@dataclass(frozen=True)
class WeeklyMoment:
    """A day of the week (0 = Monday) and a wall-clock time."""

    weekday: int
    at: time

    @property
    def minute_of_week(self) -> int:
        return self.weekday * 1440 + self.at.hour * 60 + self.at.minute


class Freeze(_Strict):
    """No deployment inside it: one date range, or a weekly span (`fri 15:00` to `mon 08:00`)."""

    start: str
    end: str
    tz: str
    description: Annotated[str, Field(max_length=200)] | None = None
    environments: list[ScheduleId] | None = None  # the freeze applies to these environments ...
    phases: list[ScheduleId] | None = None  # ... or to these phases (neither: to every environment)
    tenants: list[ScheduleId] | None = None  # only to stacks serving one of these tenants (None: all)

    _tz = field_validator("tz")(check_zone)
    _scopes = field_validator("environments", "phases", "tenants")(non_empty)

    @field_validator("start", "end")
    @classmethod
    def _moment(cls, text: str) -> str:
        moment = parse_moment(text)
        if isinstance(moment, datetime) and not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise ValueError(
                f"{text!r}: year {moment.year:04d} is out of range: use a year from {FIRST_YEAR} to {LAST_YEAR}"
            )
        return text

    @model_validator(mode="after")
    def _ordered(self) -> Freeze:
        start, end = parse_moment(self.start), parse_moment(self.end)
        if isinstance(start, WeeklyMoment) != isinstance(end, WeeklyMoment):
            raise ValueError(
                f"start {self.start!r} and end {self.end!r} mix a date and a day of the week: "
                "write both as dates (YYYY-MM-DD HH:MM) or both as days (e.g. fri 15:00 to mon 08:00)"
            )
        if isinstance(start, datetime) and isinstance(end, datetime) and end <= start:
            raise ValueError(
                f"end {self.end} is not after start {self.start}: the freeze would never apply; "
                "swap them or correct the date"
            )
        if start == end:
            raise ValueError(f"start and end are both {self.start!r}: a weekly freeze needs a length")
        return self


def parse_moment(text: str) -> WeeklyMoment | datetime:
    """`<day> HH:MM` (weekly) or `YYYY-MM-DD HH:MM` (a date): naive, local to the freeze's tz."""
    if (weekly := _WEEKLY.match(text)) is not None:
        try:
            weekday, at = check_day(weekly[1]), parse_clock(weekly[2])
        except ValueError as exc:
            raise ValueError(f"{text!r}: {exc}") from None
        assert at is not None
        return WeeklyMoment(DAYS.index(weekday), at)
    if (dated := _DATED.match(text)) is not None:
        try:
            day = date.fromisoformat(dated[1])
        except ValueError:
            raise ValueError(f"{text!r}: {dated[1]} is not a date (YYYY-MM-DD)") from None
        try:
            clock = parse_clock(dated[2])
        except ValueError as exc:
            raise ValueError(f"{text!r}: {exc}") from None
        assert clock is not None
        return datetime.combine(day, clock)
    raise ValueError(
        f"{shown(text)} is neither a date and time (YYYY-MM-DD HH:MM, e.g. 2026-12-18 17:00) "
        "nor a day and time (e.g. fri 15:00)"
    )
