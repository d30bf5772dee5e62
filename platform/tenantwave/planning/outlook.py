"""The outlook under a plan: each freeze and maintenance window of the project and its next change.

`plan` shows why a stack is deferred when a window or a freeze holds it now; the outlook shows the
calendar whatever the day: a freeze coming up (or holding now, until when), and the windows tenants
declared (open now, or when they next open). Pure: the instant comes in as naive UTC.
"""

from __future__ import annotations

from datetime import datetime

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


def outlook(project: Project, now: datetime) -> list[str]:
    """One line per freeze that is not over, then per tenant with windows (at most MAX_WINDOWS)."""
    lines = [line for name, freeze in project.platform.freezes.items() if (line := _freeze(name, freeze, now))]
    with_windows = [(tenant_id, w) for tenant_id in sorted(project.tenants) if (w := _windows(project, tenant_id))]
    lines += [_window(tenant_id, windows, now) for tenant_id, windows in with_windows[:MAX_WINDOWS]]
    if len(with_windows) > MAX_WINDOWS:
        lines.append(f"and {len(with_windows) - MAX_WINDOWS} more tenants with maintenance windows")
    return lines


def _freeze(name: str, freeze: Freeze, now: datetime) -> str | None:
    scope = _scope(freeze)
    span = f"{freeze.start} to {freeze.end} {freeze.tz}"
    if freeze_active(freeze, now):
        ends = freeze_end(freeze, now)
        state = f"holds now, until {when(ends, freeze.tz, now)}" if ends is not None else "holds now"
        return f"freeze {name}{scope}: {span}: {state}"
    start = parse_moment(freeze.start)
    if isinstance(start, WeeklyMoment):
        starts = first_after(now, wall_candidates(now, freeze.tz, (start.at,)), lambda at: freeze_active(freeze, at))
    else:
        starts = first_instant(start, freeze.tz)
        if starts <= now:
            return None  # over
    later = f"does not start in the next {HORIZON.days} days"
    state = f"starts {when(starts, freeze.tz, now)}" if starts is not None else later
    return f"freeze {name}{scope}: {span}: {state}"


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


def _window(tenant_id: str, windows: list[Window], now: datetime) -> str:
    shown = "; ".join(
        window.describe() + (f" in {', '.join(window.environments)}" if window.environments else "")
        for window in windows
    )
    if any_open(windows, now):
        return f"window {tenant_id}: {shown}: open now"
    opens = next_opening([windows], now)
    later = f"does not open in the next {HORIZON.days} days"
    state = f"opens {when(opens, windows[0].tz, now)}" if opens is not None else later
    return f"window {tenant_id}: {shown}: {state}"
