"""A targeted `up` with `--env` works on exactly the stacks of that environment (issue 21: inverting
the `--env` filter of planning/selection.py survived the suite because no CLI test ran one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.clirunner import Platform
from support.testengine import SPEC, ScriptedEngine

pytestmark = [pytest.mark.cli, pytest.mark.usefixtures("as_ops_alice")]


@pytest.fixture
def platform(platform: Platform) -> Platform:
    return platform.with_engine(SPEC)


def test_up_with_env_deploys_exactly_that_environments_stacks(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    result = platform("up", "--release", "1.4.0", "--env", "testing", "--yes")
    assert result.exit_code == 0, result.text
    assert sorted(test_engine.operations("up")) == ["testing.pool.basic", "testing.pool.standard"]
    assert "release 1.4.0, targeted run (--env testing): 2 stack(s)\n" in result.text


def test_up_with_env_and_tier_deploys_only_their_common_stack(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    result = platform("up", "--release", "1.4.0", "--env", "testing", "--tier", "basic", "--yes")
    assert result.exit_code == 0, result.text
    assert test_engine.operations("up") == ["testing.pool.basic"]
