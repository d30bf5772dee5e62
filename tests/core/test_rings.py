"""Rings (issue 18, item 1): tenants tagged with a ring go in the ring's order within a phase, before
the tier wave order; a pool stack goes with the latest ring among its members; wave numbers come
from the configuration alone; each ring boundary is gated like a wave, by the ring's own policy."""

from __future__ import annotations

import dataclasses
import random
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.fleet import write_project
from tenantwave.config.loader import load_project
from tenantwave.config.models import Project, Rollout
from tenantwave.errors import ConfigError
from tenantwave.ledger.history import GateFacts
from tenantwave.planning.gate import evaluate_gate
from tenantwave.planning.inventory import build_inventory
from tenantwave.planning.plan import StackPlan, WavePlan
from tenantwave.planning.waves import Wave, build_waves

pytestmark = pytest.mark.unit

RINGS = ["internal", "early", "general"]
TIERS: dict[str, dict[str, Any]] = {
    "basic": {"model": "pool", "wave": 1},
    "premium": {"model": "silo", "wave": 2, "environments": ["staging", "production-us", "production-eu"]},
}


def layout(project: Project) -> list[tuple[int, str, str | None, int, list[str]]]:
    return [
        (w.number, w.phase, w.ring, w.tier_wave, [s.name for s in w.stacks])
        for w in build_waves(project, build_inventory(project))
    ]


def tenant(tier: str, *envs: str, ring: str | None = None, **more: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"tier": tier, "environments": list(envs), **more}
    if ring is not None:
        document["tags"] = {"ring": ring}
    return document


def test_rings_come_before_tier_waves_within_a_phase(make_project) -> None:
    project = make_project(
        tiers=TIERS,
        tenants={
            "dogfood": tenant("premium", "production-us", ring="internal"),
            "pioneer": tenant("basic", "production-eu", ring="early"),
            "bigco": tenant("premium", "production-us", "production-eu"),  # untagged: the last ring
            "shop": tenant("basic", "production-us", ring="general"),
        },
        rollout={"rings": RINGS},
    )
    assert layout(project) == [
        (1, "testing", "internal", 1, ["testing.pool.basic"]),  # serves nobody: the first ring
        (2, "staging", "internal", 1, ["staging.pool.basic"]),
        (3, "production", "internal", 2, ["production-us.silo.dogfood"]),  # ring before tier wave
        (4, "production", "early", 1, ["production-eu.pool.basic"]),
        (5, "production", "general", 1, ["production-us.pool.basic"]),
        (6, "production", "general", 2, ["production-us.silo.bigco", "production-eu.silo.bigco"]),
    ]


def test_a_pool_stack_goes_with_the_latest_ring_among_its_members(make_project) -> None:
    project = make_project(
        tiers=TIERS,
        tenants={
            "a": tenant("basic", "production-us", ring="internal"),
            "b": tenant("basic", "production-us", ring="early"),
            "c": tenant("basic", "production-eu", ring="internal"),
        },
        rollout={"rings": RINGS},
    )
    rings = {s.name: s.ring for s in build_inventory(project)}
    assert rings["production-us.pool.basic"] == "early"  # never ahead of b, who asked to wait
    assert rings["production-eu.pool.basic"] == "internal"


def test_without_rings_nothing_changes(make_project) -> None:
    tenants = {"a": tenant("basic", "production-us"), "p": tenant("premium", "staging", "production-us")}
    plain = make_project(tiers=TIERS, tenants=tenants)
    assert [w.ring for w in build_waves(plain, build_inventory(plain))] == [None] * 5
    one = make_project(tiers=TIERS, tenants=tenants, rollout={"rings": ["general"]})
    assert [row[:2] + row[3:] for row in layout(one)] == [row[:2] + row[3:] for row in layout(plain)]
    assert {row[2] for row in layout(one)} == {"general"}


def test_a_ring_policy_overrides_the_phase_for_its_waves_only() -> None:
    rollout = Rollout.model_validate(
        {
            "bake_minutes": 5,
            "rings": RINGS,
            "phases": {
                "production": {"approval": True, "rings": {"internal": {"approval": False, "bake_minutes": 60}}}
            },
        }
    )
    internal = rollout.for_phase("production", "internal")
    assert (internal.approval, internal.bake_minutes, internal.failure_budget) == (False, 60, 0)
    general = rollout.for_phase("production", "general")
    assert (general.approval, general.bake_minutes) == (True, 5)
    assert rollout.for_phase("production") == general


def _wave(number: int, ring: str | None, *names: str, state: str = "eligible") -> WavePlan:
    stacks = tuple(build_stack(name, ring) for name in names)
    plans = tuple(StackPlan(s, state, "", None, revision="1.0.0+aaaa") for s in stacks)  # type: ignore[arg-type]
    return WavePlan(Wave(number, "production", 1, stacks, ring), plans)


def build_stack(name: str, ring: str | None) -> Any:
    from tenantwave.planning.inventory import Stack

    return Stack(name, "production-us", "production", 2, "pool", "basic", None, ("acme",), (2, 1), ring, 0)


def test_the_gate_reasons_name_the_rings_at_a_ring_boundary() -> None:
    from types import SimpleNamespace

    rollout = Rollout.model_validate(
        {"rings": RINGS, "phases": {"production": {"rings": {"early": {"approval": True}}}}}
    )
    project: Any = SimpleNamespace(platform=SimpleNamespace(rollout=rollout))
    previous = _wave(4, "internal", "production-us.silo.dogfood")
    verdict = evaluate_gate(project, "1.0.0", _wave(5, "early", "production-eu.pool.basic"), previous,
                            GateFacts(), datetime(2026, 1, 1))
    assert verdict.reasons == (
        "wave 4 (ring internal) is not complete: 1 of 1 stacks not on 1.0.0 yet (production-us.silo.dogfood); "
        "run `platform up --release 1.0.0 --wave 4`",
        "wave 5 (phase production, ring early) needs an approval: run `platform approve --release 1.0.0 --wave 5`",
    )
    # the general ring asks for no approval: only the previous wave holds it
    done = _wave(5, "early", "production-eu.pool.basic", state="done")
    verdict = evaluate_gate(project, "1.0.0", _wave(6, "general", "production-us.pool.basic"), done,
                            GateFacts(), datetime(2026, 1, 1))
    assert verdict.open
    # within a ring, the reasons read as they always did
    verdict = evaluate_gate(project, "1.0.0", _wave(6, "early", "production-us.pool.basic"),
                            _wave(5, "early", "production-eu.pool.basic"), GateFacts(), datetime(2026, 1, 1))
    assert verdict.reasons == (
        "wave 5 is not complete: 1 of 1 stacks not on 1.0.0 yet (production-eu.pool.basic); "
        "run `platform up --release 1.0.0 --wave 5`",
        "wave 6 (phase production) needs an approval: run `platform approve --release 1.0.0 --wave 6`",
    )


@pytest.mark.parametrize(
    ("rollout", "tags", "expected"),
    [
        pytest.param(
            {"rings": RINGS}, {"ring": "beta"},
            "tenants/acme.yaml: tags.ring: unknown ring 'beta' (rollout.rings: internal, early, general); "
            "use one of them or add 'beta' to rollout.rings in platform.yaml",
            id="unknown-ring-in-tag",
        ),
        pytest.param(
            {}, {"ring": "early"},
            "tenants/acme.yaml: tags.ring: unknown ring 'early': platform.yaml defines no rings; "
            "list them in order in rollout.rings (e.g. [early, general]) or remove this",
            id="ring-without-rings",
        ),
        pytest.param(
            {"rings": RINGS, "phases": {"production": {"rings": {"beta": {"approval": True}}}}}, {},
            "platform.yaml: rollout.phases.production.rings.beta: unknown ring 'beta' "
            "(rollout.rings: internal, early, general); use one of them or add 'beta' to rollout.rings "
            "in platform.yaml",
            id="unknown-ring-in-policy",
        ),
        pytest.param(
            {"rings": ["early", "early"]}, {},
            "platform.yaml: rollout.rings: ring 'early' is listed twice", id="ring-twice",
        ),
        pytest.param(
            {"rings": []}, {},
            "platform.yaml: rollout.rings: no rings listed: list at least one, or remove `rings` for a single ring",
            id="no-rings",
        ),
        pytest.param(
            {"rings": ["Early"]}, {},
            "platform.yaml: rollout.rings[0]: ", id="ring-not-an-id",
        ),
    ],
)
def test_bad_ring_configuration_names_file_field_and_fix(
    write, rollout: dict[str, Any], tags: dict[str, str], expected: str
) -> None:
    root = write(TIERS, {"acme": tenant("basic", "staging", tags=tags)}, rollout=rollout)
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    lines = caught.value.lines()
    assert len(lines) == 1
    assert lines[0].startswith(expected) if expected.endswith(": ") else lines[0] == expected


# -- properties ------------------------------------------------------------------------------------


@st.composite
def ringed_fleets(draw: st.DrawFn) -> dict[str, Any]:
    rings = draw(st.lists(st.sampled_from(["r0", "r1", "r2", "r3"]), min_size=1, max_size=4, unique=True))
    tiers = {
        "pa": {"model": "pool", "wave": draw(st.integers(1, 3))},
        "pb": {"model": "pool", "wave": draw(st.integers(1, 3))},
        "si": {"model": "silo", "wave": draw(st.integers(1, 3))},
    }
    envs = ["testing", "staging", "production-us", "production-eu"]
    tenants: dict[str, Any] = {}
    for n in range(draw(st.integers(0, 10))):
        document = tenant(draw(st.sampled_from(sorted(tiers))), *draw(st.lists(st.sampled_from(envs), min_size=1,
                                                                                 unique=True)))
        ring = draw(st.none() | st.sampled_from(rings))
        if ring is not None:
            document["tags"] = {"ring": ring}
        tenants[f"t{n}"] = document
    return {"rings": rings, "tiers": tiers, "tenants": tenants}


def _shuffled(items: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    keys = list(items)
    rng.shuffle(keys)
    return {key: items[key] for key in keys}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ringed_fleets(), st.randoms(use_true_random=False))
def test_ring_properties_on_random_fleets(fleet: dict[str, Any], rng: random.Random) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = load_project(
            write_project(Path(tmp), fleet["tiers"], fleet["tenants"], rollout={"rings": fleet["rings"]})
        )
    again = dataclasses.replace(project, tenants=_shuffled(project.tenants, rng), tiers=_shuffled(project.tiers, rng))
    waves = build_waves(project, build_inventory(project))
    # the configuration alone decides the numbers: the order tenants and tiers are held in does not matter
    assert [(w.number, w.phase, w.ring, w.tier_wave, [s.name for s in w.stacks]) for w in waves] == [
        (w.number, w.phase, w.ring, w.tier_wave, [s.name for s in w.stacks])
        for w in build_waves(again, build_inventory(again))
    ]
    rings: list[str] = fleet["rings"]
    ring_of = {t: (d.get("tags") or {}).get("ring", rings[-1]) for t, d in fleet["tenants"].items()}
    keys = []
    for w in waves:
        for s in w.stacks:
            assert s.ring == w.ring
            # a stack is in the latest ring of the tenants it serves (the first when it serves none)
            assert s.ring == max((ring_of[t] for t in s.tenants), key=rings.index, default=rings[0])
        keys.append((project.phase_of[w.stacks[0].environment][0], rings.index(w.ring or ""), w.tier_wave))
    # phase, then ring, then tier wave; one wave per key
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
