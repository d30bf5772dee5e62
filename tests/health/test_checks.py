"""Health checks against a real HTTP server on loopback, and command checks and hooks."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from support.healthserver import Answer, HealthServer
from tenantwave.config.checks import CommandCheck, Hook, HttpCheck
from tenantwave.planning.inventory import Stack
from tenantwave.rollout.checks import CheckTarget, failure_summary, http_check, render_url, run_check, run_hook

pytestmark = pytest.mark.unit

STACK = Stack(
    name="staging.pool.basic",
    environment="staging",
    phase="staging",
    phase_index=1,
    kind="pool",
    tier="basic",
    tenant=None,
    tenants=("acme", "bolt"),
    wave_key=(1, 1),
)


def target(server: HealthServer | None = None, **outputs: Any) -> CheckTarget:
    if server is not None:
        outputs.setdefault("endpoint", server.base)
    return CheckTarget(STACK, "1.4.0", outputs, current_release="1.3.0")


def http(**fields: Any) -> HttpCheck:
    return HttpCheck.model_validate({"kind": "http", "name": "healthz", "url": "{outputs.endpoint}/healthz", **fields})


def test_healthy_endpoint_passes(health_server: HealthServer) -> None:
    health_server.script["/healthz"] = [Answer(200, '{"status": "ok"}')]
    result = http_check(http(body_contains='"ok"'), target(health_server))
    assert result.passed
    assert result.summary == f"check healthz passed: GET {health_server.base}/healthz: HTTP 200"


def test_server_error_fails_with_status_and_body(health_server: HealthServer) -> None:
    health_server.script["/healthz"] = [Answer(500, "database unreachable")]
    result = http_check(http(), target(health_server))
    assert not result.passed
    assert result.summary == (
        f"check healthz failed: GET {health_server.base}/healthz: HTTP 500, expected 200 (body: database unreachable)"
    )
    assert health_server.hits["/healthz"] == 1


def test_timeout_fails_after_every_attempt(health_server: HealthServer) -> None:
    health_server.script["/healthz"] = [Answer(200, "ok", delay=1.0)]
    naps: list[float] = []
    result = http_check(
        http(timeout_seconds=0.2, retries=1, retry_delay_seconds=0.5), target(health_server), naps.append
    )
    assert not result.passed
    assert result.summary.endswith("/healthz: no answer within 0.2 s after 2 attempts")
    assert naps == [0.5] and health_server.hits["/healthz"] == 2
    assert result.output.count("no answer within 0.2 s") == 2


def test_slow_then_healthy_passes_within_retries(health_server: HealthServer) -> None:
    health_server.script["/healthz"] = [Answer(200, "ok", delay=1.0), Answer(503, "warming up"), Answer(200, "ok")]
    started = time.monotonic()
    result = http_check(http(timeout_seconds=0.3, retries=3, retry_delay_seconds=0.05), target(health_server))
    assert result.passed and health_server.hits["/healthz"] == 3
    assert time.monotonic() - started < 5
    assert result.output.splitlines() == [
        f"attempt 1: GET {health_server.base}/healthz: no answer within 0.3 s",
        f"attempt 2: GET {health_server.base}/healthz: HTTP 503, expected 200 (body: warming up)",
        f"attempt 3: GET {health_server.base}/healthz: HTTP 200",
    ]


def test_retries_give_up_when_the_endpoint_stays_unhealthy(health_server: HealthServer) -> None:
    health_server.script["/healthz"] = [Answer(503, "warming up")]
    result = http_check(http(retries=2, retry_delay_seconds=0), target(health_server))
    assert not result.passed and health_server.hits["/healthz"] == 3
    assert result.summary.endswith("HTTP 503, expected 200 (body: warming up) after 3 attempts")


def test_body_match_and_expected_status(health_server: HealthServer) -> None:
    health_server.script["/healthz"] = [Answer(200, "version=1.3.0")]
    health_server.script["/gone"] = [Answer(410, "")]
    wrong = http_check(http(body_regex=r"version=1\.4\.\d+"), target(health_server))
    assert not wrong.passed and "does not match /version=1\\.4\\.\\d+/ (body: version=1.3.0)" in wrong.summary
    assert http_check(http(url="{outputs.endpoint}/gone", expect_status=410), target(health_server)).passed


def test_url_placeholders_and_a_missing_output() -> None:
    check = http(url="{outputs.endpoint}/t/{environment}/{stack}?r={release}&tier={tier}&k={kind}")
    assert render_url(check.url, target(endpoint="http://svc")) == (
        "http://svc/t/staging/staging.pool.basic?r=1.4.0&tier=basic&k=pool"
    )
    result = http_check(check, target(namespace="basic"))
    assert not result.passed
    assert (
        result.summary
        == "check healthz failed: cannot build its URL: the stack has no output 'endpoint' (its outputs: namespace)"
    )


def test_unreachable_server_fails_plainly() -> None:
    result = http_check(http(timeout_seconds=1), target(endpoint="http://127.0.0.1:9"))
    assert not result.passed and "cannot connect" in result.summary


def test_command_check_receives_environment_and_json(tmp_path: Path, recorder: Path) -> None:
    check = CommandCheck(
        kind="command", name="alarms", command=[sys.executable, str(recorder), str(tmp_path / "out"), "check"]
    )
    result = run_check(check, target(endpoint="http://svc", table_name="t-1"), tmp_path)
    assert result.passed and result.summary.startswith("check alarms passed: `")
    record = json.loads((tmp_path / "out" / "check-staging.pool.basic.json").read_text())
    assert record["env"] == {
        "PLATFORM_STACK": "staging.pool.basic",
        "PLATFORM_KIND": "pool",
        "PLATFORM_TIER": "basic",
        "PLATFORM_TENANT": "",
        "PLATFORM_TENANTS": "acme,bolt",
        "PLATFORM_ENVIRONMENT": "staging",
        "PLATFORM_PHASE": "staging",
        "PLATFORM_RELEASE": "1.4.0",
        "PLATFORM_CURRENT_RELEASE": "1.3.0",
        "PLATFORM_OUTPUTS": '{"endpoint": "http://svc", "table_name": "t-1"}',
    }
    assert record["stdin"] == {
        "stack": "staging.pool.basic",
        "kind": "pool",
        "tier": "basic",
        "tenant": None,
        "tenants": ["acme", "bolt"],
        "environment": "staging",
        "phase": "staging",
        "release": "1.4.0",
        "current_release": "1.3.0",
        "outputs": {"endpoint": "http://svc", "table_name": "t-1"},
    }
    assert Path(record["cwd"]) == tmp_path


def test_command_check_fails_on_non_zero_exit_with_its_last_line(tmp_path: Path, recorder: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "exit").write_text("3")
    check = CommandCheck(kind="command", name="alarms", command=[sys.executable, str(recorder), str(tmp_path / "out")])
    result = run_check(check, target(), tmp_path)
    assert not result.passed
    assert result.summary.endswith("exited 3: call for staging.pool.basic: exit 3")
    assert "call for staging.pool.basic: exit 3" in result.output
    assert failure_summary([result]) == result.summary


def test_command_timeout_and_missing_program(tmp_path: Path) -> None:
    slow = CommandCheck(
        kind="command", name="slow", command=[sys.executable, "-c", "import time; time.sleep(5)"], timeout_seconds=0.3
    )
    started = time.monotonic()
    result = run_check(slow, target(), tmp_path)
    assert not result.passed and result.summary.endswith("timed out after 0.3 s") and time.monotonic() - started < 4
    missing = run_check(CommandCheck(kind="command", name="nope", command=["./no-such-program"]), target(), tmp_path)
    assert not missing.passed and "cannot run `./no-such-program`" in missing.summary


def test_hook_result_is_labelled_as_the_hook(tmp_path: Path) -> None:
    result = run_hook(Hook(command=[sys.executable, "-c", "print('backup done')"]), target(), tmp_path)
    assert result.passed and result.kind == "hook"
    assert result.summary.startswith("before_deploy hook passed")
    assert result.log_text("s").startswith("--- hook before_deploy on s: passed (")
