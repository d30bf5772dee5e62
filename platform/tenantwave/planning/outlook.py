"""The outlook under a plan: each freeze and maintenance window of the project and its next change.

`plan` shows why a stack is deferred when a window or a freeze holds it now; the outlook shows the
calendar whatever the day: a freeze coming up (or holding now, until when), and the windows tenants
declared (open now, or when they next open). Pure: the instant comes in as naive UTC.

`calendar` is the same as entries (`plan --json`'s `calendar`): each freeze's and window's state and
the UTC instant of its next change; `outlook` is their lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from tenantwave.config.models import Project
from tenantwave.config.schedule import Freeze, WeeklyMoment, Window, parse_moment
from tenantwave.planning.calendar import (
    HORIZON,
    any_open,
    first_after,
    first_instant,
    freeze_active,
    freeze_end,
    next_opening,
    wall_candidates,
)
from tenantwave.planning.deferral import when

MAX_WINDOWS = 5  # tenants whose windows are listed; the rest are counted
State = Literal["holds", "starts", "open", "opens", "later"]


@dataclass(frozen=True)
class Entry:
    """A freeze or a tenant's windows: its state now, the instant it next changes (naive UTC; None:
    not within the horizon, or open now), and its line."""

    kind: Literal["freeze", "window"]
    name: str  # the freeze's name, or the tenant's id
    state: State  # holds (a freeze now), starts, open (a window now), opens, later (not within the horizon)
    at: datetime | None
    text: str

    def to_json(self) -> dict[str, Any]:
        at = f"{self.at:%Y-%m-%dT%H:%M:%S}Z" if self.at is not None else None
        return {"kind": self.kind, "name": self.name, "state": self.state, "at": at, "text": self.text}


def outlook(project: Project, now: datetime) -> list[str]:
    """One line per freeze that is not over, then per tenant with windows (at most MAX_WINDOWS)."""
    entries, more = calendar(project, now)
    lines = [entry.text for entry in entries]
    if more:
        lines.append(f"and {more} more tenants with maintenance windows")
    return lines


def calendar(project: Project, now: datetime) -> tuple[list[Entry], int]:
    """Each freeze that is not over, then each tenant with windows (at most MAX_WINDOWS), and how
    many more tenants have windows."""
    entries = [entry for name, freeze in project.platform.freezes.items() if (entry := _freeze(name, freeze, now))]
    with_windows = [(tenant_id, w) for tenant_id in sorted(project.tenants) if (w := _windows(project, tenant_id))]
    entries += [_window(tenant_id, windows, now) for tenant_id, windows in with_windows[:MAX_WINDOWS]]
    return entries, max(0, len(with_windows) - MAX_WINDOWS)


def _freeze(name: str, freeze: Freeze, now: datetime) -> Entry | None:
    scope = _scope(freeze)
    span = f"freeze {name}{scope}: {freeze.start} to {freeze.end} {freeze.tz}"
    if freeze_active(freeze, now):
        ends = freeze_end(freeze, now)
        state = f"holds now, until {when(ends, freeze.tz, now)}" if ends is not None else "holds now"
        return Entry("freeze", name, "holds", ends, f"{span}: {state}")
    start = parse_moment(freeze.start)
    if isinstance(start, WeeklyMoment):
        starts = first_after(now, wall_candidates(now, freeze.tz, (start.at,)), lambda at: freeze_active(freeze, at))
    else:
        starts = first_instant(start, freeze.tz)
        if starts <= now:
            return None  # over
    if starts is None:
        return Entry("freeze", name, "later", None, f"{span}: does not start in the next {HORIZON.days} days")
    return Entry("freeze", name, "starts", starts, f"{span}: starts {when(starts, freeze.tz, now)}")


def _scope(freeze: Freeze) -> str:
    parts = [
        f"{label} {', '.join(values)}"
        for label, values in (("phases", freeze.phases), ("environments", freeze.environments),
                              ("tenants", freeze.tenants))
        if values
    ]
    about = [freeze.description] if freeze.description else []
    return f" ({'; '.join(about + parts)})" if about or parts else ""


def _windows(project: Project, tenant_id: str) -> list[Window]:
    tenant = project.tenants[tenant_id]
    own = tenant.config.windows
    return list(own if own is not None else project.tiers[tenant.tier].config.windows)


def _window(tenant_id: str, windows: list[Window], now: datetime) -> Entry:
    shown = "; ".join(
        window.describe() + (f" in {', '.join(window.environments)}" if window.environments else "")
        for window in windows
    )
    if any_open(windows, now):
        return Entry("window", tenant_id, "open", None, f"window {tenant_id}: {shown}: open now")
    opens = next_opening([windows], now)
    if opens is None:
        later = f"window {tenant_id}: {shown}: does not open in the next {HORIZON.days} days"
        return Entry("window", tenant_id, "later", None, later)
    text = f"window {tenant_id}: {shown}: opens {when(opens, windows[0].tz, now)}"
    return Entry("window", tenant_id, "opens", opens, text)
