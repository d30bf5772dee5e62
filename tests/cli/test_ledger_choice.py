"""Every command that reads or writes the ledger says which one, where the choice came from and whether
the engine simulates: one line on stderr in text mode, the `ledger` field of its `--json` document
(issue 16, point 1). `--engine` and PLATFORM_ENGINE choose the same ledger for every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.clirunner import Platform
from support.testengine import SPEC, ScriptedEngine
from tenantwave.planning.workspace import LedgerChoice

pytestmark = pytest.mark.cli

REAL = "ledger: .platform/ledger.db (from platform.yaml); engine: pulumi\n"
SIMULATED = "ledger: .platform/simulated.db (the mock engine's own); engine: mock (simulated: nothing is deployed)\n"


def simulate_wave_1(platform: Platform) -> None:
    """What `make demo` leaves behind, without running the program: wave 1 recorded in the mock's ledger."""
    result = platform(
        "up", "--release", "1.4.0", "--wave", "1", "--yes", "--ledger", "sqlite:///.platform/simulated.db", engine=SPEC
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "args",
    [["status"], ["plan", "--release", "1.4.0"], ["tenant", "list"]],
    ids=["status", "plan", "tenant list"],
)
def test_read_commands_state_the_ledger_on_stderr(project: Path, platform: Platform, args: list[str]) -> None:
    result = platform(*args)
    assert result.exit_code == 0
    assert result.stderr == REAL
    assert result.output.startswith(REAL)  # before anything else


@pytest.mark.parametrize("how", ["option", "option after", "environment"])
def test_the_mock_engine_reads_its_own_ledger_and_says_so(
    project: Path, test_engine: ScriptedEngine, platform: Platform, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    simulate_wave_1(platform)
    real = platform("status", "--json").json()
    assert [s["current_release"] for s in real["stacks"]][:1] == [None]  # the real ledger has nothing

    if how == "option":
        result = platform("status", engine="mock")
    elif how == "option after":
        result = platform("status", "--engine", "mock")
    else:
        monkeypatch.setenv("PLATFORM_ENGINE", "mock")
        result = platform("status")
    assert result.exit_code == 0
    assert result.stderr == SIMULATED
    assert "│ testing.pool.basic " in result.stdout and "│ 1.4.0+" in result.stdout  # the revision it runs


def test_json_documents_carry_the_ledger_and_nothing_goes_to_stderr(project: Path, platform: Platform) -> None:
    expected = {"url": ".platform/simulated.db", "from": "the mock engine's own", "engine": "mock", "simulated": True}
    for args in (["status"], ["plan", "--release", "1.4.0"], ["tenant", "list"]):
        result = platform(*args, "--json", "--engine", "mock")
        assert (result.exit_code, result.stderr) == (0, "")
        assert result.json()["ledger"] == expected


def test_up_states_the_ledger_it_writes(
    project: Path, tmp_path: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    url = f"sqlite:///{tmp_path / 'ci' / 'ledger.db'}"
    (tmp_path / "ci").mkdir()
    result = platform("up", "--release", "1.4.0", "--wave", "1", "--yes", "--ledger", url, engine=SPEC)
    assert result.exit_code == 0
    assert result.stderr == f"ledger: {tmp_path / 'ci' / 'ledger.db'} (from --ledger); engine: {SPEC}\n"
    document = platform("up", "--release", "1.4.0", "--wave", "1", "--json", "--ledger", url, engine=SPEC).json()
    assert document["ledger"] == {
        "url": str(tmp_path / "ci" / "ledger.db"), "from": "--ledger", "engine": SPEC, "simulated": False,
    }  # fmt: skip


def test_an_approval_goes_to_the_ledger_of_the_engine_in_force(
    project: Path, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATFORM_ENGINE", "mock")
    result = platform("approve", "--release", "1.4.0", "--wave", "7", "--by", "ops-alice")
    assert result.exit_code == 0, result.output
    assert result.stderr == SIMULATED
    assert (project / ".platform" / "simulated.db").is_file()
    assert not (project / ".platform" / "ledger.db").exists()


@pytest.mark.parametrize("args", [["validate"], ["ci", "github"]])
def test_commands_that_never_touch_the_ledger_do_not_mention_it(
    project: Path, platform: Platform, args: list[str]
) -> None:
    result = platform(*args)
    assert (result.exit_code, result.stderr) == (0, "")


def test_a_postgres_url_is_shown_without_its_password() -> None:
    choice = LedgerChoice(url="postgresql://ops:s3cret@db.internal/tw", origin="PLATFORM_LEDGER_URL",
                          engine="pulumi", simulated=False)
    assert choice.describe() == "ledger: postgresql://ops:***@db.internal/tw (from PLATFORM_LEDGER_URL); engine: pulumi"
    assert choice.to_json()["url"] == "postgresql://ops:***@db.internal/tw"
