"""Holds re-checked at each stack's start, and `--force` held like any deployment.

A run plans at one instant, but a stack may start much later (behind a long stack, or waiting for
max_tenants_in_flight): the runner looks at the ledger's clock again right before each stack
starts, so a freeze that began meanwhile defers it (the run ends `deferred`), unless an override
waives that hold. The clock is pinned and moved by the test engine while the run goes on.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from support.clock import CLOCKS
from support.fleet import write_project
from support.testengine import ScriptedEngine
from tenantwave.planning.deferral import Override, Timing
from tenantwave.planning.selection import Targets
from tenantwave.planning.workspace import Workspace, open_workspace
from tenantwave.rollout.prepare import prepare_rollout
from tenantwave.rollout.runner import Runner, RunOptions

pytestmark = pytest.mark.integration

RELEASE = "2.0.0"
BEFORE = datetime(2026, 11, 25, 22, 0)  # the freeze starts at 23:00 UTC
INSIDE = datetime(2026, 11, 25, 23, 30)
FREEZE = {"start": "2026-11-25 23:00", "end": "2026-11-26 06:00", "tz": "UTC", "description": "db migration"}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """One wave of two silo stacks in production-us, covered by a freeze starting at 23:00 UTC."""
    root = write_project(
        tmp_path / "fleet",
        tiers={"premium": {"model": "silo", "wave": 1}},
        tenants={
            "bolt": {"tier": "premium", "environments": ["production-us"]},
            "cove": {"tier": "premium", "environments": ["production-us"]},
        },
        lifecycle=[{"phase": "production", "environments": ["production-us"]}],
        freezes={"late": FREEZE},
    )
    return open_workspace(root, f"sqlite:///{tmp_path / 'ledger.db'}", engine="test")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moving = Clock(BEFORE)
    for target in CLOCKS:
        monkeypatch.setattr(target, lambda: moving.now)
    return moving


def freeze_after_first_stack(engine: ScriptedEngine, clock: Clock) -> None:
    """The first stack's deployment takes until the freeze has begun."""
    original = engine.up

    def up(job: Any, progress: Any, cancel: Any) -> Any:
        result = original(job, progress, cancel)
        clock.now = INSIDE
        return result

    engine.up = up  # type: ignore[method-assign]


def run(ws: Workspace, engine: ScriptedEngine, timing: Timing, *, force: bool = False) -> Any:
    plan = prepare_rollout(ws, RELEASE, wave=1, targets=Targets(), timing=timing, force=force)
    return Runner(ws, engine, plan, RunOptions(concurrency=1, heartbeat_seconds=0.05, force=force)).run()


def test_a_stack_that_starts_after_a_freeze_began_is_deferred(
    ws: Workspace, test_engine: ScriptedEngine, clock: Clock
) -> None:
    freeze_after_first_stack(test_engine, clock)
    report = run(ws, test_engine, Timing(ws.ledger.now()))
    assert test_engine.operations() == ["production-us.silo.bolt"]
    assert [(o.stack, o.status) for o in report.outcomes] == [("production-us.silo.bolt", "succeeded")]
    assert report.status == "deferred"
    assert report.to_json()["deferred"] == [
        {"name": "production-us.silo.cove", "reason": "freeze late (db migration) until Thu 06:00 UTC (in 6 h 30 min)",
         "until": "2026-11-26T06:00:00Z"}
    ]
    (record,) = ws.ledger.runs()
    assert record.status == "deferred"


def test_an_override_waives_the_hold_at_start_time(ws: Workspace, test_engine: ScriptedEngine, clock: Clock) -> None:
    freeze_after_first_stack(test_engine, clock)
    timing = Timing(ws.ledger.now(), (Override("freeze", "ops-alice", "INC-1: hotfix"),))
    report = run(ws, test_engine, timing)
    assert test_engine.operations() == ["production-us.silo.bolt", "production-us.silo.cove"]
    assert report.status == "succeeded"


def test_a_window_override_does_not_waive_a_freeze_at_start_time(
    ws: Workspace, test_engine: ScriptedEngine, clock: Clock
) -> None:
    freeze_after_first_stack(test_engine, clock)
    timing = Timing(ws.ledger.now(), (Override("windows", "ops-alice", "INC-1: hotfix"),))
    report = run(ws, test_engine, timing)
    assert test_engine.operations() == ["production-us.silo.bolt"]
    assert report.status == "deferred"


def test_without_timing_the_runner_does_not_check_holds(
    ws: Workspace, test_engine: ScriptedEngine, clock: Clock
) -> None:
    """Tenant operations and rollbacks are not held by windows or freezes."""
    clock.now = INSIDE
    plan = prepare_rollout(ws, RELEASE, wave=1, targets=Targets())
    report = Runner(ws, test_engine, plan, RunOptions(concurrency=1, heartbeat_seconds=0.05)).run()
    assert report.status == "succeeded" and len(test_engine.operations()) == 2


def test_force_redeploy_is_held_by_a_freeze(ws: Workspace, test_engine: ScriptedEngine, clock: Clock) -> None:
    run(ws, test_engine, Timing(ws.ledger.now()))  # both deployed before the freeze
    clock.now = INSIDE
    plan = prepare_rollout(ws, RELEASE, wave=1, targets=Targets(), timing=Timing(INSIDE), force=True)
    assert [(p.state, p.reason) for p in plan.stacks] == [
        ("deferred", "freeze late (db migration) until Thu 06:00 UTC (in 6 h 30 min)"),
    ] * 2


def test_force_redeploy_with_an_override_deploys(ws: Workspace, test_engine: ScriptedEngine, clock: Clock) -> None:
    run(ws, test_engine, Timing(ws.ledger.now()))
    clock.now = INSIDE
    timing = Timing(INSIDE, (Override("freeze", "ops-alice", "INC-1: hotfix"),))
    plan = prepare_rollout(ws, RELEASE, wave=1, targets=Targets(), timing=timing, force=True)
    assert [p.state for p in plan.stacks] == ["eligible", "eligible"]
    assert plan.stacks[0].reason == (
        "already on 2.0.0; redeploy forced with --force; deploys despite: freeze late (db migration) "
        "until Thu 06:00 UTC (in 6 h 30 min) (--ignore-freeze)"
    )
