"""The shared `platform` fixture (tests/support/clirunner.py): what its result offers is what the CLI printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.clirunner import CliResult, Platform
from support.fleet import copy_example
from support.testengine import SPEC, ScriptedEngine
from tenantwave.ledger import Ledger

FIRST, SECOND = "20250301T120000-0a1b2c3d", "20250301T120500-deadbeef"


@pytest.mark.unit
def test_run_ids_are_parsed_and_masked() -> None:
    result = CliResult(0, f"run {FIRST}: 1 stack(s)\nrun {SECOND}; again {FIRST}\n", "", f"run {FIRST}\n")
    assert result.run_id == FIRST
    assert result.run_ids == [FIRST]  # from `output` only, as a terminal shows it
    both = CliResult(0, "", "", f"run {FIRST}: 1 stack(s)\nrun {SECOND}; again {FIRST}\n")
    assert both.run_ids == [FIRST, SECOND]
    assert both.text == "run RUN: 1 stack(s)\nrun RUN; again RUN\n"
    assert CliResult(0, "", "", "run 2025-03-01: not an id\n").run_id is None


@pytest.mark.unit
def test_json_reads_stdout_not_the_messages_on_stderr() -> None:
    result = CliResult(2, '{"valid": false}\n', "error: 1 problem\n", 'error: 1 problem\n{"valid": false}\n')
    assert result.json() == {"valid": False}


@pytest.mark.cli
def test_the_run_id_is_the_one_the_ledger_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, test_engine: ScriptedEngine, platform: Platform
) -> None:
    root = copy_example(tmp_path / "fleet")
    monkeypatch.chdir(root)
    monkeypatch.delenv("PLATFORM_ENGINE", raising=False)
    monkeypatch.delenv("PLATFORM_LEDGER_URL", raising=False)
    result = platform.with_engine(SPEC)("up", "--release", "1.4.0", "--wave", "1", "--json")
    assert result.exit_code == 0, result.output
    ledger = Ledger(f"sqlite:///{root / '.platform' / 'ledger.db'}")
    try:
        (run,) = ledger.runs()
    finally:
        ledger.close()
    assert result.run_id == run.id
    assert result.json()["run"] == run.id
    assert run.id not in result.text
