"""Waves: numbered from configuration alone (phase, then tier wave or a silo tenant's override)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.fleet import EXAMPLE, write_project
from tenantwave.config.loader import load_project
from tenantwave.config.models import Project
from tenantwave.ledger.history import Deployed, ReleaseHistory, Success
from tenantwave.planning.inventory import build_inventory
from tenantwave.planning.plan import build_plan
from tenantwave.planning.waves import build_waves

pytestmark = pytest.mark.unit


def layout(project: Project) -> list[tuple[int, str, int, list[str]]]:
    return [
        (wave.number, wave.phase, wave.tier_wave, [stack.name for stack in wave.stacks])
        for wave in build_waves(project, build_inventory(project))
    ]


def test_example_fleet_waves() -> None:
    assert layout(load_project(EXAMPLE)) == [
        (1, "testing", 1, ["testing.pool.basic"]),
        (2, "testing", 2, ["testing.pool.standard"]),
        (3, "staging", 1, ["staging.pool.basic"]),
        (4, "staging", 2, ["staging.pool.standard"]),
        (5, "staging", 3, ["staging.silo.helios-bank"]),
        (6, "staging", 4, ["staging.silo.juniper-retail"]),  # tenant override: wave 4
        (7, "production", 1, ["production-us.pool.basic", "production-eu.pool.basic"]),
        (8, "production", 2, ["production-us.pool.standard", "production-eu.pool.standard"]),
        (
            9,
            "production",
            3,
            ["production-us.silo.helios-bank", "production-us.silo.ironclad", "production-eu.silo.helios-bank"],
        ),
        (10, "production", 4, ["production-eu.silo.juniper-retail"]),
    ]


def test_tenant_override_joins_or_creates_a_wave(make_project) -> None:
    project = make_project(
        tiers={
            "basic": {"model": "pool", "wave": 2},
            "premium": {"model": "silo", "wave": 5, "environments": ["staging", "production-us"]},
        },
        tenants={
            "early": {"tier": "premium", "environments": ["staging", "production-us"], "wave": 2},
            "late": {"tier": "premium", "environments": ["production-us"], "wave": 9},
            "plain": {"tier": "premium", "environments": ["production-us"]},
            "pooled": {"tier": "basic", "environments": ["production-eu"]},
        },
    )
    assert layout(project) == [
        (1, "testing", 2, ["testing.pool.basic"]),
        # the override puts a silo tenant into the same wave as a pool of that tier wave
        (2, "staging", 2, ["staging.pool.basic", "staging.silo.early"]),
        (3, "production", 2, ["production-us.pool.basic", "production-us.silo.early", "production-eu.pool.basic"]),
        (4, "production", 5, ["production-us.silo.plain"]),
        (5, "production", 9, ["production-us.silo.late"]),
    ]


def test_phase_order_wins_over_tier_wave(make_project) -> None:
    """A tier with wave 1 in production still comes after a tier with wave 7 in testing."""
    project = make_project(
        tiers={
            "slow": {"model": "pool", "wave": 7, "environments": ["testing"]},
            "fast": {"model": "pool", "wave": 1, "environments": ["production-us"]},
        },
        tenants={},
    )
    assert layout(project) == [
        (1, "testing", 7, ["testing.pool.slow"]),
        (2, "production", 1, ["production-us.pool.fast"]),
    ]


def test_waves_do_not_depend_on_the_ledger() -> None:
    project = load_project(EXAMPLE)
    stacks = build_inventory(project)
    histories = [
        ReleaseHistory(release="1.4.0"),
        ReleaseHistory.from_records(
            "1.4.0",
            [Success(s.name, s.environment, s.tenants) for s in stacks[:5]],
            {s.name: Deployed("1.4.0", None) for s in stacks[:5]},
        ),
        ReleaseHistory.from_records(
            "1.4.0",
            [Success(s.name, s.environment, s.tenants) for s in stacks],
            {s.name: Deployed("1.4.0", None) for s in stacks},
        ),
    ]
    shapes = []
    for history in histories:
        plan = build_plan(project, history)
        shapes.append([(w.wave.number, w.wave.phase, [p.stack.name for p in w.stacks]) for w in plan.waves])
    assert shapes[0] == shapes[1] == shapes[2]
    # the states did change, so the histories were really different
    states = [[p.state for w in build_plan(project, h).waves for p in w.stacks] for h in histories]
    assert states[0] != states[1] != states[2]
    # --wave N keeps the full plan's numbering
    only = build_plan(project, histories[1], wave=7)
    assert [(w.wave.number, w.wave.phase) for w in only.waves] == [(7, "production")]
    assert only.total_waves == 10


# -- property: random small fleets ---------------------------------------------------------


@st.composite
def fleets(draw: st.DrawFn) -> dict[str, Any]:
    phase_count = draw(st.integers(1, 3))
    lifecycle = []
    envs: list[str] = []
    for p in range(phase_count):
        names = [f"e{p}{i}" for i in range(draw(st.integers(1, 2)))]
        envs += names
        lifecycle.append({"phase": f"p{p}", "environments": names, "optional": draw(st.booleans())})
    tiers: dict[str, dict[str, Any]] = {}
    for t in range(draw(st.integers(1, 3))):
        tier: dict[str, Any] = {"model": draw(st.sampled_from(["pool", "silo"])), "wave": draw(st.integers(1, 4))}
        if draw(st.booleans()):
            tier["environments"] = draw(st.lists(st.sampled_from(envs), min_size=1, unique=True))
        tiers[f"t{t}"] = tier
    tenants: dict[str, dict[str, Any]] = {}
    for n in range(draw(st.integers(0, 6))):
        tier_id = draw(st.sampled_from(sorted(tiers)))
        offered = tiers[tier_id].get("environments", envs)
        tenant: dict[str, Any] = {
            "tier": tier_id,
            "environments": draw(st.lists(st.sampled_from(offered), min_size=1, unique=True)),
        }
        if tiers[tier_id]["model"] == "silo" and draw(st.booleans()):
            tenant["wave"] = draw(st.integers(1, 6))
        tenants[f"n{n}"] = tenant
    return {"lifecycle": lifecycle, "tiers": tiers, "tenants": tenants}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_wave_properties_on_random_fleets(fleet: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = load_project(write_project(Path(tmp), fleet["tiers"], fleet["tenants"], fleet["lifecycle"]))
    stacks = build_inventory(project)
    waves = build_waves(project, stacks)

    # numbered 1..n without gaps
    assert [wave.number for wave in waves] == list(range(1, len(waves) + 1))
    # every stack exactly once, and no wave is empty
    names = [stack.name for wave in waves for stack in wave.stacks]
    assert sorted(names) == sorted(stack.name for stack in stacks)
    assert len(names) == len(set(names))
    assert all(wave.stacks for wave in waves)
    # ordered by phase, then by tier wave; each stack sits in its phase and its configured wave
    phase_index = {phase["phase"]: i for i, phase in enumerate(fleet["lifecycle"])}
    keys = [(phase_index[wave.phase], wave.tier_wave) for wave in waves]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    for wave in waves:
        for stack in wave.stacks:
            assert stack.phase == wave.phase
            assert stack.environment in fleet["lifecycle"][phase_index[wave.phase]]["environments"]
            override = fleet["tenants"][stack.tenant].get("wave") if stack.tenant else None
            assert wave.tier_wave == (override or fleet["tiers"][stack.tier]["wave"])
    # the expected stacks: one per pool tier and offered environment, one per silo tenant and environment
    expected = {
        f"{env}.pool.{tier_id}"
        for tier_id, tier in fleet["tiers"].items()
        if tier["model"] == "pool"
        for env in tier.get("environments", [e for p in fleet["lifecycle"] for e in p["environments"]])
    } | {
        f"{env}.silo.{tenant_id}"
        for tenant_id, tenant in fleet["tenants"].items()
        if fleet["tiers"][tenant["tier"]]["model"] == "silo"
        for env in tenant["environments"]
    }
    assert set(names) == expected
    # deterministic
    again = build_waves(project, build_inventory(project))
    assert [(w.number, w.phase, w.tier_wave, w.stacks) for w in again] == [
        (w.number, w.phase, w.tier_wave, w.stacks) for w in waves
    ]
