"""Deferral: an eligible stack that must wait for a maintenance window or the end of a freeze.

(docs/windows-and-freezes.md) A stack is deferred at an instant when
- a freeze applies to it and holds (platform.yaml `freezes`: its environment or phase, and, when the
  freeze names tenants, one of the tenants it serves); or
- it serves a tenant with maintenance windows in its environment (the tenant's `windows`, else its
  tier's) and is outside them. A pool stack deploys only when the window of every member that has
  windows is open at once (pool policy: all members agree); members without windows accept any time.

`--ignore-windows` and `--ignore-freeze` waive one or the other: the stack may deploy and its reason
says what was waived. Pure: the instant comes in `Timing.now` (naive UTC, the ledger's clock).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from tenantwave.config.models import Project
from tenantwave.config.schedule import DAYS, Freeze, WeeklyMoment, Window, parse_moment
from tenantwave.planning.calendar import (
    HORIZON,
    any_open,
    first_after,
    freeze_active,
    freeze_end,
    freeze_end_candidates,
    next_opening,
    wall,
    wall_candidates,
)
from tenantwave.planning.inventory import Stack


@dataclass(frozen=True)
class Override:
    """`up --ignore-windows` or `--ignore-freeze`: who waived which holds, and why (recorded on the run)."""

    what: Literal["windows", "freeze"]
    by: str
    reason: str

    @property
    def flag(self) -> str:
        return f"--ignore-{self.what}"

    def describe(self) -> str:
        return f"{self.flag} by {self.by}: {self.reason}"

    def to_json(self) -> dict[str, str]:
        return {"ignored": self.what, "by": self.by, "reason": self.reason}


@dataclass(frozen=True)
class Timing:
    """When the plan is made (naive UTC, the ledger's clock) and the holds waived by overrides."""

    now: datetime
    overrides: tuple[Override, ...] = ()

    @property
    def ignore_windows(self) -> bool:
        return any(o.what == "windows" for o in self.overrides)

    @property
    def ignore_freeze(self) -> bool:
        return any(o.what == "freeze" for o in self.overrides)


@dataclass(frozen=True)
class Hold:
    """Why a stack must wait (`reasons`), the holds an override waived (`waived`), and when no hold
    applies any more (`until`, naive UTC; None: not held, or no such moment is known)."""

    reasons: tuple[str, ...] = ()
    waived: tuple[str, ...] = ()
    until: datetime | None = None


@dataclass(frozen=True)
class _Held:
    """One hold at an instant: what it says, when it alone stops holding (None: not known), in which zone."""

    text: str
    ends: datetime | None
    tz: str


def hold(project: Project, stack: Stack, timing: Timing) -> Hold:
    """What holds `stack` back at `timing.now`, freezes first, then windows. With more than one
    possible hold (freezes covering the stack, its windows), the last reason says when none applies
    (every window open together and no freeze), which the ends of the single holds may not be."""
    now = timing.now
    freezes = [_frozen(name, freeze, now) for name, freeze in applicable_freezes(project, stack, now)]
    window = _outside_window(project, stack, now)
    windows = [window] if window is not None else []
    holding = [*([] if timing.ignore_freeze else freezes), *([] if timing.ignore_windows else windows)]
    waived = (
        *(f"{h.text} (--ignore-freeze)" for h in freezes if timing.ignore_freeze),
        *(f"{h.text} (--ignore-windows)" for h in windows if timing.ignore_windows),
    )
    reasons = [h.text for h in holding]
    until = holding[0].ends if len(holding) == 1 else None
    sources = _sources(project, stack, timing)
    if holding and len(sources[0]) + bool(sources[1]) > 1:
        until = next_free(sources, now)
        if until is None:
            reasons.append(
                f"no moment in the next {HORIZON.days} days is free of every hold: move the window or the freeze, "
                "or deploy with --ignore-windows / --ignore-freeze --reason TEXT"
            )
        elif len(holding) > 1 or until != holding[0].ends:
            reasons.append(f"no hold from {when(until, holding[-1].tz, now)}")  # a window's zone if one holds
    return Hold(tuple(reasons), tuple(waived), until)


Sources = tuple[list[Freeze], list[list[Window]]]


def _sources(project: Project, stack: Stack, timing: Timing) -> Sources:
    """What may hold `stack` at some time under `timing`'s overrides: the freezes covering it, and
    its windows (one group per distinct set of a tenant's windows)."""
    freezes = [] if timing.ignore_freeze else [f for f in project.platform.freezes.values() if freeze_covers(f, stack)]
    return freezes, [] if timing.ignore_windows else window_groups(project, stack)


def next_free(sources: Sources, now: datetime) -> datetime | None:
    """The first instant from `now` (within the horizon) when no freeze of `sources` holds and
    every group of windows has one open; None: none."""
    freezes, groups = sources
    candidates: set[datetime] = set()
    for freeze in freezes:
        candidates |= freeze_end_candidates(freeze, now)
    for windows in groups:
        for window in windows:
            candidates |= wall_candidates(now, window.tz, (window.opens,))

    def free(at: datetime) -> bool:
        return not any(freeze_active(f, at) for f in freezes) and all(any_open(w, at) for w in groups)

    return first_after(now, candidates, free)


def window_groups(project: Project, stack: Stack) -> list[list[Window]]:
    """The windows of each tenant `stack` serves that has some in its environment; tenants with
    the same windows count once."""
    bound = [w for t in stack.tenants if (w := tenant_windows(project, t, stack.environment))]
    return list({tuple(w.model_dump_json() for w in windows): windows for windows in bound}.values())


def could_hold(project: Project, timing: Timing) -> bool:
    """Whether anything could hold a stack of `project` under `timing`'s overrides: a freeze not
    waived, or a maintenance window not waived. False lets a caller skip `hold` altogether."""
    freezes = bool(project.platform.freezes) and not timing.ignore_freeze
    if freezes or timing.ignore_windows:
        return freezes
    return any(t.config.windows for t in project.tenants.values()) or any(
        t.config.windows for t in project.tiers.values()
    )


def applicable_freezes(project: Project, stack: Stack, now: datetime) -> list[tuple[str, Freeze]]:
    """The freezes of platform.yaml that apply to `stack` and hold at `now`, by name."""
    return [
        (name, freeze)
        for name, freeze in project.platform.freezes.items()
        if freeze_covers(freeze, stack) and freeze_active(freeze, now)
    ]


def freeze_covers(freeze: Freeze, stack: Stack) -> bool:
    """The freeze names the stack's environment or phase (or neither: every environment), and, if
    it names tenants, one the stack serves."""
    scoped = freeze.environments is not None or freeze.phases is not None
    where = not scoped or stack.environment in (freeze.environments or ()) or stack.phase in (freeze.phases or ())
    return where and (freeze.tenants is None or any(t in freeze.tenants for t in stack.tenants))


def tenant_windows(project: Project, tenant_id: str, environment: str) -> list[Window]:
    """The windows of a tenant in an environment: its own `windows`, else its tier's, keeping those
    without `environments` or naming this one. Empty: any time."""
    tenant = project.tenants.get(tenant_id)
    if tenant is None:
        return []
    own = tenant.config.windows
    windows = own if own is not None else project.tiers[tenant.tier].config.windows
    return [w for w in windows if w.environments is None or environment in w.environments]


def _frozen(name: str, freeze: Freeze, now: datetime) -> _Held:
    about = f" ({freeze.description})" if freeze.description else ""
    ends = freeze_end(freeze, now)
    until = f"until {when(ends, freeze.tz, now)}" if ends is not None else f"beyond {HORIZON.days} days"
    return _Held(f"freeze {name}{about} {until}", ends, freeze.tz)


def _outside_window(project: Project, stack: Stack, now: datetime) -> _Held | None:
    bound = {t: w for t in stack.tenants if (w := tenant_windows(project, t, stack.environment))}
    closed = [t for t, windows in bound.items() if not any_open(windows, now)]
    if not closed:
        return None
    tz = bound[closed[0]][0].tz
    opens = next_opening(window_groups(project, stack), now)  # members with the same windows count once
    if len(bound) == 1:
        if opens is None:
            return _Held(f"{closed[0]}'s window does not open in the next {HORIZON.days} days", None, tz)
        return _Held(f"{closed[0]}'s window opens {when(opens, tz, now)}", opens, tz)
    outside = f"outside the window of {_few(closed)} (a pool deploys when every member's window is open)"
    if opens is None:
        return _Held(
            f"{outside}: the windows of {_few(sorted(bound))} are not open together in the next "
            f"{HORIZON.days} days; align them or deploy with --ignore-windows --reason TEXT",
            None,
            tz,
        )
    return _Held(f"{outside}: all open together {when(opens, tz, now)}", opens, tz)


def when(instant: datetime, tz: str, now: datetime) -> str:
    """`Sat 02:00 Europe/Berlin (in 2 d 3 h)`; a date instead of the day beyond six days."""
    local = wall(instant, tz)
    day = DAYS[local.weekday()].capitalize()
    shown = f"{day} {local:%H:%M}" if instant - now < timedelta(days=6) else f"{local:%Y-%m-%d %H:%M}"
    return f"{shown} {tz} ({'now' if instant <= now else 'in ' + duration(instant - now)})"


def duration(delta: timedelta) -> str:
    """`2 d 3 h`, `3 h 20 min`, `12 min` (rounded up to the minute: never `0 min` for a future time)."""
    minutes = max(1, -(-int(delta.total_seconds()) // 60))
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def _few(names: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def pool_window_warnings(project: Project, stacks: Sequence[Stack], now: datetime) -> list[str]:
    """`validate`'s warnings: each pool stack whose members' windows are never open at the same
    time (within the horizon from `now`), so that it could deploy only with --ignore-windows."""
    warnings = []
    for stack in stacks:
        if stack.kind != "pool":
            continue
        bound = {t: w for t in stack.tenants if (w := tenant_windows(project, t, stack.environment))}
        groups = {tuple(w.model_dump_json() for w in windows): windows for windows in bound.values()}
        if len(groups) > 1 and next_opening(list(groups.values()), now) is None:
            files = ", ".join(f"tenants/{t}.yaml" for t in sorted(bound)[:5]) + (" ..." if len(bound) > 5 else "")
            warnings.append(
                f"{files}: windows: {stack.name} can never deploy: its members' windows are never open at the "
                "same time; align them (docs/windows-and-freezes.md) or deploy it with --ignore-windows"
            )
    return warnings


def never_free_warnings(project: Project, stacks: Sequence[Stack], now: datetime) -> list[str]:
    """`validate`'s warnings: each stack whose windows are open (together) within the horizon from
    `now` but never outside the weekly freezes covering it, so that it could deploy only with an
    override. Dated freezes are left out: they end."""
    warnings = []
    seen: dict[tuple[object, ...], bool] = {}
    for stack in stacks:
        groups = window_groups(project, stack)
        weekly = {
            name: f for name, f in project.platform.freezes.items()
            if freeze_covers(f, stack) and isinstance(parse_moment(f.start), WeeklyMoment)
        }
        if not groups or not weekly:
            continue
        key = (tuple(sorted(weekly)), tuple(tuple(w.model_dump_json() for w in g) for g in groups))
        if key not in seen:
            opens = next_opening(groups, now) is not None
            seen[key] = opens and next_free((list(weekly.values()), groups), now) is None
        if seen[key]:
            bound = sorted({t for t in stack.tenants if tenant_windows(project, t, stack.environment)})
            files = ", ".join(f"tenants/{t}.yaml" for t in bound[:5]) + (" ..." if len(bound) > 5 else "")
            warnings.append(
                f"{files}: windows: {stack.name} can never deploy: its windows are always inside a weekly freeze "
                f"({', '.join(sorted(weekly))}); move the window or the freeze (docs/windows-and-freezes.md) or "
                "deploy it with --ignore-windows / --ignore-freeze"
            )
    return warnings
