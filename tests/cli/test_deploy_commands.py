"""`platform up`, `approve` and `destroy` through click's CliRunner: exact output and exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from support.clirunner import Platform
from support.testengine import SPEC, ScriptedEngine, Step

pytestmark = [pytest.mark.cli, pytest.mark.usefixtures("as_ops_alice")]

LEDGER = f"ledger: .platform/ledger.db (from platform.yaml); engine: {SPEC}\n"  # every command states it first


@pytest.fixture
def platform(platform: Platform) -> Platform:
    """`platform --engine <the scripted test engine> ARGS` unless a test asks for another engine."""
    return platform.with_engine(SPEC)


def test_up_first_wave_exact_output(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    result = platform("up", "--release", "1.4.0", "--wave", "1")
    assert result.exit_code == 0
    assert result.text == (
        LEDGER
        + "release 1.4.0, wave 1 of 10: 1 stack(s)\n"
        "  deploy   testing.pool.basic: not deployed yet\n"
        "run RUN: 1 stack(s); logs in .platform/logs/RUN\n"
        "start testing.pool.basic\n"
        "  testing.pool.basic: 0/4 resources\n"
        "  testing.pool.basic: 4/4 resources\n"
        "ok testing.pool.basic: +4 ~0 -0 +-0\n"
        "changes: +4 created, ~0 updated, -0 deleted, +-0 replaced, 0 unchanged\n"
        "run RUN: 1 succeeded\n"
    )
    log = next((project / ".platform" / "logs").glob("*/testing.pool.basic.log"))
    assert log.read_text() == "test engine: testing.pool.basic 1.4.0\n"


def test_up_again_has_nothing_to_do(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    platform("up", "--release", "1.4.0", "--wave", "1")
    result = platform("up", "--release", "1.4.0", "--wave", "1")
    assert result.exit_code == 0
    assert result.text == (
        LEDGER
        + "release 1.4.0, wave 1 of 10: 1 stack(s)\n"
        "  done     testing.pool.basic: already on 1.4.0\n"
        "nothing to do: every selected stack is already on 1.4.0\n"
    )


def test_closed_gate_exits_3_with_the_reason(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    result = platform("up", "--release", "1.4.0", "--wave", "2")
    assert result.exit_code == 3
    assert result.text == (
        LEDGER
        + "release 1.4.0, wave 2 of 10: 1 stack(s)\n"
        "gate closed for wave 2:\n"
        "  - wave 1 is not complete: 1 of 1 stacks not on 1.4.0 yet (testing.pool.basic); "
        "run `platform up --release 1.4.0 --wave 1`\n"
        "nothing deployed: blocked by the wave gate\n"
    )
    assert test_engine.calls == []


def test_a_wave_split_by_environment_keeps_its_gate(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    # rollout.yml runs each wave as one job per environment: `--wave N --env E` is still wave N
    result = platform("up", "--release", "1.4.0", "--wave", "2", "--env", "testing")
    assert result.exit_code == 3
    assert result.text == (
        LEDGER
        + "release 1.4.0, wave 2 of 10 (--env testing): 1 stack(s)\n"
        "gate closed for wave 2:\n"
        "  - wave 1 is not complete: 1 of 1 stacks not on 1.4.0 yet (testing.pool.basic); "
        "run `platform up --release 1.4.0 --wave 1`\n"
        "nothing deployed: blocked by the wave gate\n"
    )
    assert test_engine.calls == []
    targeted = platform("up", "--release", "1.4.0", "--tier", "standard", "--env", "testing", "--yes")
    assert targeted.exit_code == 0 and "gate closed" not in targeted.text  # a targeted run is not gated


def test_lifecycle_block_on_a_targeted_run_exits_3(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    result = platform("up", "--release", "1.4.0", "--stack", "production-us.silo.ironclad")
    assert result.exit_code == 3
    assert result.text == (
        LEDGER
        + "release 1.4.0, targeted run (--stack production-us.silo.ironclad): 1 stack(s)\n"
        "  blocked  production-us.silo.ironclad: release 1.4.0 has not completed phase testing: "
        "0 of 1 required environment (still to deploy: testing)\n"
        "nothing deployed: blocked by the lifecycle\n"
    )


def test_failed_stack_exits_1_and_names_its_log(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    test_engine.steps["testing.pool.basic"] = Step("failed", error="Error: boom")
    result = platform("up", "--release", "1.4.0", "--wave", "1")
    assert result.exit_code == 1
    assert "FAILED testing.pool.basic: Error: boom\n" in result.text
    assert result.text.endswith(
        "run RUN: 1 failed\n  testing.pool.basic: log " + str(project / ".platform/logs/RUN/testing.pool.basic.log\n")
    )


def test_up_json_report(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    result = platform("up", "--release", "1.4.0", "--wave", "1", "--json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["status"] == "succeeded" and report["wave"] == 1 and report["gate"]["open"] is True
    assert [(s["name"], s["result"], s["resources"]) for s in report["stacks"]] == [
        ("testing.pool.basic", "succeeded", 4)
    ]


def test_up_needs_a_wave_or_targets(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    result = platform("up", "--release", "1.4.0", engine=None)
    assert result.exit_code == 2
    assert result.output == ("error: choose what to deploy: --wave N, or targets (--stack, --tenant, --tier, --env)\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--wave", "11"], "error: --wave 11: this project has waves 1 to 10\n"),
        (["--tenant", "helios"], "error: --tenant helios: no such name (did you mean helios-bank?)\n"),
        (["--wave", "1", "--shard", "3/2"], "error: --shard 3/2: k must be between 1 and n (n at most 1000)\n"),
        (["--wave", "1", "--shard", "x"], "error: --shard 'x': write k/n, e.g. 2/4 for the second of four shards\n"),
    ],
)
def test_bad_arguments_exit_2_without_deploying(
    project: Path, test_engine: ScriptedEngine, args: list[str], message: str, platform: Platform
) -> None:
    result = platform("up", "--release", "1.4.0", *args)
    assert (result.exit_code, result.output) == (2, LEDGER + message)
    assert test_engine.calls == []


def test_unknown_engine_is_a_usage_error(project: Path, platform: Platform) -> None:
    result = platform("up", "--release", "1.4.0", "--wave", "1", engine="nosuch")
    assert result.exit_code == 2
    assert result.output == (
        "ledger: .platform/ledger.db (from platform.yaml); engine: nosuch\n"
        "release 1.4.0, wave 1 of 10: 1 stack(s)\n"
        "  deploy   testing.pool.basic: not deployed yet\n"
        "error: engine 'nosuch': use one of pulumi, mock, or module:factory for a custom engine\n"
    )


def test_approve_records_who_and_opens_the_gate(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    for wave in range(1, 7):
        assert platform("up", "--release", "1.4.0", "--wave", str(wave)).exit_code == 0
    held = platform("up", "--release", "1.4.0", "--wave", "7")
    assert held.exit_code == 3
    assert "  - wave 7 (phase production) needs an approval: run `platform approve --release 1.4.0 --wave 7`\n" in (
        held.text
    )
    approved = platform("approve", "--release", "1.4.0", "--wave", "7", "--comment", "CHG-42")
    assert approved.exit_code == 0
    assert re.fullmatch(
        re.escape(LEDGER)
        + r"wave 7 of 1\.4\.0 approved by ops-alice at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ "
        r"for 2 stacks at 1\.4\.0\+[0-9a-f]{8}\n",
        approved.text,
    )
    go = platform("up", "--release", "1.4.0", "--wave", "7")
    assert go.exit_code == 0
    assert "approved by ops-alice at " in go.text
    assert sorted(test_engine.operations()[-2:]) == ["production-eu.pool.basic", "production-us.pool.basic"]


def test_destroy_refuses_a_pool_stack_that_serves_tenants(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    result = platform("destroy", "--stack", "staging.pool.basic", "--yes")
    assert result.exit_code == 2
    assert result.output == LEDGER + (
        "error: staging.pool.basic still serves corner-bakery: move or remove those tenants first, "
        "or pass --force to destroy it anyway\n"
    )


def test_destroy_a_tenant_goes_production_first(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    result = platform("destroy", "--tenant", "helios-bank", "--yes")
    assert result.exit_code == 0, result.output
    assert test_engine.operations("destroy") == [
        "production-eu.silo.helios-bank",
        "production-us.silo.helios-bank",
        "staging.silo.helios-bank",
    ]
    assert result.text.startswith(
        LEDGER
        + "  destroy  production-eu.silo.helios-bank: no successful deployment recorded\n"
        "  destroy  production-us.silo.helios-bank: no successful deployment recorded\n"
        "  destroy  staging.silo.helios-bank: no successful deployment recorded\n"
    )


def test_destroy_without_a_terminal_needs_yes(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    result = platform("destroy", "--tenant", "ironclad")
    assert result.exit_code == 2
    assert result.output.endswith("error: destroy asks for confirmation: pass --yes to destroy without a terminal\n")
    assert test_engine.calls == []


def test_missing_pulumi_cli_is_one_plain_line_and_exit_2(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: Platform
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = platform("up", "--release", "1.4.0", "--wave", "1", "--yes", engine="pulumi")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "error: the Pulumi CLI is not installed (pulumi not found on PATH): install it from "
        "https://www.pulumi.com/docs/install/ (curl -fsSL https://get.pulumi.com | sh), "
        "or run with --engine mock to simulate"
    )
    assert "Traceback" not in result.output


def test_a_stack_whose_destroy_did_not_finish_is_deployed_again_by_up(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    # issue 13, item 6: after a --delete-data destroy that failed (or was cut short), the stack no
    # longer counts as current, so the next `up` runs it and its program re-asserts data retention
    assert platform("up", "--release", "1.4.0", "--wave", "1").exit_code == 0
    test_engine.steps["testing.pool.basic"] = Step("failed", error="Error: deleting table: timeout")
    destroyed = platform("destroy", "--stack", "testing.pool.basic", "--delete-data", "--yes")
    assert destroyed.exit_code == 1
    del test_engine.steps["testing.pool.basic"]
    again = platform("up", "--release", "1.4.0", "--wave", "1")
    assert again.exit_code == 0
    assert "  deploy   testing.pool.basic: not deployed yet\n" in again.text
    assert test_engine.operations("up") == ["testing.pool.basic", "testing.pool.basic"]
    assert test_engine.calls[-1].config.get("tenantwave:retain_data", "true") == "true"
    assert platform("up", "--release", "1.4.0", "--wave", "1").text.endswith(
        "nothing to do: every selected stack is already on 1.4.0\n"
    )
