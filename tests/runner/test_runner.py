"""The runner through the engine interface, with the scripted test engine and a real SQLite ledger."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from support.fleet import copy_example
from support.testengine import ScriptedEngine, Step
from tenantwave.engine.base import CancelToken
from tenantwave.ledger.store import utcnow
from tenantwave.planning.selection import Shard, Targets
from tenantwave.rollout.approval import approve_wave
from tenantwave.rollout.prepare import prepare_rollout
from tenantwave.rollout.runner import Runner, RunOptions

pytestmark = pytest.mark.integration
RELEASE = "1.4.0"


def run(
    ws: Any,
    engine: ScriptedEngine,
    wave: int | None = None,
    *,
    targets: Targets | None = None,
    cancel: CancelToken | None = None,
    concurrency: int = 4,
    budget: int = 0,
    **rollout: Any,
) -> Any:
    plan = prepare_rollout(ws, RELEASE, wave=wave, targets=targets or Targets(), **rollout)
    options = RunOptions(concurrency=concurrency, failure_budget=budget, heartbeat_seconds=0.05)
    return Runner(ws, engine, plan, options, cancel=cancel).run()


def test_first_wave_deploys_and_rerun_skips_done_stacks(
    tmp_path: Path, open_ws: Any, test_engine: ScriptedEngine
) -> None:
    ws = open_ws(copy_example(tmp_path / "p"))
    report = run(ws, test_engine, 1)
    assert [(o.stack, o.status) for o in report.outcomes] == [("testing.pool.basic", "succeeded")]
    assert report.status == "succeeded"
    again = run(ws, test_engine, 1)
    assert again.outcomes == () and again.plan.with_state("done")[0].stack.name == "testing.pool.basic"
    assert test_engine.operations() == ["testing.pool.basic"]


def test_stack_config_carries_identity_release_and_parameters(
    tmp_path: Path, open_ws: Any, test_engine: ScriptedEngine
) -> None:
    ws = open_ws(copy_example(tmp_path / "p"))
    run(ws, test_engine, 1)
    config = test_engine.calls[0].config
    assert config["tenantwave:kind"] == "pool" and config["tenantwave:tier"] == "basic"
    assert config["tenantwave:environment"] == "testing" and config["tenantwave:release"] == RELEASE
    assert '"replicas": 2' in config["tenantwave:parameters"]
    assert config["tenantwave:members"] == "[]"


def test_gate_holds_a_wave_until_the_previous_one_is_complete(
    tmp_path: Path, open_ws: Any, test_engine: ScriptedEngine
) -> None:
    ws = open_ws(copy_example(tmp_path / "p"))
    held = run(ws, test_engine, 2)
    assert held.status == "blocked" and held.outcomes == ()
    assert held.plan.gate.reasons == (
        "wave 1 is not complete: 1 of 1 stacks not on 1.4.0 yet (testing.pool.basic); "
        "run `platform up --release 1.4.0 --wave 1`",
    )
    run(ws, test_engine, 1)
    assert run(ws, test_engine, 2).count("succeeded") == 1


def test_failure_budget_decides_whether_the_next_wave_may_start(
    tmp_path: Path, open_ws: Any, test_engine: ScriptedEngine, wide_fleet: Path
) -> None:
    ws = open_ws(wide_fleet)
    test_engine.steps["testing.pool.basic"] = Step("failed")
    failed = run(ws, test_engine, 1)
    assert failed.status == "failed" and failed.outcomes[0].error.startswith("Error: creating DynamoDB")
    gate = prepare_rollout(ws, RELEASE, wave=2, targets=Targets()).gate
    assert not gate.open
    assert "wave 1 has 1 failed stack (testing.pool.basic), over its failure budget of 0" in gate.reason


def test_a_failure_within_the_budget_opens_the_gate(tmp_path: Path, test_engine: ScriptedEngine) -> None:
    from support.fleet import write_project
    from tenantwave.planning.workspace import open_workspace

    root = write_project(
        tmp_path / "budget",
        tiers={"basic": {"model": "silo", "wave": 1}, "premium": {"model": "silo", "wave": 2}},
        tenants={
            "a": {"tier": "basic", "environments": ["testing"]},
            "b": {"tier": "basic", "environments": ["testing"]},
            "c": {"tier": "premium", "environments": ["testing"]},
        },
        lifecycle=[{"phase": "testing", "environments": ["testing"]}],
        rollout={"failure_budget": 1},
    )
    ws = open_workspace(root, f"sqlite:///{tmp_path / 'l.db'}", "test")
    test_engine.steps["testing.silo.a"] = Step("failed")
    first = run(ws, test_engine, 1, budget=1)
    assert sorted(o.status for o in first.outcomes) == ["failed", "succeeded"]
    assert prepare_rollout(ws, RELEASE, wave=2, targets=Targets()).gate.open


def test_a_failure_past_the_budget_stops_new_stacks_but_running_ones_finish(
    tmp_path: Path, open_ws: Any, test_engine: ScriptedEngine, wide_fleet: Path
) -> None:
    ws = open_ws(wide_fleet)
    run(ws, test_engine, 1)
    test_engine.default = Step(delay=0.3)
    test_engine.steps["production-us.silo.t00"] = Step("failed", delay=0.05)
    report = run(ws, test_engine, 2, concurrency=3)
    statuses = {o.stack: o.status for o in report.outcomes}
    assert statuses["production-us.silo.t00"] == "failed"
    assert statuses["production-us.silo.t01"] == statuses["production-us.silo.t02"] == "succeeded"
    assert sum(1 for s in statuses.values() if s == "not-started") == 9
    assert report.status == "failed"


def test_concurrency_limit_is_respected_and_reached(
    open_ws: Any, test_engine: ScriptedEngine, wide_fleet: Path
) -> None:
    ws = open_ws(wide_fleet)
    run(ws, test_engine, 1)
    test_engine.default = Step(delay=0.15)
    report = run(ws, test_engine, 2, concurrency=5)
    assert report.count("succeeded") == 12
    assert test_engine.max_in_flight == 5


def test_the_main_thread_waits_quietly_while_the_last_stacks_run(
    open_ws: Any, test_engine: ScriptedEngine, wide_fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a worker has run out of stacks, the main thread must not spin on its finished future
    (it would hold the GIL the remaining workers need to record their results)."""
    import tenantwave.rollout.runner as runner_module

    ws = open_ws(wide_fleet)
    run(ws, test_engine, 1)
    test_engine.default = Step(delay=0.0)
    test_engine.steps["production-us.silo.t00"] = Step(delay=0.6)
    waits: list[int] = []
    real_wait = runner_module.wait

    def counting_wait(*args: Any, **kwargs: Any) -> Any:
        waits.append(1)
        return real_wait(*args, **kwargs)

    monkeypatch.setattr(runner_module, "wait", counting_wait)
    report = run(ws, test_engine, 2, concurrency=4)
    assert report.count("succeeded") == 12
    assert len(waits) < 40  # about one per 0.1 s (and one per finished worker), not a busy loop


def test_approval_is_required_where_the_policy_asks(tmp_path: Path, open_ws: Any, test_engine: ScriptedEngine) -> None:
    ws = open_ws(copy_example(tmp_path / "p"))
    for wave in range(1, 7):
        assert run(ws, test_engine, wave).status == "succeeded", wave
    held = run(ws, test_engine, 7)
    assert held.status == "blocked"
    assert held.plan.gate.reasons == (
        "wave 7 (phase production) needs an approval: run `platform approve --release 1.4.0 --wave 7`",
    )
    approve_wave(ws, RELEASE, 7, "alice", "change CHG-1")
    approved = run(ws, test_engine, 7)
    assert approved.plan.gate.approval.approved_by == "alice"
    assert approved.count("succeeded") == 2


def test_bake_time_holds_the_next_wave(tmp_path: Path, test_engine: ScriptedEngine) -> None:
    from support.fleet import write_project
    from tenantwave.planning.workspace import open_workspace

    root = write_project(
        tmp_path / "bake",
        tiers={"basic": {"model": "pool", "wave": 1}, "standard": {"model": "pool", "wave": 2}},
        tenants={},
        lifecycle=[{"phase": "testing", "environments": ["testing"]}],
        rollout={"phases": {"testing": {"bake_minutes": 30}}},
    )
    ws = open_workspace(root, f"sqlite:///{tmp_path / 'l.db'}", "test")
    run(ws, test_engine, 1)
    gate = prepare_rollout(ws, RELEASE, wave=2, targets=Targets()).gate
    assert not gate.open and "bakes for 30 min: wave 2 may start at" in gate.reason
    later = prepare_rollout(ws, RELEASE, wave=2, targets=Targets(), now=utcnow() + timedelta(minutes=31)).gate
    assert later.open


def test_targeted_run_skips_the_gate_but_not_the_lifecycle(
    tmp_path: Path, open_ws: Any, test_engine: ScriptedEngine
) -> None:
    ws = open_ws(copy_example(tmp_path / "p"))
    for wave in (1, 2):
        run(ws, test_engine, wave)
    # helios-bank: staging is eligible without waves 3-4, production is blocked by the lifecycle
    report = run(ws, test_engine, targets=Targets(tenants=("helios-bank",)))
    assert report.plan.gate is None
    assert [o.stack for o in report.outcomes] == ["staging.silo.helios-bank"]
    blocked = {p.stack.name: p.reason for p in report.plan.with_state("blocked")}
    assert blocked["production-us.silo.helios-bank"].startswith("release 1.4.0 has not completed phase staging")


def test_shards_split_a_wave_deterministically_and_completely(open_ws: Any, wide_fleet: Path) -> None:
    ws = open_ws(wide_fleet)
    shares = [
        [p.stack.name for p in prepare_rollout(ws, RELEASE, wave=2, targets=Targets(), shard=Shard(k, 3)).stacks]
        for k in (1, 2, 3)
    ]
    everything = [p.stack.name for p in prepare_rollout(ws, RELEASE, wave=2, targets=Targets()).stacks]
    assert sorted(name for share in shares for name in share) == sorted(everything)
    assert [len(s) for s in shares] == [4, 4, 4]
    again = [p.stack.name for p in prepare_rollout(ws, RELEASE, wave=2, targets=Targets(), shard=Shard(2, 3)).stacks]
    assert again == shares[1]


def test_cancellation_stops_running_stacks_cleanly_and_is_recorded(
    open_ws: Any, test_engine: ScriptedEngine, wide_fleet: Path
) -> None:
    ws = open_ws(wide_fleet)
    run(ws, test_engine, 1)
    test_engine.default = Step("hang")
    cancel = CancelToken()
    test_engine.cancel_when_in_flight(4, cancel)  # the operator's Ctrl-C once four stacks hang
    report = run(ws, test_engine, 2, concurrency=4, cancel=cancel)
    statuses = [o.status for o in report.outcomes]
    assert statuses.count("cancelled") == 4 and statuses.count("not-started") == 8
    assert report.status == "cancelled"
    recorded = [d.status for d in ws.ledger.deployments(run_id=report.run_id)]
    assert recorded == ["cancelled"] * 4
    # nothing is left claimed: the next run can go
    test_engine.default = Step()
    assert run(ws, test_engine, 2).count("succeeded") == 12


def test_a_second_interrupt_stops_at_once(open_ws: Any, test_engine: ScriptedEngine, wide_fleet: Path) -> None:
    ws = open_ws(wide_fleet)
    run(ws, test_engine, 1)

    class Deaf(ScriptedEngine):
        def up(self, job: Any, progress: Any, cancel: CancelToken) -> Any:
            release = threading.Event()
            release.wait(2.0)  # ignores the clean stop
            return super().up(job, progress, cancel)

    deaf = Deaf()
    cancel = CancelToken()
    threading.Timer(0.1, cancel.cancel).start()
    threading.Timer(0.2, cancel.cancel).start()
    report = run(ws, deaf, 2, concurrency=2, cancel=cancel)
    assert [o.status for o in report.outcomes].count("cancelled") == 2
    assert [d.status for d in ws.ledger.deployments(run_id=report.run_id)] == ["cancelled", "cancelled"]


def test_resume_retries_failed_stacks_and_skips_done_ones(
    open_ws: Any, test_engine: ScriptedEngine, wide_fleet: Path
) -> None:
    ws = open_ws(wide_fleet)
    run(ws, test_engine, 1)
    test_engine.steps["production-us.silo.t05"] = Step("failed")
    first = run(ws, test_engine, 2, budget=20)
    assert first.count("failed") == 1 and first.count("succeeded") == 11
    test_engine.steps.clear()
    test_engine.calls.clear()
    second = run(ws, test_engine, 2)
    assert [o.stack for o in second.outcomes] == ["production-us.silo.t05"]
    assert test_engine.operations() == ["production-us.silo.t05"]


def test_an_engine_exception_fails_that_stack_only(open_ws: Any, test_engine: ScriptedEngine, wide_fleet: Path) -> None:
    ws = open_ws(wide_fleet)
    run(ws, test_engine, 1)
    test_engine.steps["production-us.silo.t03"] = Step("raise")
    report = run(ws, test_engine, 2, budget=5)
    failed = [o for o in report.outcomes if o.status == "failed"]
    assert [o.stack for o in failed] == ["production-us.silo.t03"]
    assert failed[0].error == "engine error: RuntimeError: the test engine was told to raise"
    assert "Traceback" in Path(failed[0].log_path).read_text()


def test_a_killed_run_is_settled_and_its_stacks_redeployed(
    open_ws: Any, test_engine: ScriptedEngine, wide_fleet: Path, ledger_url: str
) -> None:
    from sqlalchemy import update

    from tenantwave.ledger import schema
    from tenantwave.planning.inventory import build_inventory

    ws = open_ws(wide_fleet, ledger_url)
    run(ws, test_engine, 1)
    stack = next(s for s in build_inventory(ws.project) if s.name == "production-us.silo.t07")
    dead = ws.ledger.start_run(release=RELEASE, command="up", engine="test")
    claim = ws.ledger.claim(
        run_id=dead, stack=stack, release=RELEASE, operation="up", fingerprint=None, stale_after=timedelta(minutes=2)
    )
    assert claim.granted
    with ws.ledger._get_engine().begin() as conn:  # the run died long ago: no heartbeat since
        past = utcnow() - timedelta(minutes=10)
        conn.execute(update(schema.claims).values(heartbeat_at=past))
        conn.execute(update(schema.runs).where(schema.runs.c.id == dead).values(heartbeat_at=past))
    report = run(ws, test_engine, 2)
    assert report.count("succeeded") == 12
    abandoned = [d for d in ws.ledger.deployments(stack=stack.name) if d.run_id == dead]
    assert [d.status for d in abandoned] == ["abandoned"]
    assert {r.id: r.status for r in ws.ledger.runs()}[dead] == "abandoned"


def test_simultaneous_runs_deploy_every_stack_once(
    open_ws: Any, test_engine: ScriptedEngine, wide_fleet: Path, ledger_url: str
) -> None:
    """Four runs of the same wave against one ledger (SQLite file, PostgreSQL): no double deployment."""
    ws = open_ws(wide_fleet, ledger_url)
    run(ws, test_engine, 1)
    test_engine.calls.clear()
    test_engine.default = Step(delay=0.05)
    reports: list[Any] = []

    def one_run() -> None:
        reports.append(run(open_ws(wide_fleet, ledger_url), test_engine, 2, concurrency=3))

    threads = [threading.Thread(target=one_run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deployed = test_engine.operations()
    assert sorted(deployed) == sorted(set(deployed)) and len(deployed) == 12
    successes = [d for d in ws.ledger.deployments(release=RELEASE) if d.status == "succeeded"]
    assert len(successes) == 13  # wave 1 + the 12 stacks of wave 2, each once
    assert sum(r.count("succeeded") for r in reports) == 12
    assert all(d.status != "running" for d in ws.ledger.deployments())
