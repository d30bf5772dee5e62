"""A ledger that does not exist: an empty history only at the project's own locations; elsewhere a
read is refused and a write creates it only in a directory that exists (issue 16, point 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from support.clirunner import Platform
from support.testengine import SPEC, ScriptedEngine

pytestmark = pytest.mark.cli

NOWHERE = "/nonexistent/dir/x.db"
NO_LEDGER = (
    "error: ledger {path} ({where}) does not exist: check the path "
    "(a new ledger is created by the first command that records something in it)\n"
)
NO_DIRECTORY = (
    "error: ledger {path} ({where}): the directory {dir} does not exist: check the path, "
    "or create the directory to start a new ledger there\n"
)


@pytest.fixture
def platform(platform: Platform) -> Platform:
    return platform.with_engine(SPEC)


READS = [["status"], ["plan", "--release", "1.4.0"], ["tenant", "list"], ["status", "--json"]]


@pytest.mark.parametrize("args", READS, ids=[" ".join(a) for a in READS])
def test_reading_a_ledger_that_does_not_exist_exits_2(project: Path, platform: Platform, args: list[str]) -> None:
    result = platform(*args, "--ledger", f"sqlite:///{NOWHERE}")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == NO_LEDGER.format(path=NOWHERE, where="from --ledger")


def test_the_message_names_where_the_url_came_from(
    project: Path, tmp_path: Path, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATFORM_LEDGER_URL", f"sqlite:///{tmp_path / 'typo.db'}")
    result = platform("status")
    assert (result.exit_code, result.stderr) == (
        2, NO_LEDGER.format(path=tmp_path / "typo.db", where="from PLATFORM_LEDGER_URL"),
    )  # fmt: skip


def test_a_mistyped_ledger_in_platform_yaml_is_refused(project: Path, platform: Platform) -> None:
    document = yaml.safe_load((project / "platform.yaml").read_text())
    document["ledger"] = "sqlite:///.platfrom/ledger.db"
    (project / "platform.yaml").write_text(yaml.safe_dump(document))
    result = platform("status")
    assert (result.exit_code, result.stderr) == (
        2, NO_LEDGER.format(path=".platfrom/ledger.db", where="from platform.yaml"),
    )  # fmt: skip


@pytest.mark.parametrize("ledger", [None, "sqlite:///.platform/ledger.db", "sqlite:///.platform/simulated.db"])
def test_a_new_project_reads_an_empty_history_at_its_own_locations(
    project: Path, platform: Platform, ledger: str | None
) -> None:
    result = platform("status", "--json", *(["--ledger", ledger] if ledger else []))
    assert result.exit_code == 0
    assert all(stack["current_release"] is None for stack in result.json()["stacks"])
    assert not (project / ".platform").exists()  # and reading created nothing


def test_up_does_not_create_a_ledger_in_a_directory_that_does_not_exist(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    for args in (["up", "--release", "1.4.0", "--wave", "1", "--yes"], ["approve", "-r", "1.4.0", "-w", "7"]):
        result = platform(*args, "--ledger", f"sqlite:///{NOWHERE}")
        assert (result.exit_code, result.output) == (
            2, NO_DIRECTORY.format(path=NOWHERE, where="from --ledger", dir="/nonexistent/dir"),
        )  # fmt: skip
    assert test_engine.calls == []


def test_up_creates_a_ledger_where_its_directory_exists(
    project: Path, tmp_path: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert platform("up", "--release", "1.4.0", "--wave", "1", "--yes", "--ledger", url).exit_code == 0
    assert (tmp_path / "new.db").is_file()
    assert platform("status", "--ledger", url).exit_code == 0  # it exists now: reading it is fine


def test_up_creates_the_default_ledger_and_its_directory(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    assert platform("up", "--release", "1.4.0", "--wave", "1", "--yes").exit_code == 0
    assert (project / ".platform" / "ledger.db").is_file()
