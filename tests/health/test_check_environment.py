"""Command checks and hooks run with a minimal environment plus exactly what `pass_env` names, and
whatever they print (their environment, a shell trace) reaches no output with a secret in it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from support.healthserver import health_fleet
from tenantwave.config.checks import CommandCheck, Hook
from tenantwave.config.loader import load_project
from tenantwave.errors import ConfigError
from tenantwave.planning.inventory import Stack
from tenantwave.privacy import redaction
from tenantwave.rollout.checkenv import command_environment
from tenantwave.rollout.checks import CheckTarget, run_check, run_hook

pytestmark = pytest.mark.unit

TOKEN = "pul-8c1f0e2d9b7a6c5e4d3c2b1a"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE"
PASSPHRASE = "passphrase-6e5d4c3b2a19"
STACK = Stack(
    name="staging.pool.basic", environment="staging", phase="staging", phase_index=1, kind="pool", tier="basic",
    tenant=None, tenants=("acme", "bolt"), wave_key=(1, 1),
)
TARGET = CheckTarget(STACK, "1.4.0", {"endpoint": "http://svc"}, current_release="1.3.0")
FACTS = set(TARGET.environ())
SH = shutil.which("sh") or "/bin/sh"
ENV = shutil.which("env") or "/usr/bin/env"


@pytest.fixture(autouse=True)
def tool_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tool's environment: credentials, a profile, locale, and a variable nobody names."""
    monkeypatch.setattr(redaction, "_REGISTRY", redaction._Registry())
    for name, value in {
        "PULUMI_ACCESS_TOKEN": TOKEN,
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "AWS_PROFILE": "deploy",
        "PLATFORM_LEDGER_URL": "postgresql://tw:ledger-password-1@db/ledger",
        "UNRELATED": "x",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
    }.items():
        monkeypatch.setenv(name, value)


def command(argv: list[str], pass_env: list[str] | None = None) -> CommandCheck:
    return CommandCheck(kind="command", name="probe", command=argv, pass_env=pass_env or [])


def printed_environment(output: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


def test_a_check_gets_the_allowlist_the_facts_and_exactly_what_it_names(tmp_path: Path) -> None:
    result = run_check(command([ENV], ["AWS_PROFILE", "NOT_SET_ANYWHERE"]), TARGET, tmp_path)
    assert result.passed, result.output
    seen = printed_environment(result.output)
    assert set(seen) == {"PATH", "HOME", "LC_ALL", "TZ", "AWS_PROFILE"} | FACTS | ({"LANG"} & set(seen))
    assert seen["AWS_PROFILE"] == "deploy" and seen["PLATFORM_STACK"] == STACK.name


def test_a_hook_gets_no_credential_unless_named(tmp_path: Path) -> None:
    hook = Hook(command=[ENV])
    seen = printed_environment(run_hook(hook, TARGET, tmp_path).output)
    assert not {"PULUMI_ACCESS_TOKEN", "AWS_SECRET_ACCESS_KEY", "PULUMI_CONFIG_PASSPHRASE", "PLATFORM_LEDGER_URL",
                "UNRELATED"} & set(seen)
    named = Hook(command=[ENV], pass_env=["PULUMI_ACCESS_TOKEN"])
    output = run_hook(named, TARGET, tmp_path).output
    assert "PULUMI_ACCESS_TOKEN=[redacted]" in output and TOKEN not in output  # it had it; nobody sees it


@pytest.mark.parametrize(
    "argv",
    [
        [SH, "-c", 'echo "auth failed for token $PULUMI_ACCESS_TOKEN"; exit 1'],
        [SH, "-xc", 'key="$AWS_SECRET_ACCESS_KEY"; pass="$PULUMI_CONFIG_PASSPHRASE"; exit 3'],
        [SH, "-c", "env; exit 1"],
    ],
    ids=["prints-the-token", "set-x", "env"],
)
def test_what_a_failing_check_prints_is_redacted_in_its_summary_and_output(tmp_path: Path, argv: list[str]) -> None:
    check = command(argv, ["PULUMI_ACCESS_TOKEN", "AWS_SECRET_ACCESS_KEY", "PULUMI_CONFIG_PASSPHRASE"])
    result = run_check(check, TARGET, tmp_path)
    assert not result.passed
    assert "[redacted]" in result.output
    for secret in (TOKEN, AWS_SECRET, PASSPHRASE):
        assert secret not in result.summary and secret not in result.output and secret not in result.log_text("s")


def test_the_facts_win_over_a_variable_of_the_same_name_and_names_are_case_sensitive() -> None:
    env = command_environment({"PLATFORM_STACK": "s"}, ["aws_profile"], {"PLATFORM_STACK": "other", "PATH": "/b",
                                                                         "AWS_PROFILE": "p", "LC_CTYPE": "C"})
    assert env == {"PATH": "/b", "LC_CTYPE": "C", "PLATFORM_STACK": "s"}


@pytest.mark.parametrize(
    ("pass_env", "expected"),
    [
        (["AWS_PROFILE", "AWS_PROFILE"], "platform.yaml: rollout.checks[0].command.pass_env: names AWS_PROFILE twice"),
        (["PLATFORM_STACK"], "platform.yaml: rollout.checks[0].command.pass_env: cannot pass PLATFORM_STACK"),
        (["AWS-PROFILE"], "platform.yaml: rollout.checks[0].command.pass_env[0]"),
        ("AWS_PROFILE", "platform.yaml: rollout.checks[0].command.pass_env"),
    ],
)
def test_bad_pass_env_names_the_file_and_field(tmp_path: Path, pass_env: Any, expected: str) -> None:
    check = {"kind": "command", "name": "alarms", "command": ["scripts/alarms"], "pass_env": pass_env}
    with pytest.raises(ConfigError) as caught:
        load_project(health_fleet(tmp_path, rollout={"checks": [check]}))
    found = [str(p) for p in caught.value.problems]
    assert any(p.startswith(expected) for p in found), found


def test_pass_env_in_a_tier_hook_and_a_check_loads(tmp_path: Path) -> None:
    check = {"kind": "command", "name": "alarms", "command": ["scripts/alarms"], "pass_env": ["AWS_PROFILE"]}
    hook = {"before_deploy": {"command": ["scripts/backup"], "pass_env": ["AWS_PROFILE", "AWS_REGION"]}}
    project = load_project(health_fleet(tmp_path, rollout={"checks": [check]}, basic=hook))
    assert project.platform.rollout.checks[0].pass_env == ["AWS_PROFILE"]  # type: ignore[union-attr]
    before = project.tiers["basic"].config.before_deploy
    assert before is not None and before.pass_env == ["AWS_PROFILE", "AWS_REGION"]
