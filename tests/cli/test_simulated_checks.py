"""Health checks under a simulating engine: an http check is reported as skipped (nothing was
deployed to answer it), a command check still runs (issue 16, point 11)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from support.clirunner import Platform
from support.healthserver import health_fleet
from support.testengine import SPEC, ScriptedEngine

pytestmark = pytest.mark.cli

NOWHERE = "http://127.0.0.1:9/healthz"  # the discard port: nothing answers


def fleet(root: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]) -> Path:
    checks = [
        {"name": "healthz", "kind": "http", "url": NOWHERE, "timeout_seconds": 1},
        {"name": "smoke", "kind": "command", "command": command},
    ]
    project = health_fleet(root, rollout={"checks": checks})
    monkeypatch.chdir(project)
    for name in ("PLATFORM_PROJECT", "PLATFORM_ENGINE", "PLATFORM_LEDGER_URL"):
        monkeypatch.delenv(name, raising=False)
    return project


@pytest.fixture
def platform(platform: Platform) -> Platform:
    return platform.with_engine(SPEC)


def test_http_checks_are_skipped_and_commands_run_when_simulated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, test_engine: ScriptedEngine, platform: Platform
) -> None:
    marker = tmp_path / "ran"
    project = fleet(tmp_path / "fleet", monkeypatch, [sys.executable, "-c", f"open({str(marker)!r}, 'a').write('x')"])
    test_engine.simulated = True
    up = platform("up", "--release", "1.4.0", "--wave", "1", "--yes")
    assert up.exit_code == 0, up.output
    assert "run RUN: 1 succeeded\n" in up.text
    assert marker.read_text() == "x"  # the command check ran
    log = next((project / ".platform" / "logs").glob("*/testing.pool.basic.log")).read_text()
    assert "--- http healthz on testing.pool.basic: skipped (0.0 s)\n" in log
    assert "check healthz skipped (simulated: nothing to GET)\n" in log
    verify = platform("verify", "--release", "1.4.0", "--wave", "1")
    assert verify.exit_code == 0
    assert "  ok      testing.pool.basic: 1 check(s) passed, 1 skipped (simulated)\n" in verify.text
    assert marker.read_text() == "xx"


def test_a_failing_command_check_still_fails_when_simulated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, test_engine: ScriptedEngine, platform: Platform
) -> None:
    fleet(tmp_path / "fleet", monkeypatch, [sys.executable, "-c", "raise SystemExit('alarms firing')"])
    test_engine.simulated = True
    up = platform("up", "--release", "1.4.0", "--wave", "1", "--yes")
    assert up.exit_code == 1
    assert "UNHEALTHY testing.pool.basic: check smoke failed" in up.text
    assert "healthz" not in up.text.split("UNHEALTHY", 1)[1].splitlines()[0]  # the http check is not blamed


def test_a_real_engine_still_runs_http_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, test_engine: ScriptedEngine, platform: Platform
) -> None:
    fleet(tmp_path / "fleet", monkeypatch, [sys.executable, "-c", "pass"])
    up = platform("up", "--release", "1.4.0", "--wave", "1", "--yes")
    assert up.exit_code == 1
    assert f"UNHEALTHY testing.pool.basic: check healthz failed: GET {NOWHERE}" in up.text
