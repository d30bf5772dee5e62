"""A simulating engine (its `simulated` flag), built in or custom, is named in what a run says at the
end, by every command that runs stacks (issue 16, points 9 and 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.clirunner import Platform
from support.testengine import SPEC, ScriptedEngine

pytestmark = pytest.mark.cli

FOOTER = f"simulated by the {SPEC} engine: nothing was deployed\n"


@pytest.fixture
def project(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI tests' example fleet (conftest), with an actor for approvals."""
    monkeypatch.setenv("PLATFORM_ACTOR", "ops-alice")
    return project


@pytest.fixture
def platform(platform: Platform) -> Platform:
    return platform.with_engine(SPEC)


def test_a_simulating_custom_engine_is_named(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    test_engine.simulated = True
    result = platform("up", "--release", "1.4.0", "--wave", "1", "--yes")
    assert result.exit_code == 0
    assert "run RUN: 1 succeeded\n" in result.text
    assert result.text.endswith(FOOTER)
    assert platform("up", "-r", "1.5.0", "-w", "1", "--yes", "--json").json()["simulated"] is True


def test_a_real_engine_says_nothing_about_simulation(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    result = platform("up", "--release", "1.4.0", "--wave", "1", "--yes")
    assert result.exit_code == 0
    assert "simulated" not in result.output


def test_destroy_and_tenant_commands_name_the_simulating_engine(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    test_engine.simulated = True
    destroyed = platform("destroy", "--stack", "testing.pool.basic", "--yes")
    assert destroyed.exit_code == 0
    assert destroyed.text.endswith(FOOTER)
    for wave in ("1", "2", "3", "4", "5", "6"):
        assert platform("up", "--release", "1.4.0", "--wave", wave, "--yes").exit_code == 0
    added = platform("tenant", "add", "nova", "--tier", "premium", "--env", "staging", "--deploy", "--yes")
    assert added.exit_code == 0, added.output
    assert added.text.endswith("tenant nova added: 1 stack(s) changed; tenants/nova.yaml written\n" + FOOTER)
