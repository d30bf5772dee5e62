"""One Timing judges every stack of a plan (planning/deferral.py `Timing.memo`): what it works out once
for an instant and shares between stacks must never change what `hold` says about any of them.

The reference is a fresh Timing for each stack (nothing shared). The project mixes what the shared
facts are keyed by: tenants with the same windows (one group), a tier's default windows, a tenant's
own that replace them, windows limited to an environment, a pool whose members disagree, freezes
scoped by environment, phase and tenant, weekly and dated."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.fleet import write_project
from tenantwave.config.loader import load_project
from tenantwave.config.models import Project
from tenantwave.planning.deferral import Override, Timing, hold
from tenantwave.planning.inventory import build_inventory

pytestmark = pytest.mark.unit

LIFECYCLE = [
    {"phase": "staging", "environments": ["staging"]},
    {"phase": "production", "environments": ["production-us", "production-eu"]},
]
BERLIN_NIGHTS = {"days": ["sat", "sun"], "start": "02:00", "end": "06:00", "tz": "Europe/Berlin"}
NY_WEEKDAYS = {"days": ["mon", "tue", "wed"], "start": "22:00", "end": "03:00", "tz": "America/New_York"}
EU_ONLY = {**BERLIN_NIGHTS, "environments": ["production-eu"]}
TIERS = {
    "basic": {"model": "pool", "wave": 1, "windows": [NY_WEEKDAYS]},
    "standard": {"model": "pool", "wave": 2},
    "premium": {"model": "silo", "wave": 3, "windows": [BERLIN_NIGHTS]},
}
EVERYWHERE = ["staging", "production-us", "production-eu"]
TENANTS = {
    "acme": {"tier": "premium", "environments": EVERYWHERE},  # the tier's windows
    "bolt": {"tier": "premium", "environments": EVERYWHERE, "windows": [BERLIN_NIGHTS]},  # the same, its own
    "cora": {"tier": "premium", "environments": EVERYWHERE, "windows": []},  # any time
    "dune": {"tier": "premium", "environments": EVERYWHERE, "windows": [EU_ONLY, NY_WEEKDAYS]},
    "echo": {"tier": "basic", "environments": EVERYWHERE},  # the tier's windows
    "fern": {"tier": "basic", "environments": EVERYWHERE, "windows": [BERLIN_NIGHTS]},  # disagrees with echo
    "gale": {"tier": "standard", "environments": EVERYWHERE, "windows": [EU_ONLY]},
    "hale": {"tier": "standard", "environments": ["production-us"]},
}
FREEZES = {
    "us-weekend": {"start": "fri 15:00", "end": "mon 08:00", "tz": "America/New_York",
                   "environments": ["production-us"]},
    "year-end": {"start": "2026-12-18 17:00", "end": "2027-01-04 08:00", "tz": "Europe/Berlin",
                 "phases": ["production"], "description": "peak"},
    "acme-audit": {"start": "wed 00:00", "end": "thu 00:00", "tz": "UTC", "tenants": ["acme", "echo"]},
}
START = datetime(2026, 11, 20)


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Project]:
    root: Path = tmp_path_factory.mktemp("shared-timing")
    mixed = load_project(write_project(root / "mixed", TIERS, TENANTS, LIFECYCLE, freezes=FREEZES))
    calm = load_project(write_project(root / "calm", TIERS, {"acme": TENANTS["acme"]}, LIFECYCLE))
    return mixed, calm


OVERRIDES = st.lists(st.sampled_from([Override("windows", "ops", "x"), Override("freeze", "ops", "y")]),
                     max_size=2, unique=True).map(tuple)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(minutes=st.integers(0, 60 * 24 * 45), overrides=OVERRIDES, order=st.randoms(use_true_random=False))
def test_a_timing_shared_by_every_stack_says_what_a_fresh_one_says_for_each(
    projects: tuple[Project, Project], minutes: int, overrides: tuple[Override, ...], order: object
) -> None:
    mixed, calm = projects
    now = START + timedelta(minutes=minutes)
    shared = Timing(now, overrides)
    for project in (mixed, calm, mixed):  # a Timing judged for another project starts afresh
        stacks = build_inventory(project)
        order.shuffle(stacks)  # type: ignore[attr-defined]
        for stack in stacks:
            assert hold(project, stack, shared) == hold(project, stack, Timing(now, overrides)), stack.name


def test_the_mixed_project_is_held_in_every_way_the_memo_keys_on(projects: tuple[Project, Project]) -> None:
    """The property above is only as good as its project: at these instants it holds stacks by a freeze
    of each scope, by a silo's window and by a pool whose members' windows disagree."""
    mixed, _ = projects
    texts = set()
    for now in (datetime(2026, 11, 25, 12), datetime(2026, 11, 27, 22), datetime(2026, 12, 20, 12)):
        timing = Timing(now)
        texts |= {reason for stack in build_inventory(mixed) for reason in hold(mixed, stack, timing).reasons}
    joined = "\n".join(sorted(texts))
    for expected in ("freeze us-weekend", "freeze year-end (peak)", "freeze acme-audit", "acme's window opens",
                     "outside the window of echo, fern", "no hold from"):
        assert expected in joined
