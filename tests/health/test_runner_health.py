"""Checks after each stack, before-deploy hooks and the wave gate, through the runner and the test engine."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from support.healthserver import Answer, HealthServer, health_fleet
from support.testengine import ScriptedEngine
from tenantwave.ledger import store
from tenantwave.ledger.store import utcnow
from tenantwave.planning.selection import Targets
from tenantwave.rollout.prepare import prepare_rollout
from tenantwave.rollout.runner import Runner, RunOptions
from tenantwave.rollout.verify import verify_wave

pytestmark = pytest.mark.integration
RELEASE = "1.4.0"
STAGING = "staging.pool.basic"


def healthz(**extra: Any) -> dict[str, Any]:
    return {"kind": "http", "name": "healthz", "url": "{outputs.endpoint}/{stack}/healthz", **extra}


def run(
    ws: Any,
    engine: ScriptedEngine,
    wave: int | None = None,
    *,
    release: str = RELEASE,
    now: Any = None,
    stacks: tuple[str, ...] = (),
    **options: Any,
) -> Any:
    plan = prepare_rollout(ws, release, wave=wave, targets=Targets(stacks=stacks), now=now)
    return Runner(ws, engine, plan, RunOptions(concurrency=2, heartbeat_seconds=0.05, **options)).run()


def serve(engine: ScriptedEngine, server: HealthServer, *stacks: str) -> None:
    for stack in stacks:
        engine.stack_outputs[stack] = {"endpoint": server.base}
        server.script.setdefault(f"/{stack}/healthz", [Answer(200, "ok")])


def test_healthy_stack_succeeds_and_its_checks_are_in_its_log(
    tmp_path: Path, open_ws: Any, test_engine: ScriptedEngine, health_server: HealthServer
) -> None:
    ws = open_ws(health_fleet(tmp_path / "p", rollout={"checks": [healthz()]}))
    serve(test_engine, health_server, "testing.pool.basic")
    report = run(ws, test_engine, 1)
    assert [(o.stack, o.status) for o in report.outcomes] == [("testing.pool.basic", "succeeded")]
    log = Path(report.outcomes[0].log_path).read_text()
    assert log.startswith("test engine: testing.pool.basic 1.4.0\n--- http healthz on testing.pool.basic: passed (")
    assert health_server.hits == {"/testing.pool.basic/healthz": 1}


def test_failed_check_marks_the_stack_unhealthy_and_the_gate_names_the_check(
    tmp_path: Path, open_ws: Any, test_engine: ScriptedEngine, health_server: HealthServer
) -> None:
    ws = open_ws(health_fleet(tmp_path / "p", rollout={"checks": [healthz()]}))
    serve(test_engine, health_server, "testing.pool.basic", STAGING)
    health_server.script["/testing.pool.basic/healthz"] = [Answer(500, "boom")]
    report = run(ws, test_engine, 1)
    outcome = report.outcomes[0]
    url = f"{health_server.base}/testing.pool.basic/healthz"
    assert (outcome.status, outcome.error) == (
        "unhealthy",
        f"check healthz failed: GET {url}: HTTP 500, expected 200 (body: boom)",
    )
    assert report.status == "failed"
    (record,) = ws.ledger.deployments(stack="testing.pool.basic")
    assert (record.status, record.error) == ("unhealthy", outcome.error)
    assert "attempt 1: GET " in Path(outcome.log_path).read_text()
    gate = run(ws, test_engine, 2).plan.gate
    assert gate.reasons == (
        "wave 1 has 1 failed stack (testing.pool.basic), over its failure budget of 0: fix and rerun wave 1; "
        f"unhealthy: testing.pool.basic: check healthz failed: GET {url}: HTTP 500, expected 200 (body: boom)",
    )
    # an unhealthy stack is not on the release: rerunning the wave retries it
    health_server.script["/testing.pool.basic/healthz"] = [Answer(200, "ok")]
    assert run(ws, test_engine, 1).outcomes[0].status == "succeeded"
    assert run(ws, test_engine, 2).count("succeeded") == 1


def test_unhealthy_stacks_spend_the_failure_budget(
    tmp_path: Path, open_ws: Any, test_engine: ScriptedEngine, health_server: HealthServer
) -> None:
    ws = open_ws(health_fleet(tmp_path / "p", rollout={"checks": [healthz()], "failure_budget": 1}))
    run(ws, test_engine, 1)  # the default test outputs point nowhere: unhealthy, within the budget of 1
    assert ws.ledger.deployments(stack="testing.pool.basic")[0].status == "unhealthy"
    assert run(ws, test_engine, 2).plan.gate.open


def test_failing_before_deploy_hook_prevents_the_update(
    tmp_path: Path, open_ws: Any, test_engine: ScriptedEngine, recorder: Path
) -> None:
    out = tmp_path / "hook"
    hook = {"before_deploy": {"command": [sys.executable, str(recorder), str(out), "backup"]}}
    ws = open_ws(health_fleet(tmp_path / "p", rollout={}, basic=hook))
    assert run(ws, test_engine, 1).outcomes[0].status == "succeeded"
    first = json.loads((out / "backup-testing.pool.basic.json").read_text())
    assert first["env"]["PLATFORM_CURRENT_RELEASE"] == "" and first["stdin"]["outputs"] == {}
    out.joinpath("exit").write_text("1")
    report = run(ws, test_engine, 1, release="1.5.0")
    outcome = report.outcomes[0]
    assert outcome.status == "failed" and report.status == "failed"
    assert outcome.error.startswith("not deployed: before_deploy hook failed: `")
    assert outcome.error.endswith("exited 1: backup for testing.pool.basic: exit 1")
    assert test_engine.operations() == ["testing.pool.basic"]  # 1.4.0 only: 1.5.0 never reached the engine
    second = json.loads((out / "backup-testing.pool.basic.json").read_text())
    assert second["env"]["PLATFORM_RELEASE"] == "1.5.0" and second["env"]["PLATFORM_CURRENT_RELEASE"] == RELEASE
    assert second["stdin"]["outputs"] == {"endpoint": "http://testing.pool.basic.example.test"}
    log = Path(outcome.log_path).read_text()
    assert log.startswith("--- hook before_deploy on testing.pool.basic: FAILED (") and "exit 1" in log
    assert [r.status for r in ws.ledger.deployments(stack="testing.pool.basic")] == ["succeeded", "failed"]


def test_skip_hooks_is_recorded_on_the_run_and_in_the_log(
    tmp_path: Path, open_ws: Any, test_engine: ScriptedEngine, recorder: Path
) -> None:
    out = tmp_path / "hook"
    out.mkdir()
    out.joinpath("exit").write_text("1")
    hook = {"before_deploy": {"command": [sys.executable, str(recorder), str(out), "backup"]}}
    ws = open_ws(health_fleet(tmp_path / "p", rollout={}, basic=hook))
    report = run(ws, test_engine, 1, skip_hooks=True)
    assert report.outcomes[0].status == "succeeded" and report.status == "succeeded"
    assert not list(out.glob("backup-*.json"))
    (recorded,) = ws.ledger.runs()
    assert recorded.detail == "before_deploy hooks skipped (--skip-hooks)"
    assert Path(report.outcomes[0].log_path).read_text().startswith("--- before_deploy hooks skipped (--skip-hooks)\n")
    run(ws, test_engine, 1, release="1.5.0")  # a run without the flag records nothing of the kind
    assert ws.ledger.runs()[0].detail is None


def test_after_the_bake_the_gate_waits_for_a_passing_verify(
    tmp_path: Path,
    open_ws: Any,
    test_engine: ScriptedEngine,
    health_server: HealthServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ws = open_ws(health_fleet(tmp_path / "p", rollout={"checks": [healthz()], "bake_minutes": 30}))
    serve(test_engine, health_server, "testing.pool.basic")
    run(ws, test_engine, 1)
    baking = prepare_rollout(ws, RELEASE, wave=2, targets=Targets()).gate
    assert not baking.open and "bakes for 30 min" in baking.reason
    later = utcnow() + timedelta(minutes=31)
    waiting = prepare_rollout(ws, RELEASE, wave=2, targets=Targets(), now=later).gate
    assert waiting.reasons[0].endswith(
        "its health checks must pass again after the bake: run `platform verify --release 1.4.0 --wave 1`"
    )
    # a verify before the bake ended does not count; one after it does
    assert verify_wave(ws, test_engine, RELEASE, 1).passed
    assert not prepare_rollout(ws, RELEASE, wave=2, targets=Targets(), now=later).gate.open
    health_server.script["/testing.pool.basic/healthz"] = [Answer(503, "degraded")]
    monkeypatch.setattr(store, "utcnow", lambda: later)  # the next verify starts after the bake
    failed = verify_wave(ws, test_engine, RELEASE, 1)
    assert not failed.passed and failed.verdicts[0].summary.startswith("check healthz failed: GET ")
    assert ws.ledger.deployments(stack="testing.pool.basic")[-1].status == "unhealthy"
    closed = prepare_rollout(ws, RELEASE, wave=2, targets=Targets(), now=later + timedelta(minutes=1)).gate
    assert closed.reasons[0].startswith("wave 1 has 1 failed stack (testing.pool.basic)")
    assert "unhealthy: testing.pool.basic: check healthz failed" in closed.reasons[0]
    health_server.script["/testing.pool.basic/healthz"] = [Answer(200, "ok")]
    monkeypatch.setattr(store, "utcnow", lambda: later + timedelta(minutes=1))
    assert verify_wave(ws, test_engine, RELEASE, 1).passed  # healthy again: the record is succeeded again
    assert ws.ledger.deployments(stack="testing.pool.basic")[-1].status == "succeeded"
    assert prepare_rollout(ws, RELEASE, wave=2, targets=Targets(), now=later + timedelta(minutes=2)).gate.open


def test_a_tier_wave_runs_its_own_checks(
    tmp_path: Path, open_ws: Any, test_engine: ScriptedEngine, health_server: HealthServer
) -> None:
    zeta = {"kind": "http", "name": "zeta-ready", "url": "{outputs.endpoint}/ready"}
    rollout = {"checks": [healthz()], "phases": {"staging": {"waves": {2: {"checks": [zeta]}}}}}
    ws = open_ws(health_fleet(tmp_path / "p", rollout=rollout))
    serve(test_engine, health_server, "testing.pool.basic", STAGING, "staging.silo.zeta")
    health_server.script["/ready"] = [Answer(503, "not ready")]
    for wave in (1, 2):
        assert run(ws, test_engine, wave).count("succeeded") == 1
    (outcome,) = run(ws, test_engine, 3).outcomes
    assert outcome.status == "unhealthy" and outcome.error.startswith("check zeta-ready failed: GET ")
    assert "/staging.silo.zeta/healthz" not in health_server.hits  # the phase's check is replaced
