"""The runner's blast radius in tenants (issue 18, item 4), through the scripted test engine and a real
SQLite ledger: max_tenants_in_flight holds stacks back until they fit beside the running ones (an
oversized pool deploys alone), max_tenants_per_run ends a run's starts, and a rerun continues."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from support.fleet import write_project
from support.testengine import Call, ScriptedEngine, Step
from tenantwave.planning.selection import Targets
from tenantwave.rollout.blastradius import tenant_limits
from tenantwave.rollout.prepare import prepare_rollout
from tenantwave.rollout.runner import Runner, RunOptions

pytestmark = pytest.mark.integration
RELEASE = "1.4.0"
PLAN_ORDER = [
    "production-us.pool.basic",
    "production-us.silo.p0",
    "production-us.silo.p1",
    "production-us.silo.p2",
    "production-us.silo.p3",
    "production-eu.pool.basic",
]


def fleet(root: Path, **rollout: Any) -> Path:
    """One phase, one wave: a basic pool of 5 tenants in production-us and of 2 in production-eu,
    and 4 premium silo tenants in production-us."""
    basic = {f"b{n}": {"tier": "basic", "environments": ["production-us" if n < 5 else "production-eu"]}
             for n in range(7)}
    premium = {f"p{n}": {"tier": "premium", "environments": ["production-us"]} for n in range(4)}
    return write_project(
        root,
        tiers={"basic": {"model": "pool", "wave": 1}, "premium": {"model": "silo", "wave": 1}},
        tenants={**basic, **premium},
        lifecycle=[{"phase": "production", "environments": ["production-us", "production-eu"]}],
        rollout=rollout,
    )


def run(ws: Any, engine: ScriptedEngine, concurrency: int = 8) -> Any:
    plan = prepare_rollout(ws, RELEASE, wave=1, targets=Targets())
    options = RunOptions(
        concurrency=concurrency, heartbeat_seconds=0.05, tenant_limits=tenant_limits(ws.project)
    )
    return Runner(ws, engine, plan, options).run()


def tenants_of(name: str) -> set[str]:
    if name == "production-us.pool.basic":
        return {f"b{n}" for n in range(5)}
    if name == "production-eu.pool.basic":
        return {"b5", "b6"}
    return {name.rsplit(".", 1)[1]}


def beside(call: Call, calls: list[Call]) -> list[Call]:
    """The calls running when `call` started (itself included)."""
    return [other for other in calls if other.started <= call.started < other.ended]


def test_in_flight_tenants_stay_within_the_cap_and_an_oversized_pool_deploys_alone(
    tmp_path: Path, open_ws: Any, test_engine: ScriptedEngine
) -> None:
    ws = open_ws(fleet(tmp_path / "fleet", phases={"production": {"max_tenants_in_flight": 3}}))
    test_engine.default = Step(delay=0.3)
    report = run(ws, test_engine)
    assert report.status == "succeeded" and report.count("succeeded") == 6
    calls = sorted(test_engine.calls, key=lambda c: c.started)
    # (the order stacks leave the queue is the plan's: tests/core/test_blastradius.py; two workers may
    # reach the engine in either order)
    assert sorted(c.stack for c in calls) == sorted(PLAN_ORDER) and calls[0].stack == PLAN_ORDER[0]
    for call in calls:
        running = beside(call, calls)
        exposed = set().union(*(tenants_of(c.stack) for c in running))
        assert len(exposed) <= 3 or running == [call], (call.stack, [c.stack for c in running])
    assert beside(calls[0], calls) == [calls[0]]  # 5 tenants, over the cap of 3: alone
    assert test_engine.max_in_flight == 3  # the cap allows what fits: three silo stacks at once
    assert report.exposed == tuple(sorted([f"b{n}" for n in range(7)] + [f"p{n}" for n in range(4)]))
    assert report.to_json()["tenants_exposed"] == list(report.exposed)
    assert report.capped is None


def test_a_run_stops_starting_stacks_at_its_tenant_cap_and_a_rerun_continues(
    tmp_path: Path, open_ws: Any, test_engine: ScriptedEngine
) -> None:
    ws = open_ws(fleet(tmp_path / "fleet", max_tenants_per_run=4))
    first = run(ws, test_engine, concurrency=1)
    # the 5-tenant pool goes first and alone: the cap never makes a stack impossible to deploy
    assert test_engine.operations() == ["production-us.pool.basic"]
    assert first.status == "capped"  # the wave is not complete: exit 3, like a deferred stack
    reason = "not started: max_tenants_per_run 4 reached (5 tenants exposed by this run); " \
             "run the same command again to continue"
    assert [(o.stack, o.status, o.error) for o in first.outcomes[1:]] == [
        (name, "not-started", reason) for name in PLAN_ORDER[1:]
    ]
    assert first.capped == "max_tenants_per_run 4 reached (5 tenants exposed by this run); " \
                           "run the same command again to continue"
    second = run(ws, test_engine, concurrency=1)
    assert test_engine.operations()[1:] == PLAN_ORDER[1:5]  # four silo tenants: 4, the eu pool would make 6
    assert second.exposed == ("p0", "p1", "p2", "p3")
    assert second.count("not-started") == 1 and second.status == "capped"
    third = run(ws, test_engine, concurrency=1)
    assert test_engine.operations()[5:] == ["production-eu.pool.basic"] and third.capped is None
    assert third.status == "succeeded"


def test_without_caps_the_run_is_what_it_was(tmp_path: Path, open_ws: Any, test_engine: ScriptedEngine) -> None:
    ws = open_ws(fleet(tmp_path / "fleet"))
    test_engine.default = Step(delay=0.3)
    report = run(ws, test_engine)
    assert report.count("succeeded") == 6 and test_engine.max_in_flight == 6
    assert len(report.exposed) == 11 and report.capped is None
