"""`platform approve`: who approves is known or the approval is refused, and approving again what is
already approved says so and keeps the comment as a note (issue 16, point 5)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from support.clirunner import Platform
from support.fleet import copy_example
from tenantwave.ledger import Ledger
from tenantwave.planning import actor
from tenantwave.planning.actor import Actor, resolve_actor

pytestmark = pytest.mark.cli

LEDGER = "ledger: .platform/ledger.db (from platform.yaml); engine: pulumi\n"
WHEN = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_example(tmp_path / "fleet")
    monkeypatch.chdir(root)
    for name in ("PLATFORM_PROJECT", "PLATFORM_ENGINE", "PLATFORM_LEDGER_URL", "PLATFORM_ACTOR", "GITHUB_ACTOR"):
        monkeypatch.delenv(name, raising=False)
    git_config = tmp_path / "gitconfig"
    git_config.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(git_config))  # no user.email unless a test sets one
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setattr(actor, "login_name", lambda: None)  # and no login name unless a test gives one
    return root


def approval(root: Path) -> tuple[str, str | None]:
    ledger = Ledger(f"sqlite:///{root / '.platform' / 'ledger.db'}")
    try:
        found = ledger.approval("1.4.0", 7)
    finally:
        ledger.close()
    assert found is not None
    return found.approved_by, found.comment


def test_without_an_identity_the_approval_is_refused(project: Path, platform: Platform) -> None:
    result = platform("approve", "--release", "1.4.0", "--wave", "7")
    assert (result.exit_code, result.output) == (
        2,
        LEDGER + "error: who approves? no identity found: pass --by NAME, or set PLATFORM_ACTOR "
        "(GITHUB_ACTOR in GitHub Actions), or configure git's user.email\n",
    )
    assert not (project / ".platform" / "ledger.db").exists()


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ({"--by": "carol", "PLATFORM_ACTOR": "alice", "GITHUB_ACTOR": "ci-bot"}, "carol"),
        ({"PLATFORM_ACTOR": "alice", "GITHUB_ACTOR": "ci-bot", "git": "dev@example.com"}, "alice"),
        ({"GITHUB_ACTOR": "ci-bot", "git": "dev@example.com", "login": "root"}, "ci-bot"),
        ({"git": "dev@example.com", "login": "root"}, "dev@example.com"),
        ({"login": "ops"}, "ops"),
    ],
    ids=["--by", "PLATFORM_ACTOR", "GITHUB_ACTOR", "git user.email", "login name"],
)
def test_the_identity_comes_from_the_first_source_that_has_one(
    project: Path, platform: Platform, monkeypatch: pytest.MonkeyPatch, setting: dict[str, str], expected: str
) -> None:
    for name in ("PLATFORM_ACTOR", "GITHUB_ACTOR"):
        if name in setting:
            monkeypatch.setenv(name, setting[name])
    if "git" in setting:
        (project.parent / "gitconfig").write_text(f"[user]\n\temail = {setting['git']}\n")
    if "login" in setting:
        monkeypatch.setattr(actor, "login_name", lambda: setting["login"])
    by = ["--by", setting["--by"]] if "--by" in setting else []
    result = platform("approve", "--release", "1.4.0", "--wave", "7", *by)
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        re.escape(LEDGER) + rf"wave 7 of 1\.4\.0 approved by {re.escape(expected)} at {WHEN} for 2 stacks at \S+\n",
        result.output,
    )
    assert approval(project)[0] == expected


def test_approving_again_says_who_already_did_and_keeps_the_comment(
    project: Path, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = platform("approve", "-r", "1.4.0", "-w", "7", "--by", "alice", "-m", "CHG-42")
    assert first.exit_code == 0
    again = platform("approve", "-r", "1.4.0", "-w", "7", "--by", "bob", "-m", "looked again after the incident")
    assert again.exit_code == 0
    assert re.fullmatch(
        re.escape(LEDGER) + rf"wave 7 of 1\.4\.0 already approved by alice at {WHEN} for what it deploys now: "
        r"nothing new recorded; the comment is kept as a note\n",
        again.output,
    )
    who, comment = approval(project)
    assert who == "alice"
    assert comment is not None
    assert re.fullmatch(rf"CHG-42\nnote by bob at {WHEN}: looked again after the incident", comment)

    silent = platform("approve", "-r", "1.4.0", "-w", "7", "--by", "carol")
    assert silent.output.endswith(": nothing new recorded\n")  # no comment, no note
    assert approval(project)[1] == comment


@pytest.mark.unit
@pytest.mark.parametrize("name", ["a" * 201, "alice\nbob", "x\x1b[31m"])
def test_an_identity_is_one_short_line(tmp_path: Path, name: str) -> None:
    from tenantwave.errors import UsageError

    with pytest.raises(UsageError, match="an identity is one line of at most 200 characters"):
        resolve_actor(name, tmp_path, {})


@pytest.mark.unit
def test_blank_values_are_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actor, "git_email", lambda root: None)
    monkeypatch.setattr(actor, "login_name", lambda: "ops")
    assert resolve_actor("  ", tmp_path, {"PLATFORM_ACTOR": "", "GITHUB_ACTOR": " "}) == Actor("ops", "login name")
