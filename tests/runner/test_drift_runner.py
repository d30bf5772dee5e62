"""`platform drift`'s runner (rollout.drift) through the engine interface: the scripted test engine and a
real SQLite ledger. Claims, concurrency, failures and cancellation as in `up`; what it records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from support.testengine import ScriptedEngine, Step
from tenantwave.engine.base import CancelToken
from tenantwave.planning.selection import Targets
from tenantwave.rollout.drift import DriftChecker, DriftOptions, plan_drift
from tenantwave.rollout.driftreport import drift_lines
from tenantwave.rollout.prepare import prepare_rollout
from tenantwave.rollout.runner import Runner, RunOptions

pytestmark = pytest.mark.integration
RELEASE = "1.4.0"
DRIFTED = Step(drifted=(("update", "aws:sqs/queue:Queue", "jobs", ("tags",)),))


def _deploy(ws: Any, engine: ScriptedEngine, wave: int) -> None:
    plan = prepare_rollout(ws, RELEASE, wave=wave, targets=Targets())
    assert Runner(ws, engine, plan, RunOptions(concurrency=8, heartbeat_seconds=0.05)).run().status == "succeeded"


def _drift(ws: Any, engine: ScriptedEngine, *, concurrency: int = 4, cancel: CancelToken | None = None,
           targets: Targets | None = None, wave: int | None = None) -> Any:
    plan = plan_drift(ws, wave=wave, targets=targets or Targets())
    options = DriftOptions(concurrency=concurrency, heartbeat_seconds=0.05)
    return DriftChecker(ws, engine, plan, options, cancel=cancel).run()


@pytest.fixture
def fleet(open_ws: Any, test_engine: ScriptedEngine, wide_fleet: Path) -> Any:
    """The wide fleet deployed: the testing pool and 12 production silo stacks."""
    ws = open_ws(wide_fleet)
    _deploy(ws, test_engine, 1)
    _deploy(ws, test_engine, 2)
    test_engine.calls.clear()
    return ws


def test_checks_run_in_parallel_up_to_the_concurrency_and_are_recorded(fleet: Any, test_engine: ScriptedEngine) -> None:
    test_engine.default = Step(delay=0.15)
    report = _drift(fleet, test_engine, concurrency=5)
    assert report.status == "clean" and report.checked == 13
    assert test_engine.max_in_flight == 5
    assert sorted(test_engine.operations("preview_refresh")) == sorted(s.stack for s in report.stacks)
    checks = fleet.ledger.drift_checks(report.run_id)
    assert len(checks) == 13 and {c.status for c in checks} == {"clean"}
    assert {c.release for c in checks} == {RELEASE}
    (run,) = [r for r in fleet.ledger.runs() if r.id == report.run_id]
    assert (run.command, run.status, run.detail) == ("drift", "succeeded", "drift check of the fleet: 13 clean")
    assert fleet.ledger.held() == []  # every claim released


def test_a_stack_that_cannot_be_checked_does_not_stop_the_others(fleet: Any, test_engine: ScriptedEngine) -> None:
    test_engine.steps["production-us.silo.t00"] = Step(outcome="failed", error="AccessDenied: not authorized")
    test_engine.steps["production-us.silo.t01"] = DRIFTED
    report = _drift(fleet, test_engine, concurrency=1)
    statuses = {s.stack: s.status for s in report.stacks}
    assert statuses["production-us.silo.t00"] == "failed" and statuses["production-us.silo.t01"] == "drifted"
    assert sum(1 for s in statuses.values() if s == "clean") == 11
    assert report.status == "failed"  # exit 1: a stack could not be checked, even with drift found
    found = report.found()
    assert found is not None
    assert (found.scope, found.checked, [s.stack for s in found.stacks], found.tenants) == (
        "the fleet", 12, ["production-us.silo.t01"], ["t01"]
    )
    assert set(fleet.ledger.drift_marks()) == {"production-us.silo.t01"}


def test_a_stack_another_run_holds_is_held_and_checked_next_time(fleet: Any, test_engine: ScriptedEngine) -> None:
    from support.ledgertools import STALE_AFTER

    stack = next(s for s in plan_drift(fleet, wave=None, targets=Targets()).stacks if s.name.endswith("t05"))
    other = fleet.ledger.start_run(release=RELEASE, command="up", engine="test")
    assert fleet.ledger.claim(run_id=other, stack=stack, release=RELEASE, operation="up", fingerprint=None,
                              stale_after=STALE_AFTER).granted  # fmt: skip
    report = _drift(fleet, test_engine)
    held = report.with_status("held")
    assert [(s.stack, s.error) for s in held] == [(stack.name, f"held by run {other}: checked next time")]
    assert report.status == "held" and report.checked == 12
    assert stack.name not in test_engine.operations("preview_refresh")


def test_cancelled_before_the_first_check_checks_nothing_and_is_recorded(
    fleet: Any, test_engine: ScriptedEngine
) -> None:
    cancel = CancelToken()
    cancel.cancel()
    report = _drift(fleet, test_engine, cancel=cancel)
    assert {s.status for s in report.stacks} == {"not-started"}
    assert report.status == "failed" and report.cancelled
    assert test_engine.operations("preview_refresh") == []
    (run,) = [r for r in fleet.ledger.runs() if r.id == report.run_id]
    assert run.status == "cancelled"


def test_only_deployed_stacks_of_the_selection_are_checked(open_ws: Any, test_engine: ScriptedEngine,
                                                          wide_fleet: Path) -> None:
    ws = open_ws(wide_fleet)
    _deploy(ws, test_engine, 1)
    report = _drift(ws, test_engine, wave=2)
    assert report.run_id is None and report.status == "clean"
    assert {s.status for s in report.stacks} == {"not-deployed"} and len(report.stacks) == 12
    assert test_engine.operations("preview_refresh") == []
    report = _drift(ws, test_engine, targets=Targets(environments=("testing",)))
    assert [(s.stack, s.status) for s in report.stacks] == [("testing.pool.basic", "clean")]


def test_a_finding_the_ledger_cannot_take_is_reported_not_recorded_and_stops_new_checks(
    fleet: Any, test_engine: ScriptedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tenantwave.errors import LedgerError

    real = fleet.ledger.real() if hasattr(fleet.ledger, "real") else fleet.ledger
    test_engine.steps["testing.pool.basic"] = DRIFTED

    def unusable(**_: Any) -> bool:
        raise LedgerError("ledger sqlite:///x: disk I/O error")

    monkeypatch.setattr(real, "finish_check", unusable)
    report = _drift(fleet, test_engine, concurrency=1, targets=Targets(environments=("testing",)))
    (found,) = report.stacks
    assert (found.status, found.recorded, found.resources) == ("drifted", False, 1)
    assert report.stopped == "the ledger became unusable: ledger sqlite:///x: disk I/O error"
    assert report.status == "failed"
    assert drift_lines(report)[0] == (
        "DRIFTED testing.pool.basic: 1 resource drifted (untenanted) (NOT RECORDED: the ledger did not take it)"
    )


def test_a_bug_on_one_stack_fails_that_stack_and_the_others_are_checked(
    fleet: Any, test_engine: ScriptedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = fleet.ledger.real() if hasattr(fleet.ledger, "real") else fleet.ledger
    claim = real.claim_check

    def buggy(**kwargs: Any) -> Any:
        if kwargs["stack"].name == "production-us.silo.t03":
            raise RuntimeError("boom")
        return claim(**kwargs)

    monkeypatch.setattr(real, "claim_check", buggy)
    report = _drift(fleet, test_engine, concurrency=2)
    statuses = {s.stack: (s.status, s.error) for s in report.stacks}
    assert statuses.pop("production-us.silo.t03") == ("failed", "internal error: RuntimeError: boom")
    assert {status for status, _ in statuses.values()} == {"clean"} and len(statuses) == 12
    assert report.status == "failed"


def test_drift_on_an_early_wave_leaves_later_gates_open_and_the_next_up_of_its_wave_deploys_it_again(
    open_ws: Any, test_engine: ScriptedEngine, wide_fleet: Path
) -> None:
    ws = open_ws(wide_fleet)
    _deploy(ws, test_engine, 1)
    test_engine.steps["testing.pool.basic"] = DRIFTED
    assert _drift(ws, test_engine).status == "drifted"
    test_engine.steps.clear()
    wave2 = prepare_rollout(ws, RELEASE, wave=2, targets=Targets())
    assert wave2.gate is not None and wave2.gate.open, wave2.gate.reasons  # the release did complete wave 1
    _deploy(ws, test_engine, 2)
    wave1 = prepare_rollout(ws, RELEASE, wave=1, targets=Targets())
    (again,) = wave1.with_state("eligible")
    assert again.stack.name == "testing.pool.basic" and "drift found since its deployment" in again.reason
    test_engine.calls.clear()
    _deploy(ws, test_engine, 1)
    assert test_engine.operations("up") == ["testing.pool.basic"]
    assert ws.ledger.drift_marks() == {}


def test_a_bug_after_the_claim_fails_the_stack_records_it_and_releases_its_claim(
    fleet: Any, test_engine: ScriptedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tenantwave.rollout.drift as drift_module

    def buggy(found: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(drift_module, "bounded", buggy)
    test_engine.steps["testing.pool.basic"] = DRIFTED
    report = _drift(fleet, test_engine, targets=Targets(environments=("testing",)))
    (found,) = report.stacks
    assert (found.status, found.error, found.recorded) == ("failed", "internal error: RuntimeError: boom", True)
    assert fleet.ledger.held() == []  # released now, not once stale
    (check,) = fleet.ledger.drift_checks(report.run_id)
    assert (check.status, check.error) == ("failed", "internal error: RuntimeError: boom")
    assert "RuntimeError: boom" in Path(found.log_path or "").read_text()
