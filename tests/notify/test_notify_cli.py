"""Notifications from the commands (issue 19): `up`, `rollback` and auto_rollback tell the webhooks of
platform.yaml `notify` what happened, against a real HTTP server on loopback; a webhook that is down, slow
or failing never changes what was deployed, the output about it, or the exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from support.clirunner import Platform
from support.fleet import write_project
from support.testengine import SPEC, ScriptedEngine, Step
from support.webhookserver import Reply, WebhookServer, refused_url

pytestmark = pytest.mark.cli

STAGING, PRODUCTION = "staging.pool.basic", "production.pool.basic"


def fleet(root: Path, notify: list[dict[str, Any]] | None, **rollout: Any) -> Path:
    """Wave 1: staging.pool.basic; wave 2: production.pool.basic, whose phase asks for an approval."""
    extra = {} if notify is None else {"notify": notify}
    return write_project(
        root,
        tiers={"basic": {"model": "pool", "wave": 1}},
        tenants={"acme": {"tier": "basic", "environments": ["staging", "production"]}},
        lifecycle=[{"phase": "staging", "environments": ["staging"]},
                   {"phase": "production", "environments": ["production"]}],
        rollout={"phases": {"production": {"approval": True}}, **rollout},
        **extra,
    )


@pytest.fixture
def platform(platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Platform:
    monkeypatch.chdir(tmp_path)
    for name in ("PLATFORM_PROJECT", "PLATFORM_ENGINE", "PLATFORM_LEDGER_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PLATFORM_ACTOR", "ops-alice")
    return platform.with_engine(SPEC)


def events(server: WebhookServer, path: str = "/hook") -> list[str]:
    return [body["event"] for body in server.bodies(path)]


def test_a_wave_tells_its_start_its_end_and_the_approval_the_next_wave_needs(
    tmp_path: Path, server: WebhookServer, test_engine: ScriptedEngine, platform: Platform,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPS_HOOK", server.url("/hook"))
    monkeypatch.setenv("CHAT_HOOK", server.url("/chat"))
    fleet(tmp_path / "p", [{"url_env": "OPS_HOOK"},
                           {"name": "chat", "url_env": "CHAT_HOOK", "format": "slack", "events": ["approval_needed"]}])
    monkeypatch.chdir(tmp_path / "p")
    result = platform("up", "--release", "1.4.0", "--wave", "1", "--yes")
    assert result.exit_code == 0
    assert result.stdout.endswith("run RUN: 1 succeeded\nnotifications: 4 sent\n".replace("RUN", result.run_id or ""))
    assert events(server) == ["run_started", "run_finished", "approval_needed"]
    started, finished, approval = server.bodies("/hook")
    assert started["details"]["stacks"] == [STAGING]
    assert finished["title"] == f"up 1.4.0 wave 1 succeeded: 1 succeeded (run {result.run_id})"
    assert approval["details"]["command"] == "platform approve --release 1.4.0 --wave 2"
    assert server.bodies("/chat") == [{"text": "*wave 2 of 1.4.0 (phase production) needs an approval*\n"
                                               "• to let it go ahead, run: platform approve --release 1.4.0 --wave 2"}]


def test_an_approval_a_ring_asks_for_is_needed_too(
    tmp_path: Path, server: WebhookServer, test_engine: ScriptedEngine, platform: Platform,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The production phase asks for no approval, its ring `late` does (rollout.phases.P.rings.R)."""
    monkeypatch.setenv("OPS_HOOK", server.url("/hook"))
    write_project(
        tmp_path / "p",
        tiers={"basic": {"model": "pool", "wave": 1}},
        tenants={"acme": {"tier": "basic", "environments": ["staging", "production"], "tags": {"ring": "late"}}},
        lifecycle=[{"phase": "staging", "environments": ["staging"]},
                   {"phase": "production", "environments": ["production"]}],
        rollout={"rings": ["early", "late"], "phases": {"production": {"rings": {"late": {"approval": True}}}}},
        notify=[{"url_env": "OPS_HOOK", "events": ["approval_needed"]}],
    )
    monkeypatch.chdir(tmp_path / "p")
    assert platform("up", "--release", "1.4.0", "--wave", "1", "--yes").exit_code == 0
    (approval,) = server.bodies("/hook")
    assert approval["details"]["command"] == "platform approve --release 1.4.0 --wave 2"


def test_a_closed_gate_says_why_and_which_approval_it_needs(
    tmp_path: Path, server: WebhookServer, test_engine: ScriptedEngine, platform: Platform,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPS_HOOK", server.url("/hook"))
    fleet(tmp_path / "p", [{"url_env": "OPS_HOOK", "events": ["gate_closed", "approval_needed"]}])
    monkeypatch.chdir(tmp_path / "p")
    assert platform("up", "--release", "1.4.0", "--wave", "1", "--yes").exit_code == 0
    result = platform("up", "--release", "1.4.0", "--wave", "2", "--yes", "--json")
    assert result.exit_code == 3
    assert result.json()["notifications"] == {"sent": 2, "failed": []}  # this command's: gate and approval
    gate, approval = server.bodies("/hook")[1:]
    assert gate["event"] == "gate_closed"
    assert gate["details"]["reasons"] == [
        "wave 2 (phase production) needs an approval: run `platform approve --release 1.4.0 --wave 2`"
    ]
    assert approval["event"] == "approval_needed"
    assert approval["details"] == {"release": "1.4.0", "wave": 2, "phase": "production",
                                   "command": "platform approve --release 1.4.0 --wave 2"}


def test_a_failed_run_gives_each_failure_its_reason(
    tmp_path: Path, server: WebhookServer, test_engine: ScriptedEngine, platform: Platform,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPS_HOOK", server.url("/hook"))
    fleet(tmp_path / "p", [{"url_env": "OPS_HOOK", "events": ["run_finished"]}])
    monkeypatch.chdir(tmp_path / "p")
    test_engine.steps[STAGING] = Step("failed", error="Error: quota exceeded")
    result = platform("up", "--release", "1.4.0", "--wave", "1", "--yes")
    assert result.exit_code == 1
    (finished,) = server.bodies("/hook")
    assert finished["details"]["failures"] == [
        {"stack": STAGING, "result": "failed", "reason": "Error: quota exceeded"}
    ]
    assert finished["details"]["status"] == "failed"


def test_a_rollback_is_told_when_it_is_done(
    tmp_path: Path, server: WebhookServer, test_engine: ScriptedEngine, platform: Platform,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPS_HOOK", server.url("/hook"))
    fleet(tmp_path / "p", [{"url_env": "OPS_HOOK", "events": ["rollback_done"]}])
    monkeypatch.chdir(tmp_path / "p")
    assert platform("up", "--release", "1.3.0", "--wave", "1", "--yes").exit_code == 0
    assert platform("up", "--release", "1.4.0", "--wave", "1", "--yes").exit_code == 0
    result = platform("rollback", "--stack", STAGING, "--yes")
    assert result.exit_code == 0
    (done,) = server.bodies("/hook")
    assert done["title"] == "rollback succeeded: 1 stack rolled back"
    assert done["lines"] == [f"{STAGING}: back on 1.3.0"]
    assert done["details"]["automatic"] is False


def test_an_automatic_rollback_is_told_too(
    tmp_path: Path, server: WebhookServer, test_engine: ScriptedEngine, platform: Platform,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPS_HOOK", server.url("/hook"))
    fleet(tmp_path / "p", [{"url_env": "OPS_HOOK", "events": ["rollback_done"]}], auto_rollback=True)
    monkeypatch.chdir(tmp_path / "p")
    assert platform("up", "--release", "1.3.0", "--wave", "1", "--yes").exit_code == 0
    test_engine.steps[f"{STAGING}@1.4.0"] = Step("failed")
    assert platform("up", "--release", "1.4.0", "--wave", "1", "--yes").exit_code == 1
    (done,) = server.bodies("/hook")
    assert done["title"] == "automatic rollback succeeded: 1 stack rolled back"
    assert done["details"]["automatic"] is True


def test_destroy_runs_are_told_like_up_runs(
    tmp_path: Path, server: WebhookServer, test_engine: ScriptedEngine, platform: Platform,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPS_HOOK", server.url("/hook"))
    fleet(tmp_path / "p", [{"url_env": "OPS_HOOK", "events": ["run_started", "run_finished"]}])
    monkeypatch.chdir(tmp_path / "p")
    assert platform("up", "--release", "1.4.0", "--wave", "1", "--yes").exit_code == 0
    result = platform("destroy", "--stack", STAGING, "--force", "--yes")
    assert result.exit_code == 0
    started, finished = server.bodies("/hook")[2:]
    assert (started["details"]["command"], started["details"]["stacks"]) == ("destroy", [STAGING])
    assert finished["title"].startswith("destroy 1.4.0 succeeded: 1 succeeded (run ")


def test_drift_found_names_the_stacks_and_tenants_affected(
    tmp_path: Path, server: WebhookServer, test_engine: ScriptedEngine, platform: Platform,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPS_HOOK", server.url("/hook"))
    monkeypatch.setenv("CHAT_HOOK", server.url("/chat"))
    fleet(tmp_path / "p", [{"url_env": "OPS_HOOK", "events": ["drift_found"]},
                           {"url_env": "CHAT_HOOK", "format": "slack", "events": ["drift_found"]}])
    monkeypatch.chdir(tmp_path / "p")
    assert platform("up", "--release", "1.4.0", "--wave", "1", "--yes").exit_code == 0
    assert platform("drift").exit_code == 0  # clean: nothing sent
    assert server.received == []
    test_engine.steps[STAGING] = Step(drifted=(("update", "aws:sqs/queue:Queue", "jobs", ("tags",)),))
    result = platform("drift", "--json")
    assert result.exit_code == 4
    assert result.json()["notifications"] == {"sent": 2, "failed": []}
    (found,) = server.bodies("/hook")
    assert found["event"] == "drift_found"
    assert found["details"]["tenants"] == ["acme"]
    assert found["lines"] == [f"{STAGING}: 1 resource drifted (tenants acme): aws:sqs/queue:Queue jobs: tags"]
    assert server.bodies("/chat")[0]["text"].startswith("*drift found in the fleet: 1 of 1 stack, affecting 1 tenant")


def _deploy(platform: Platform, root: Path, test_engine: ScriptedEngine, monkeypatch: pytest.MonkeyPatch,
            fails: bool) -> tuple[int, dict[str, Any], str]:
    monkeypatch.chdir(root)
    test_engine.steps.clear()
    if fails:
        test_engine.steps[STAGING] = Step("failed", error="Error: quota exceeded")
    result = platform("up", "--release", "1.4.0", "--wave", "1", "--yes", "--json")
    document = result.json()
    sent = document.pop("notifications", None)
    document.pop("run")
    for stack in document["stacks"]:
        stack.pop("seconds")
        stack.pop("log")
    return result.exit_code, document, json.dumps(sent)


@pytest.mark.parametrize("fails", [False, True], ids=["deploys", "fails"])
@pytest.mark.parametrize("webhook", ["down", "slow", "500-then-200", "unset"])
def test_a_bad_webhook_never_changes_the_deployment(
    tmp_path: Path, server: WebhookServer, test_engine: ScriptedEngine, platform: Platform,
    monkeypatch: pytest.MonkeyPatch, webhook: str, fails: bool,
) -> None:
    baseline = _deploy(platform, fleet(tmp_path / "plain", None), test_engine, monkeypatch, fails)
    hook: dict[str, Any] = {"name": "ops", "url_env": "OPS_HOOK", "events": ["run_finished"], "retries": 1}
    if webhook == "down":
        monkeypatch.setenv("OPS_HOOK", refused_url())
    elif webhook == "slow":
        server.script["/slow"] = [Reply(delay=3)]
        monkeypatch.setenv("OPS_HOOK", server.url("/slow"))
        hook["timeout_seconds"] = 0.2
    elif webhook == "500-then-200":
        server.script["/flaky"] = [Reply(500), Reply(200)]
        monkeypatch.setenv("OPS_HOOK", server.url("/flaky"))
    else:
        monkeypatch.delenv("OPS_HOOK", raising=False)
    code, document, sent = _deploy(platform, fleet(tmp_path / "hooked", [hook]), test_engine, monkeypatch, fails)
    assert (code, document) == baseline[:2]
    assert code == (1 if fails else 0)
    expected = {
        "down": {"sent": 0, "failed": [{"webhook": "ops", "event": "run_finished", "attempts": 2,
                                        "error": "connection refused"}]},
        "slow": {"sent": 0, "failed": [{"webhook": "ops", "event": "run_finished", "attempts": 2,
                                        "error": "no answer within 0.2 s"}]},
        "500-then-200": {"sent": 1, "failed": []},
        "unset": {"sent": 0, "failed": [{"webhook": "ops", "event": "run_finished", "attempts": 0,
                                         "error": "OPS_HOOK is not set (it holds the webhook's URL): nothing sent"}]},
    }[webhook]
    assert json.loads(sent) == expected
    if webhook == "500-then-200":
        assert server.hits("/flaky") == 2 and server.bodies("/flaky")[1]["details"]["status"] == document["status"]


def test_a_failure_to_notify_is_in_the_text_summary_and_the_log(
    tmp_path: Path, test_engine: ScriptedEngine, platform: Platform, monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = refused_url()
    monkeypatch.setenv("OPS_HOOK", url)
    root = fleet(tmp_path / "p", [{"name": "ops", "url_env": "OPS_HOOK", "events": ["run_finished"], "retries": 0}])
    monkeypatch.chdir(root)
    result = platform("up", "--release", "1.4.0", "--wave", "1", "--yes")
    assert result.exit_code == 0
    assert result.stdout.endswith(
        "notifications: 0 sent, 1 not delivered\n  ops: run_finished not delivered: connection refused (1 attempt)\n"
    )
    log = (root / ".platform" / "logs" / "notifications.log").read_text()
    assert "ops: run_finished not delivered: connection refused (1 attempt)" in log
    assert url not in log + result.output


def test_a_literal_url_in_platform_yaml_is_refused_before_anything_runs(
    tmp_path: Path, test_engine: ScriptedEngine, platform: Platform, monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = fleet(tmp_path / "p", [{"url": "https://hooks.slack.com/services/T0/B0/secretsecret", "url_env": "X"}])
    monkeypatch.chdir(root)
    result = platform("up", "--release", "1.4.0", "--wave", "1", "--yes")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: 1 problem in the configuration:\n"
        "  platform.yaml: notify[0].url: a webhook URL is a secret and does not belong in the file: put it in an "
        "environment variable and name the variable instead (url_env: SLACK_WEBHOOK_URL)\n"
    )
    assert test_engine.calls == []


def test_a_wave_deferred_whole_is_told_with_each_stack_and_why(
    tmp_path: Path, server: WebhookServer, test_engine: ScriptedEngine, platform: Platform,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """up of a wave whose every stack waits for a maintenance window: nothing runs (exit 3), and the
    webhooks that want it hear run_deferred (no run: no run_started nor run_finished)."""
    from datetime import datetime

    from support.clock import pin_clock

    monkeypatch.setenv("OPS_HOOK", server.url("/hook"))
    monkeypatch.setenv("QUIET_HOOK", server.url("/quiet"))
    window = {"days": ["sat", "sun"], "start": "02:00", "end": "06:00", "tz": "Europe/Berlin"}
    write_project(
        tmp_path / "p",
        tiers={"basic": {"model": "pool", "wave": 1}},
        tenants={"acme": {"tier": "basic", "environments": ["staging"], "windows": [window]}},
        lifecycle=[{"phase": "staging", "environments": ["staging"]}],
        notify=[{"url_env": "OPS_HOOK"}, {"url_env": "QUIET_HOOK", "events": ["run_finished"]}],
    )
    monkeypatch.chdir(tmp_path / "p")
    pin_clock(monkeypatch, datetime(2026, 11, 25, 22, 0))  # a Wednesday night: the window is closed
    result = platform("up", "--release", "1.4.0", "--wave", "1", "--yes")
    assert result.exit_code == 3
    assert result.stdout.endswith("notifications: 1 sent\n")
    assert test_engine.calls == []
    (deferred,) = server.bodies("/hook")
    assert deferred["event"] == "run_deferred"
    reason = "acme's window opens Sat 02:00 Europe/Berlin (in 2 d 3 h)"
    assert deferred["title"] == (
        "up 1.4.0 wave 1 deferred: nothing deployed, 1 stack waits for a maintenance window or the end of a freeze"
    )
    assert deferred["details"]["deferred"] == [{"stack": STAGING, "reason": reason}]
    assert server.bodies("/quiet") == []
    as_json = platform("up", "--release", "1.4.0", "--wave", "1", "--yes", "--json")
    assert as_json.exit_code == 3
    assert as_json.json()["notifications"] == {"sent": 1, "failed": []}
