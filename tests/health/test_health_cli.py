"""`platform verify`, `platform rollback`, `up --skip-hooks` and auto_rollback through click's CliRunner."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from support.clirunner import Platform
from support.healthserver import Answer, HealthServer, health_fleet
from support.testengine import SPEC, ScriptedEngine, Step
from tenantwave.ledger import Ledger

pytestmark = pytest.mark.cli

LEDGER = f"ledger: .platform/ledger.db (from platform.yaml); engine: {SPEC}\n"  # every command states it first
HEALTHZ = {"kind": "http", "name": "healthz", "url": "{outputs.endpoint}/{stack}/healthz", "timeout_seconds": 2}
STACKS = ("testing.pool.basic", "staging.pool.basic", "staging.silo.zeta")


@pytest.fixture
def chdir(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("PLATFORM_ENGINE", raising=False)
    monkeypatch.delenv("PLATFORM_LEDGER_URL", raising=False)
    return monkeypatch.chdir


@pytest.fixture
def platform(platform: Platform) -> Platform:
    """`platform --engine <the scripted test engine> ARGS`."""
    return platform.with_engine(SPEC)


def ledger(root: Path) -> Ledger:
    return Ledger(f"sqlite:///{root / '.platform' / 'ledger.db'}")


def served(tmp_path: Path, chdir: Any, engine: ScriptedEngine, server: HealthServer, **rollout: Any) -> Path:
    root = health_fleet(tmp_path / "fleet", rollout={"checks": [HEALTHZ], **rollout})
    chdir(root)
    for stack in STACKS:
        engine.stack_outputs[stack] = {"endpoint": server.base}
        server.script[f"/{stack}/healthz"] = [Answer(200, "ok")]
    return root


def test_up_reports_an_unhealthy_stack_and_its_log(
    tmp_path: Path, chdir: Any, test_engine: ScriptedEngine, health_server: HealthServer, platform: Platform
) -> None:
    root = served(tmp_path, chdir, test_engine, health_server)
    health_server.script["/testing.pool.basic/healthz"] = [Answer(500, "boom")]
    result = platform("up", "--release", "1.4.0", "--wave", "1")
    assert result.exit_code == 1
    url = f"{health_server.base}/testing.pool.basic/healthz"
    assert f"UNHEALTHY testing.pool.basic: check healthz failed: GET {url}: HTTP 500, expected 200 (body: boom)\n" in (
        result.text
    )
    assert result.text.endswith(
        "run RUN: 1 unhealthy\n  testing.pool.basic: log " + str(root / ".platform/logs/RUN/testing.pool.basic.log\n")
    )
    gate = platform("up", "--release", "1.4.0", "--wave", "2")
    assert gate.exit_code == 3 and "unhealthy: testing.pool.basic: check healthz failed" in gate.text


def test_verify_exact_output_and_exit_codes(
    tmp_path: Path, chdir: Any, test_engine: ScriptedEngine, health_server: HealthServer, platform: Platform
) -> None:
    root = served(tmp_path, chdir, test_engine, health_server)
    platform("up", "--release", "1.4.0", "--wave", "1")
    ok = platform("verify", "--release", "1.4.0", "--wave", "1")
    assert (ok.exit_code, ok.text) == (
        0,
        LEDGER
        + "verify 1.4.0, wave 1 (phase testing): 1 stack(s)\n"
        "  ok      testing.pool.basic: 1 check(s) passed\n"
        "run RUN: 1 stack(s) healthy\n",
    )
    health_server.script["/testing.pool.basic/healthz"] = [Answer(503, "")]
    bad = platform("verify", "--release", "1.4.0", "--wave", "1")
    url = f"{health_server.base}/testing.pool.basic/healthz"
    assert bad.exit_code == 1
    assert bad.text == (
        LEDGER
        + "verify 1.4.0, wave 1 (phase testing): 1 stack(s)\n"
        f"  FAILED  testing.pool.basic: check healthz failed: GET {url}: HTTP 503, expected 200 "
        f"(log {root}/.platform/logs/RUN/testing.pool.basic.log)\n"
        "run RUN: 1 of 1 stack(s) failed: testing.pool.basic: "
        f"check healthz failed: GET {url}: HTTP 503, expected 200\n"
    )
    log = next((root / ".platform" / "logs").glob("*/testing.pool.basic.log"), None)
    assert log is not None
    runs = ledger(root).runs()
    assert [(r.command, r.wave, r.status) for r in runs[:2]] == [("verify", 1, "failed"), ("verify", 1, "succeeded")]
    assert ledger(root).deployments(stack="testing.pool.basic")[-1].status == "unhealthy"
    missing = platform("verify", "--release", "1.4.0", "--wave", "2", "--json")
    report = json.loads(missing.output)
    assert missing.exit_code == 1 and report["passed"] is False
    assert report["stacks"][0]["summary"] == "not on 1.4.0 (not deployed): not checked"


def test_verify_without_checks_and_bad_wave(
    tmp_path: Path, chdir: Any, test_engine: ScriptedEngine, platform: Platform
) -> None:
    chdir(health_fleet(tmp_path / "fleet", rollout={}))
    none = platform("verify", "--release", "1.4.0", "--wave", "1")
    assert (none.exit_code, none.text) == (
        0,
        LEDGER + "wave 1 (phase testing) has no health checks: nothing to verify\n",
    )
    bad = platform("verify", "--release", "1.4.0", "--wave", "9")
    assert (bad.exit_code, bad.text) == (2, LEDGER + "error: --wave 9: this project has waves 1 to 3\n")


def test_up_skip_hooks_is_recorded(tmp_path: Path, chdir: Any, test_engine: ScriptedEngine, platform: Platform) -> None:
    hook = {"before_deploy": {"command": [sys.executable, "-c", "import sys; print('no backup'); sys.exit(4)"]}}
    root = health_fleet(tmp_path / "fleet", rollout={}, basic=hook)
    chdir(root)
    failed = platform("up", "--release", "1.4.0", "--wave", "1")
    assert failed.exit_code == 1
    assert "FAILED testing.pool.basic: not deployed: before_deploy hook failed: `" in failed.text
    assert "exited 4: no backup\n" in failed.text and test_engine.calls == []
    skipped = platform("up", "--release", "1.4.0", "--wave", "1", "--skip-hooks")
    assert skipped.exit_code == 0 and test_engine.operations() == ["testing.pool.basic"]
    assert [(r.status, r.detail) for r in ledger(root).runs()] == [
        ("succeeded", "before_deploy hooks skipped (--skip-hooks)"),
        ("failed", None),
    ]


def test_rollback_command(tmp_path: Path, chdir: Any, test_engine: ScriptedEngine, platform: Platform) -> None:
    root = health_fleet(tmp_path / "fleet", rollout={})
    chdir(root)
    for release in ("1.3.0", "1.4.0"):
        for wave in ("1", "2"):
            assert platform("up", "--release", release, "--wave", wave).exit_code == 0
    result = platform("rollback", "--wave", "2", "--yes")
    assert result.exit_code == 0
    assert result.text == (
        LEDGER
        + "  rollback staging.pool.basic: roll back from 1.4.0 to 1.3.0\n"
        "run RUN: 1 stack(s); logs in .platform/logs/RUN\n"
        "start staging.pool.basic\n"
        "  staging.pool.basic: 0/4 resources\n"
        "  staging.pool.basic: 4/4 resources\n"
        "ok staging.pool.basic: +4 ~0 -0 +-0\n"
        "changes: +4 created, ~0 updated, -0 deleted, +-0 replaced, 0 unchanged\n"
        "run RUN: 1 succeeded\n"
    )
    last = ledger(root).deployments(stack="staging.pool.basic")[-1]
    assert (last.operation, last.release, last.status) == ("rollback", "1.3.0", "succeeded")
    assert ledger(root).deployments(stack="testing.pool.basic")[-1].release == "1.4.0"  # other waves untouched
    nothing = platform("rollback", "--stack", "staging.silo.zeta")
    assert (nothing.exit_code, nothing.text) == (
        3,
        LEDGER
        + "  skip     staging.silo.zeta: never deployed\nnothing rolled back\n",
    )
    both = platform("rollback", "--wave", "1", "--stack", "staging.silo.zeta")
    assert (both.exit_code, both.text) == (
        2,
        "error: choose what to roll back: --wave N, or --stack NAME / --tenant ID (not both)\n",
    )


def test_auto_rollback_of_a_waves_failed_and_unhealthy_stacks(
    tmp_path: Path, chdir: Any, test_engine: ScriptedEngine, health_server: HealthServer, platform: Platform
) -> None:
    root = served(tmp_path, chdir, test_engine, health_server, phases={"staging": {"auto_rollback": True}})
    for release, waves in (("1.3.0", "123"), ("1.4.0", "12")):
        for wave in waves:
            assert platform("up", "--release", release, "--wave", wave).exit_code == 0
    test_engine.steps["staging.silo.zeta@1.4.0"] = Step("failed", error="Error: boom")
    result = platform("up", "--release", "1.4.0", "--wave", "3", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert [(s["name"], s["result"]) for s in report["stacks"]] == [("staging.silo.zeta", "failed")]
    rolled = report["auto_rollback"]
    assert rolled["stacks"] == [
        {"name": "staging.silo.zeta", "running": "1.4.0", "target": "1.3.0",
         "reason": "roll back from 1.4.0 to 1.3.0"},
    ]  # fmt: skip
    assert [(r["release"], [(s["name"], s["result"]) for s in r["stacks"]]) for r in rolled["runs"]] == [
        ("1.3.0", [("staging.silo.zeta", "succeeded")])
    ]
    # an unhealthy stack goes back to its previous release; the wave before it is left alone
    assert platform("up", "--release", "1.5.0", "--wave", "1").exit_code == 0
    health_server.script["/staging.pool.basic/healthz"] = [Answer(500, "bad"), Answer(200, "ok")]
    health_server.hits.clear()  # the script plays from its first answer again
    up = platform("up", "--release", "1.5.0", "--wave", "2")
    assert up.exit_code == 1
    assert "UNHEALTHY staging.pool.basic: check healthz failed" in up.text
    assert (
        "auto_rollback: 1 failed or unhealthy stack(s)\n  rollback staging.pool.basic: roll back from 1.5.0 to 1.4.0\n"
        in (up.text)
    )
    assert up.text.endswith("ok staging.pool.basic: +4 ~0 -0 +-0\nchanges: +4 created, ~0 updated, -0 deleted, "
                            "+-0 replaced, 0 unchanged\nrun RUN: 1 succeeded\n")  # fmt: skip
    records = ledger(root).deployments(stack="staging.pool.basic")
    assert [(r.operation, r.release, r.status) for r in records[-2:]] == [
        ("up", "1.5.0", "unhealthy"),
        ("rollback", "1.4.0", "succeeded"),
    ]
    assert ledger(root).deployments(stack="testing.pool.basic")[-1].release == "1.5.0"  # wave 1 untouched
    # verifying the release it was rolled back from checks nothing there and changes no record
    verify = platform("verify", "--release", "1.5.0", "--wave", "2", "--json")
    assert verify.exit_code == 1
    assert json.loads(verify.output)["stacks"][0]["summary"] == (
        "not on 1.5.0 (rollback 1.4.0 succeeded since): not checked"
    )
    assert [r.status for r in ledger(root).deployments(stack="staging.pool.basic")[-2:]] == ["unhealthy", "succeeded"]
