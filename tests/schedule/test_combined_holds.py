"""When a held stack may deploy: the first moment NO hold applies (every window open together and no
freeze), not the end of the first hold; within the calendar's horizon, or saying there is none."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from support.clock import pin_clock
from tenantwave.config.loader import load_project
from tenantwave.config.models import Project
from tenantwave.planning.deferral import Override, Timing, hold
from tenantwave.planning.inventory import Stack, build_inventory

pytestmark = pytest.mark.unit

SATURDAY = datetime(2026, 11, 28, 17, 0)  # Sat 12:00 in New York, 18:00 in Berlin
LIFECYCLE = [{"phase": "production", "environments": ["production-us"]}]
US_WEEKEND = {"start": "fri 15:00", "end": "mon 08:00", "tz": "America/New_York"}
MONDAY = {"start": "mon 08:00", "end": "mon 12:00", "tz": "America/New_York", "description": "monday standup"}
TIERS = {"basic": {"model": "pool", "wave": 1}, "premium": {"model": "silo", "wave": 2}}


def load(write: Any, tenants: dict[str, Any], **platform: Any) -> Project:
    return load_project(write(TIERS, tenants, LIFECYCLE, **platform))


def stack(project: Project, name: str) -> Stack:
    return next(s for s in build_inventory(project) if s.name == name)


def test_chained_freezes_advertise_the_end_of_the_last(write: Any) -> None:
    p = load(write, {"acme": {"tier": "premium", "environments": ["production-us"]}},
             freezes={"us-weekend": US_WEEKEND, "monday": MONDAY})
    held = hold(p, stack(p, "production-us.silo.acme"), Timing(SATURDAY))
    assert held.reasons == (
        "freeze us-weekend until Mon 08:00 America/New_York (in 1 d 20 h)",
        "no hold from Mon 12:00 America/New_York (in 2 d)",
    )
    assert held.until == datetime(2026, 11, 30, 17, 0)


def test_a_pool_window_opening_inside_a_freeze_advertises_the_first_free_moment(write: Any) -> None:
    sat_sun = {"days": ["sat", "sun", "mon"], "start": "06:00", "end": "10:00", "tz": "America/New_York"}
    tenants = {
        "acme": {"tier": "basic", "environments": ["production-us"], "windows": [sat_sun]},
        "bolt": {"tier": "basic", "environments": ["production-us"], "windows": [sat_sun]},
    }
    p = load(write, tenants, freezes={"us-weekend": US_WEEKEND})
    held = hold(p, stack(p, "production-us.pool.basic"), Timing(SATURDAY))
    assert held.reasons == (
        "freeze us-weekend until Mon 08:00 America/New_York (in 1 d 20 h)",
        "outside the window of acme, bolt (a pool deploys when every member's window is open): all open together "
        "Sun 06:00 America/New_York (in 18 h)",
        "no hold from Mon 08:00 America/New_York (in 1 d 20 h)",
    )
    assert held.until == datetime(2026, 11, 30, 13, 0)


def test_when_no_moment_is_free_within_the_horizon_it_says_so(write: Any) -> None:
    weekend = {"days": ["sat", "sun"], "start": "06:00", "end": "10:00", "tz": "America/New_York"}
    p = load(write, {"acme": {"tier": "premium", "environments": ["production-us"], "windows": [weekend]}},
             freezes={"us-weekend": US_WEEKEND})
    held = hold(p, stack(p, "production-us.silo.acme"), Timing(SATURDAY))
    assert held.reasons[-1] == (
        "no moment in the next 15 days is free of every hold: move the window or the freeze, or deploy with "
        "--ignore-windows / --ignore-freeze --reason TEXT"
    )
    assert held.until is None
    waived = hold(p, stack(p, "production-us.silo.acme"), Timing(SATURDAY, (Override("freeze", "x", "y"),)))
    assert waived.reasons == ("acme's window opens Sun 06:00 America/New_York (in 18 h)",)


def test_a_single_hold_keeps_its_own_end(write: Any) -> None:
    p = load(write, {"acme": {"tier": "premium", "environments": ["production-us"]}},
             freezes={"us-weekend": US_WEEKEND})
    held = hold(p, stack(p, "production-us.silo.acme"), Timing(SATURDAY))
    assert held.reasons == ("freeze us-weekend until Mon 08:00 America/New_York (in 1 d 20 h)",)
    assert held.until == datetime(2026, 11, 30, 13, 0)


@pytest.mark.cli
def test_validate_warns_of_a_stack_whose_windows_are_always_frozen(
    write: Any, platform: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin_clock(monkeypatch, SATURDAY)
    weekend = {"days": ["sat", "sun"], "start": "06:00", "end": "10:00", "tz": "America/New_York"}
    root = write(TIERS, {"acme": {"tier": "premium", "environments": ["production-us"], "windows": [weekend]}},
                 LIFECYCLE, freezes={"us-weekend": US_WEEKEND})
    result = platform("--project", str(root), "validate")
    assert result.exit_code == 0
    assert result.stderr == (
        "warning: tenants/acme.yaml: windows: production-us.silo.acme can never deploy: its windows are always "
        "inside a weekly freeze (us-weekend); move the window or the freeze (docs/windows-and-freezes.md) or "
        "deploy it with --ignore-windows / --ignore-freeze\n"
    )
