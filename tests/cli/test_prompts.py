"""Confirmation prompts: answering no is a cancel (exit 1, nothing changed); without a terminal a
command never prompts (issue 16, point 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.clirunner import Platform
from support.testengine import SPEC, ScriptedEngine
from tenantwave.cli import application

pytestmark = pytest.mark.cli

LEDGER = f"ledger: .platform/ledger.db (from platform.yaml); engine: {SPEC}\n"


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator sits at a terminal: commands ask before they change anything."""
    monkeypatch.setattr(application, "on_terminal", lambda: True)


@pytest.fixture
def platform(platform: Platform) -> Platform:
    return platform.with_engine(SPEC)


def test_up_answered_no_exits_1_and_deploys_nothing(
    project: Path, terminal: None, test_engine: ScriptedEngine, platform: Platform
) -> None:
    result = platform("up", "--release", "1.4.0", "--wave", "1", input="n\n")
    assert (result.exit_code, result.output) == (
        1,
        LEDGER
        + "release 1.4.0, wave 1 of 10: 1 stack(s)\n"
        "  deploy   testing.pool.basic: not deployed yet\n"
        "deploy 1.4.0 to 1 stack(s)? [y/N]: n\n"
        "nothing deployed: not confirmed\n",
    )
    assert test_engine.calls == []


def test_up_answered_yes_deploys(project: Path, terminal: None, test_engine: ScriptedEngine,
                                 platform: Platform) -> None:
    result = platform("up", "--release", "1.4.0", "--wave", "1", input="y\n")
    assert result.exit_code == 0
    assert "deploy 1.4.0 to 1 stack(s)? [y/N]: y\n" in result.output
    assert test_engine.operations() == ["testing.pool.basic"]


def test_destroy_answered_no_exits_1(project: Path, terminal: None, test_engine: ScriptedEngine,
                                     platform: Platform) -> None:
    result = platform("destroy", "--stack", "testing.pool.basic", input="\n")  # the default is no
    assert (result.exit_code, result.output) == (
        1,
        LEDGER
        + "  destroy  testing.pool.basic: no successful deployment recorded\n"
        "note: data-bearing resources (tables, databases) of destroyed stacks are kept "
        "(pass --delete-data to delete them)\n"
        "destroy 1 stack(s)? [y/N]: \n"
        "nothing destroyed: not confirmed\n",
    )
    assert test_engine.calls == []


def test_rollback_answered_no_exits_1(project: Path, terminal: None, test_engine: ScriptedEngine,
                                      platform: Platform) -> None:
    for release in ("1.3.0", "1.4.0"):
        assert platform("up", "--release", release, "--wave", "1", "--yes").exit_code == 0
    calls = len(test_engine.calls)
    result = platform("rollback", "--wave", "1", input="n\n")
    assert result.exit_code == 1
    assert result.output.endswith("roll back 1 stack(s)? [y/N]: n\nnothing rolled back: not confirmed\n")
    assert len(test_engine.calls) == calls


def test_tenant_add_answered_no_writes_nothing(project: Path, terminal: None, platform: Platform) -> None:
    result = platform("tenant", "add", "nova", "--tier", "basic", "--env", "staging", input="n\n")
    assert result.exit_code == 1
    assert result.output.startswith(
        LEDGER + "add tenant nova: tier basic (pool), environments staging\n  write    tenants/nova.yaml\n"
    )
    assert result.output.endswith("change the file? [y/N]: n\nnothing changed: not confirmed\n")
    assert not (project / "tenants" / "nova.yaml").exists()


def test_without_a_terminal_nothing_is_asked(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    result = platform("up", "--release", "1.4.0", "--wave", "1", input="n\n")
    assert result.exit_code == 0
    assert "[y/N]" not in result.output
    assert test_engine.operations() == ["testing.pool.basic"]
