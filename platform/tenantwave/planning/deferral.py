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
from dataclasses import dataclass, field
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
    """When the plan is made (naive UTC, the ledger's clock) and the holds waived by overrides.

    One Timing judges every stack of a plan at the same instant: what `hold` works out for an
    instant alone (which freezes hold and until when, whether a set of windows is open, when
    windows and freezes next leave a stack free) is kept in it (`_memo`) and shared by the stacks."""

    now: datetime
    overrides: tuple[Override, ...] = ()
    _memo: list[_Memo] = field(default_factory=list, init=False, compare=False, repr=False)

    def memo(self, project: Project) -> _Memo:
        """What this instant's holds of `project` are known to be so far (a Timing judged for another
        project starts afresh)."""
        if not self._memo or self._memo[0].project is not project:
            self._memo[:] = [_Memo(project, self.now)]
        return self._memo[0]

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
    now, memo = timing.now, timing.memo(project)
    covering = [name for name, freeze in project.platform.freezes.items() if freeze_covers(freeze, stack)]
    freezes = [held for name in covering if (held := memo.frozen(name)) is not None]
    bound = memo.bound(stack)
    window = _outside_window(memo, bound, now)
    windows = [window] if window is not None else []
    holding = [*([] if timing.ignore_freeze else freezes), *([] if timing.ignore_windows else windows)]
    waived = (
        *(f"{h.text} (--ignore-freeze)" for h in freezes if timing.ignore_freeze),
        *(f"{h.text} (--ignore-windows)" for h in windows if timing.ignore_windows),
    )
    reasons = [h.text for h in holding]
    until = holding[0].ends if len(holding) == 1 else None
    sources = ([] if timing.ignore_freeze else covering), ({} if timing.ignore_windows else _groups(bound))
    if holding and len(sources[0]) + bool(sources[1]) > 1:
        until = memo.next_free(sources)
        if until is None:
            reasons.append(
                f"no moment in the next {HORIZON.days} days is free of every hold: move the window or the freeze, "
                "or deploy with --ignore-windows / --ignore-freeze --reason TEXT"
            )
        elif len(holding) > 1 or until != holding[0].ends:
            reasons.append(f"no hold from {when(until, holding[-1].tz, now)}")  # a window's zone if one holds
    return Hold(tuple(reasons), tuple(waived), until)


Signature = tuple[str, ...]  # a set of windows as text: equal windows of different tenants are one
Bound = dict[str, tuple[list[Window], Signature]]  # tenant -> its windows where the stack is, when it has some


class _Memo:
    """`hold`'s facts at one instant for one project, each worked out once (Timing.memo)."""

    def __init__(self, project: Project, now: datetime) -> None:
        self.project, self.now = project, now
        self._frozen: dict[str, _Held | None] = {}
        self._windows: dict[tuple[str, str], tuple[list[Window], Signature]] = {}
        self._texts: dict[int, tuple[Window, str]] = {}  # id(window) -> (the window, kept alive; its text)
        self._open: dict[Signature, bool] = {}
        self._openings: dict[tuple[Signature, ...], datetime | None] = {}
        self._free: dict[tuple[tuple[str, ...], tuple[Signature, ...]], datetime | None] = {}

    def frozen(self, name: str) -> _Held | None:
        """Freeze `name`'s hold at this instant; None: it does not hold now."""
        if name not in self._frozen:
            freeze = self.project.platform.freezes[name]
            self._frozen[name] = _frozen(name, freeze, self.now) if freeze_active(freeze, self.now) else None
        return self._frozen[name]

    def bound(self, stack: Stack) -> Bound:
        """The tenants `stack` serves that have windows in its environment, with them."""
        found: Bound = {}
        for tenant in stack.tenants:
            windows = self._tenant_windows(tenant, stack.environment)
            if windows[0]:
                found[tenant] = windows
        return found

    def _tenant_windows(self, tenant: str, environment: str) -> tuple[list[Window], Signature]:
        key = (tenant, environment)
        known = self._windows.get(key)
        if known is None:
            windows = tenant_windows(self.project, tenant, environment)
            known = self._windows[key] = (windows, tuple(self._text(w) for w in windows))
        return known

    def _text(self, window: Window) -> str:
        known = self._texts.get(id(window))
        if known is None:
            known = self._texts[id(window)] = (window, window.model_dump_json())
        return known[1]

    def is_open(self, windows: list[Window], signature: Signature) -> bool:
        if signature not in self._open:
            self._open[signature] = any_open(windows, self.now)
        return self._open[signature]

    def opening(self, groups: dict[Signature, list[Window]]) -> datetime | None:
        key = tuple(groups)
        if key not in self._openings:
            self._openings[key] = next_opening(list(groups.values()), self.now)
        return self._openings[key]

    def next_free(self, sources: tuple[list[str], dict[Signature, list[Window]]]) -> datetime | None:
        names, groups = sources
        key = (tuple(names), tuple(groups))
        if key not in self._free:
            freezes = [self.project.platform.freezes[name] for name in names]
            self._free[key] = next_free((freezes, list(groups.values())), self.now)
        return self._free[key]


def _groups(bound: Bound) -> dict[Signature, list[Window]]:
    """One group per distinct set of windows among `bound`, in the order of the tenants."""
    groups: dict[Signature, list[Window]] = {}
    for windows, signature in bound.values():
        groups.setdefault(signature, windows)
    return groups


Sources = tuple[list[Freeze], list[list[Window]]]


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


def _outside_window(memo: _Memo, bound: Bound, now: datetime) -> _Held | None:
    closed = [t for t, (windows, signature) in bound.items() if not memo.is_open(windows, signature)]
    if not closed:
        return None
    tz = bound[closed[0]][0][0].tz
    opens = memo.opening(_groups(bound))  # members with the same windows count once
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
