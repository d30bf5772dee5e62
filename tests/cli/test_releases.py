"""One release, whatever its spelling: a leading v before a digit is dropped everywhere (the tag CI
passes and what an operator types); rollback --to refuses a release the stacks never ran (issue 16,
point 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.clirunner import Platform
from support.testengine import SPEC, ScriptedEngine
from tenantwave.ledger import Ledger
from tenantwave.planning.release import check_release

pytestmark = pytest.mark.cli

LEDGER = f"ledger: .platform/ledger.db (from platform.yaml); engine: {SPEC}\n"


@pytest.fixture
def platform(platform: Platform) -> Platform:
    return platform.with_engine(SPEC)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("given", "release"),
    [("v1.4.0", "1.4.0"), ("V2", "2"), ("1.4.0", "1.4.0"), ("vnext", "vnext"), ("v", "v"),
     ("v1.4.0-rc.1", "1.4.0-rc.1")],
)
def test_a_leading_v_before_a_digit_is_dropped(given: str, release: str) -> None:
    assert check_release(given) == release


def test_the_tag_and_the_version_are_one_release(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    tagged = platform("up", "--release", "v1.4.0", "--wave", "1", "--yes")  # what rollout.yml passes
    assert tagged.exit_code == 0
    assert tagged.text.startswith(LEDGER + "release 1.4.0, wave 1 of 10: 1 stack(s)\n")
    again = platform("up", "--release", "1.4.0", "--wave", "1", "--yes")  # what the operator types
    assert again.text.endswith("nothing to do: every selected stack is already on 1.4.0\n")
    assert platform("plan", "-r", "v1.4.0", "--json").json()["release"] == "1.4.0"
    ledger = Ledger(f"sqlite:///{project / '.platform' / 'ledger.db'}")
    try:
        assert {run.release for run in ledger.runs()} == {"1.4.0"}
    finally:
        ledger.close()


def test_the_generated_workflow_says_how_the_tag_becomes_the_release(project: Path, platform: Platform) -> None:
    text = platform("ci", "github", engine=None).stdout
    assert "# RELEASE is the tag: platform drops a leading v before a digit, so the tag v1.4.0 deploys" in text
    assert 'run: platform up --release "$RELEASE" --wave 1 --env "${{ matrix.environment }}" --yes' in text


def test_rollback_to_a_release_no_stack_ran_is_refused(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    for release in ("1.3.0", "1.4.0"):
        assert platform("up", "--release", release, "--wave", "1", "--yes").exit_code == 0
    calls = len(test_engine.calls)
    typo = platform("rollback", "--wave", "1", "--to", "1.3.O", "--yes")  # a letter O
    assert (typo.exit_code, typo.output) == (
        2,
        LEDGER + "error: --to 1.3.O: no selected stack ever ran 1.3.O successfully (did you mean 1.3.0?); "
        "they ran 1.4.0, 1.3.0; pass --force to roll back to it anyway\n",
    )
    assert len(test_engine.calls) == calls
    assert platform("rollback", "--wave", "1", "--to", "v1.3.0", "--yes").exit_code == 0  # the tag is fine
    forced = platform("rollback", "--wave", "1", "--to", "1.2.0", "--force", "--yes")
    assert forced.exit_code == 0, forced.output
    assert test_engine.calls[-1].release == "1.2.0"
