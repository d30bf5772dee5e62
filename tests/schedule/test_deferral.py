"""Which windows and freezes hold which stack (planning/deferral.py), on loaded projects and fixed instants."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantwave.config.loader import load_project
from tenantwave.config.models import Project
from tenantwave.planning.deferral import Override, Timing, duration, hold
from tenantwave.planning.inventory import Stack, build_inventory

pytestmark = pytest.mark.unit

WEDNESDAY = datetime(2026, 11, 25, 22, 0)  # Wed 23:00 in Berlin, 17:00 in New York
BERLIN_SAT = {"days": ["sat"], "start": "02:00", "end": "06:00", "tz": "Europe/Berlin"}
LIFECYCLE = [
    {"phase": "staging", "environments": ["staging"]},
    {"phase": "production", "environments": ["production-us", "production-eu"]},
]
ALL = ["staging", "production-us", "production-eu"]


@pytest.fixture
def project(write: Any) -> Any:
    def make(
        tenants: dict[str, Any], tier_windows: list[Any] | None = None, basic: list[str] | None = None, **platform: Any
    ) -> Project:
        tiers = {
            "basic": {"model": "pool", "wave": 1, "windows": tier_windows or [], "environments": basic or ALL},
            "premium": {"model": "silo", "wave": 2},
        }
        return load_project(write(tiers, tenants, LIFECYCLE, **platform))

    return make


def stack(project: Project, name: str) -> Stack:
    return next(s for s in build_inventory(project) if s.name == name)


def reasons(project: Project, name: str, now: datetime = WEDNESDAY, *overrides: Override) -> tuple[str, ...]:
    return hold(project, stack(project, name), Timing(now, overrides)).reasons


def test_a_pool_waits_for_a_moment_every_member_with_windows_accepts(project: Any) -> None:
    new_york = {"days": ["fri"], "start": "22:00", "end": "23:30", "tz": "America/New_York"}  # Sat 03:00-04:30 UTC
    p = project({
        "acme": {"tier": "basic", "environments": ["production-us"], "windows": [BERLIN_SAT]},
        "bolt": {"tier": "basic", "environments": ["production-us"], "windows": [new_york]},
        "cove": {"tier": "basic", "environments": ["production-us"]},  # no windows: any time
    })
    assert reasons(p, "production-us.pool.basic") == (
        "outside the window of acme, bolt (a pool deploys when every member's window is open): "
        "all open together Sat 04:00 Europe/Berlin (in 2 d 5 h)",
    )
    assert reasons(p, "production-us.pool.basic", datetime(2026, 11, 28, 3, 30)) == ()


def test_a_pool_whose_member_windows_never_meet_says_so(project: Any) -> None:
    monday = {**BERLIN_SAT, "days": ["mon"]}
    p = project({
        "acme": {"tier": "basic", "environments": ["production-us"], "windows": [BERLIN_SAT]},
        "bolt": {"tier": "basic", "environments": ["production-us"], "windows": [monday]},
    })
    assert reasons(p, "production-us.pool.basic") == (
        "outside the window of acme, bolt (a pool deploys when every member's window is open): the windows "
        "of acme, bolt are not open together in the next 15 days; align them or deploy with --ignore-windows "
        "--reason TEXT",
    )


def test_tier_windows_are_the_default_a_tenant_replaces_them_and_an_empty_list_means_any_time(project: Any) -> None:
    p = project(
        {
            "acme": {"tier": "basic", "environments": ["production-us"]},
            "bolt": {"tier": "basic", "environments": ["production-eu"], "windows": []},
        },
        tier_windows=[BERLIN_SAT],
    )
    assert reasons(p, "production-us.pool.basic") == ("acme's window opens Sat 02:00 Europe/Berlin (in 2 d 3 h)",)
    assert reasons(p, "production-eu.pool.basic") == ()


def test_a_window_limited_to_environments_leaves_the_others_free(project: Any) -> None:
    p = project({"helios": {"tier": "premium", "environments": ALL,
                            "windows": [{**BERLIN_SAT, "environments": ["production-eu"]}]}})
    assert reasons(p, "staging.silo.helios") == ()
    assert reasons(p, "production-us.silo.helios") == ()
    assert reasons(p, "production-eu.silo.helios") == ("helios's window opens Sat 02:00 Europe/Berlin (in 2 d 3 h)",)


FREEZE = {"start": "2026-11-20 00:00", "end": "2026-12-01 00:00", "tz": "UTC"}


@pytest.mark.parametrize(
    ("scope", "frozen"),
    [
        ({}, {"staging.silo.helios", "production-us.silo.helios", "production-eu.silo.helios",
              "production-us.pool.basic"}),
        ({"phases": ["production"]}, {"production-us.silo.helios", "production-eu.silo.helios",
                                      "production-us.pool.basic"}),
        ({"environments": ["production-eu"]}, {"production-eu.silo.helios"}),
        ({"environments": ["staging"], "phases": ["production"]}, {"staging.silo.helios", "production-us.silo.helios",
                                                                   "production-eu.silo.helios",
                                                                   "production-us.pool.basic"}),
        ({"tenants": ["acme"]}, {"production-us.pool.basic"}),
        ({"tenants": ["helios"], "phases": ["production"]}, {"production-us.silo.helios", "production-eu.silo.helios"}),
    ],
)
def test_a_freeze_holds_the_stacks_of_its_environments_phases_and_tenants(
    project: Any, scope: dict[str, Any], frozen: set[str]
) -> None:
    p = project(
        {
            "helios": {"tier": "premium", "environments": ALL},
            "acme": {"tier": "basic", "environments": ["production-us"]},
        },
        basic=["production-us"],
        freezes={"black-friday": {**FREEZE, **scope}},
    )
    held = {s.name for s in build_inventory(p) if hold(p, s, Timing(WEDNESDAY)).reasons}
    assert held == frozen
    assert reasons(p, next(iter(sorted(frozen)))) == ("freeze black-friday until Tue 00:00 UTC (in 5 d 2 h)",)


def test_an_override_waives_only_what_it_names(project: Any) -> None:
    p = project(
        {"acme": {"tier": "basic", "environments": ["production-us"], "windows": [BERLIN_SAT]}},
        freezes={"black-friday": FREEZE},
    )
    windows = Override("windows", "ops", "why")
    freeze = Override("freeze", "ops", "why")
    frozen = "freeze black-friday until Tue 00:00 UTC (in 5 d 2 h)"
    outside = "acme's window opens Sat 02:00 Europe/Berlin (in 2 d 3 h)"
    assert reasons(p, "production-us.pool.basic") == (
        frozen, outside, "no hold from 2026-12-05 02:00 Europe/Berlin (in 9 d 3 h)"  # it opens inside the freeze
    )
    assert reasons(p, "production-us.pool.basic", WEDNESDAY, windows) == (frozen,)
    assert reasons(p, "production-us.pool.basic", WEDNESDAY, freeze) == (outside,)
    both = hold(p, stack(p, "production-us.pool.basic"), Timing(WEDNESDAY, (windows, freeze)))
    assert both.reasons == ()
    assert both.waived == (f"{frozen} (--ignore-freeze)", f"{outside} (--ignore-windows)")


@given(st.integers(min_value=1, max_value=60 * 24 * 40))
def test_a_duration_is_never_longer_than_the_time_plus_a_minute_nor_shorter_than_its_largest_units(
    minutes: int,
) -> None:
    text = duration(timedelta(minutes=minutes) - timedelta(seconds=30))
    parts = text.split()
    units = {"d": 1440, "h": 60, "min": 1}
    shown = sum(int(value) * units[unit] for value, unit in zip(parts[::2], parts[1::2], strict=True))
    assert shown <= minutes
    assert minutes - shown < (60 if "d" in parts else 1) or shown == minutes
    assert len(parts) <= 4
