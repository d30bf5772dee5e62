"""The runner with windows and freezes, through the scripted test engine and a real SQLite ledger.

A wave part deferred, part deployed: the deployed stacks are recorded, the deferred ones are not
started, the run's status is `deferred` (exit 3), its detail records the overrides with who and why,
and the next wave's gate waits for the deferred stacks. Instants are fixed (naive UTC).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from support.clock import pin_clock
from support.fleet import write_project
from support.testengine import ScriptedEngine, Step
from tenantwave.planning.deferral import Override, Timing
from tenantwave.planning.selection import Targets
from tenantwave.planning.workspace import Workspace, open_workspace
from tenantwave.rollout.prepare import prepare_rollout
from tenantwave.rollout.runner import Runner, RunOptions

pytestmark = pytest.mark.integration

RELEASE = "2.0.0"
WEDNESDAY = datetime(2026, 11, 25, 22, 0)  # 23:00 in Berlin
SATURDAY = datetime(2026, 11, 28, 3, 0)  # 04:00 in Berlin
WINDOW = {"days": ["sat"], "start": "02:00", "end": "06:00", "tz": "Europe/Berlin"}


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """Wave 1: three silo tenants in production-us, one of them with a window; wave 2: a pool."""
    root = write_project(
        tmp_path / "fleet",
        tiers={"premium": {"model": "silo", "wave": 1}, "basic": {"model": "pool", "wave": 2}},
        tenants={
            "acme": {"tier": "premium", "environments": ["production-us"], "windows": [WINDOW]},
            "bolt": {"tier": "premium", "environments": ["production-us"]},
            "cove": {"tier": "premium", "environments": ["production-us"]},
            "dawn": {"tier": "basic", "environments": ["production-us"]},
        },
        lifecycle=[{"phase": "production", "environments": ["production-us"]}],
    )
    return open_workspace(root, f"sqlite:///{tmp_path / 'ledger.db'}", engine="test")


def run(ws: Workspace, engine: ScriptedEngine, timing: Timing, wave: int = 1) -> Any:
    plan = prepare_rollout(ws, RELEASE, wave=wave, targets=Targets(), timing=timing)
    return Runner(ws, engine, plan, RunOptions(concurrency=2, heartbeat_seconds=0.05)).run()


def test_a_wave_part_deferred_deploys_the_rest_and_ends_deferred(ws: Workspace, test_engine: ScriptedEngine) -> None:
    report = run(ws, test_engine, Timing(WEDNESDAY))
    assert sorted(o.stack for o in report.outcomes) == ["production-us.silo.bolt", "production-us.silo.cove"]
    assert [p.stack.name for p in report.plan.with_state("deferred")] == ["production-us.silo.acme"]
    assert report.status == "deferred"
    assert report.to_json()["deferred"] == [
        {"name": "production-us.silo.acme", "reason": "acme's window opens Sat 02:00 Europe/Berlin (in 2 d 3 h)",
         "until": "2026-11-28T01:00:00Z"}
    ]
    (record,) = ws.ledger.runs()
    assert (record.status, record.detail) == ("deferred", None)
    gate = prepare_rollout(ws, RELEASE, wave=2, targets=Targets(), timing=Timing(WEDNESDAY)).gate
    assert gate is not None and gate.reasons == (
        "wave 1 is not complete: 1 of 3 stacks not on 2.0.0 yet (production-us.silo.acme); "
        "run `platform up --release 2.0.0 --wave 1`",
    )


def test_once_the_window_opens_the_rerun_completes_the_wave(
    ws: Workspace, test_engine: ScriptedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin_clock(monkeypatch, WEDNESDAY)
    run(ws, test_engine, Timing(WEDNESDAY))
    pin_clock(monkeypatch, SATURDAY)  # the runner looks at the ledger's clock again before each stack
    report = run(ws, test_engine, Timing(SATURDAY))
    assert [o.stack for o in report.outcomes] == ["production-us.silo.acme"]
    assert report.status == "succeeded"
    gate = prepare_rollout(ws, RELEASE, wave=2, targets=Targets(), timing=Timing(SATURDAY)).gate
    assert gate is not None and gate.open


def test_an_override_is_recorded_on_the_run_even_when_a_stack_fails(
    ws: Workspace, test_engine: ScriptedEngine
) -> None:
    test_engine.steps["production-us.silo.acme"] = Step(outcome="failed", error="boom")
    timing = Timing(WEDNESDAY, (Override("windows", "ops-alice", "INC-42: customer asked for the fix now"),))
    report = run(ws, test_engine, timing)
    assert report.status == "failed"
    (record,) = ws.ledger.runs()
    assert record.detail == "--ignore-windows by ops-alice: INC-42: customer asked for the fix now"
    assert report.to_json()["overrides"] == [
        {"ignored": "windows", "by": "ops-alice", "reason": "INC-42: customer asked for the fix now",
         "waived": True, "recorded": True}
    ]
    assert record.user == "ops-alice"


def test_without_timing_nothing_is_deferred(ws: Workspace, test_engine: ScriptedEngine) -> None:
    """Tenant operations and rollbacks prepare without timing: windows and freezes do not hold them."""
    plan = prepare_rollout(ws, RELEASE, wave=1, targets=Targets())
    assert plan.with_state("deferred") == []
    assert len(plan.with_state("eligible")) == 3


@pytest.mark.postgres
def test_on_postgresql_the_override_is_recorded_and_the_wave_ends_deferred(
    ws: Workspace, postgres_url: str, test_engine: ScriptedEngine
) -> None:
    """The same run on a PostgreSQL ledger (no schema change: the override is the run's detail)."""
    pg = open_workspace(ws.root, postgres_url, engine="test")
    timing = Timing(WEDNESDAY, (Override("freeze", "ops-alice", "no freeze here, recorded all the same"),))
    report = run(pg, test_engine, timing)
    assert report.status == "deferred"
    assert sorted(o.stack for o in report.outcomes) == ["production-us.silo.bolt", "production-us.silo.cove"]
    (record,) = [r for r in pg.ledger.runs() if r.id == report.run_id]
    assert (record.status, record.detail) == (
        "deferred", "--ignore-freeze by ops-alice: no freeze here, recorded all the same"
    )
