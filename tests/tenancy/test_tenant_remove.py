"""`platform tenant remove`: offboarding, production first, the file last, resumable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tenancy_helpers import files, ledger_rows, roll_out

import support.testengine
from support.clirunner import Platform
from support.testengine import SPEC, ScriptedEngine, Step

pytestmark = pytest.mark.cli

LEDGER = f"ledger: .platform/ledger.db (from platform.yaml); engine: {SPEC}\n"  # every command states it first


class RetainRecordingEngine(ScriptedEngine):
    """The scripted engine, also noting what each destroy was told about data-bearing resources."""

    def __init__(self) -> None:
        super().__init__()
        self.retained: dict[str, bool] = {}

    def destroy(self, job: Any, progress: Any, cancel: Any) -> Any:
        self.retained[job.name] = job.retain_data
        return super().destroy(job, progress, cancel)


@pytest.fixture
def recording_engine(test_engine: ScriptedEngine, monkeypatch: pytest.MonkeyPatch) -> RetainRecordingEngine:
    engine = RetainRecordingEngine()
    monkeypatch.setattr(support.testengine, "_installed", engine)
    return engine


def test_offboard_a_silo_tenant_production_first(
    project: Path, recording_engine: RetainRecordingEngine, platform: Platform
) -> None:
    roll_out(platform)
    result = platform("tenant", "remove", "helios-bank", "--deploy", "--yes")
    assert result.exit_code == 0, result.output
    assert result.text.startswith(
        LEDGER
        + "remove tenant helios-bank: production first, the file last\n"
        "  destroy  production-us.silo.helios-bank at 1.4.0: the tenant's own stack\n"
        "  destroy  production-eu.silo.helios-bank at 1.4.0: the tenant's own stack\n"
        "  destroy  staging.silo.helios-bank at 1.4.0: the tenant's own stack\n"
        "  delete   tenants/helios-bank.yaml (after every stack succeeded)\n"
        "note: data-bearing resources (tables, databases) of destroyed stacks are kept "
        "(pass --delete-data to delete them)\n"
    )
    assert result.text.endswith(
        "tenant helios-bank removed: 3 stack(s) changed; tenants/helios-bank.yaml deleted\n"
        "the ledger keeps the tenant's history\n"
    )
    assert recording_engine.operations("destroy") == [
        "production-us.silo.helios-bank",
        "production-eu.silo.helios-bank",
        "staging.silo.helios-bank",
    ]
    assert set(recording_engine.retained.values()) == {True}
    assert not (project / "tenants/helios-bank.yaml").exists()
    history = [row for row in ledger_rows(project) if len(row) == 5 and row[1] == "staging.silo.helios-bank"]
    assert [(op, status) for _, _, op, status, _ in history] == [("up", "succeeded"), ("destroy", "succeeded")]
    assert "staging.silo.helios-bank" not in platform("status", "--json").output  # destroyed and gone
    status = json.loads(platform("status", "--all", "--json").output)
    gone = next(s for s in status["stacks"] if s["name"] == "staging.silo.helios-bank")
    assert (gone["current_release"], gone["in_config"]) == (None, False)


def test_delete_data_reaches_the_engine(
    project: Path, recording_engine: RetainRecordingEngine, platform: Platform
) -> None:
    roll_out(platform)
    result = platform("tenant", "remove", "ironclad", "--deploy", "--delete-data", "--yes")
    assert result.exit_code == 0, result.output
    assert "of destroyed stacks are DELETED (--delete-data)\n" in result.text
    assert recording_engine.retained == {"production-us.silo.ironclad": False}


def test_offboard_a_pool_tenant_updates_its_pools_without_it(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    roll_out(platform)
    before = len(test_engine.calls)
    result = platform("tenant", "remove", "dune-analytics", "--deploy", "--yes")
    assert result.exit_code == 0, result.output
    calls = test_engine.calls[before:]
    assert [(c.operation, c.stack, c.release) for c in calls] == [
        ("up", "production-us.pool.basic", "1.4.0"),
        ("up", "production-eu.pool.basic", "1.4.0"),
    ]
    assert [m["id"] for m in json.loads(calls[0].config["tenantwave:members"])] == ["acme-labs", "corner-bakery"]
    assert [m["id"] for m in json.loads(calls[1].config["tenantwave:members"])] == ["brightside"]
    assert not (project / "tenants/dune-analytics.yaml").exists()
    assert platform("up", "--release", "1.4.0", "--tier", "basic", "--yes").text.startswith(
        LEDGER
        + "release 1.4.0, targeted run (--tier basic): 4 stack(s)\n  done     testing.pool.basic"
    )


def test_an_interrupted_offboarding_resumes(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    roll_out(platform)
    test_engine.steps["production-eu.silo.helios-bank"] = Step("failed", error="Error: table is locked")
    first = platform("tenant", "remove", "helios-bank", "--deploy", "--yes")
    assert first.exit_code == 1
    assert "stopped at production-eu.silo.helios-bank: failed: Error: table is locked\n" in first.text
    assert first.text.endswith("tenants/helios-bank.yaml is unchanged; rerun the same command to resume\n")
    assert (project / "tenants/helios-bank.yaml").exists()
    assert test_engine.operations("destroy") == ["production-us.silo.helios-bank", "production-eu.silo.helios-bank"]

    del test_engine.steps["production-eu.silo.helios-bank"]
    again = platform("tenant", "remove", "helios-bank", "--deploy", "--yes")
    assert again.exit_code == 0, again.output
    assert again.text.startswith(
        LEDGER
        + "remove tenant helios-bank: production first, the file last\n"
        "  done     production-us.silo.helios-bank: the tenant's own stack\n"
        "  destroy  production-eu.silo.helios-bank at 1.4.0: the tenant's own stack\n"
        "  destroy  staging.silo.helios-bank at 1.4.0: the tenant's own stack\n"
    )
    assert test_engine.operations("destroy")[2:] == ["production-eu.silo.helios-bank", "staging.silo.helios-bank"]
    assert not (project / "tenants/helios-bank.yaml").exists()


def test_file_removed_first_then_offboarded_from_the_ledger(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    roll_out(platform)
    assert platform("tenant", "remove", "ironclad", "--yes").text == (
        LEDGER
        + "remove tenant ironclad: production first, the file last\n"
        "  delete   tenants/ironclad.yaml\n"
        "stacks left as they are (no --deploy): production-us.silo.ironclad\n"
        "tenants/ironclad.yaml deleted\n"
    )
    result = platform("tenant", "remove", "ironclad", "--deploy", "--yes")
    assert result.exit_code == 0, result.output
    assert "  destroy  production-us.silo.ironclad at 1.4.0: the tenant's own stack\n" in result.text
    assert test_engine.operations("destroy") == ["production-us.silo.ironclad"]
    nothing = platform("tenant", "remove", "ironclad", "--deploy", "--yes")
    assert (nothing.exit_code, nothing.output) == (
        2, LEDGER + "error: no tenant ironclad: no file in tenants/ and no stack serves it in the ledger\n"
    )


def test_without_a_terminal_remove_needs_yes(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    roll_out(platform)
    before, calls = files(project), len(test_engine.calls)
    result = platform("tenant", "remove", "ironclad", "--deploy")
    assert result.exit_code == 2
    assert result.output.endswith(
        "error: tenant remove asks for confirmation: pass --yes to go ahead without a terminal\n"
    )
    assert (files(project), len(test_engine.calls)) == (before, calls)


def test_dry_run_changes_nothing(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    roll_out(platform)
    files_before, ledger_before, calls = files(project), ledger_rows(project), len(test_engine.calls)
    result = platform("tenant", "remove", "corner-bakery", "--deploy", "--dry-run")
    assert result.exit_code == 0
    assert result.text == (
        LEDGER
        + "remove tenant corner-bakery: production first, the file last\n"
        "  update   production-us.pool.basic at 1.4.0: remove the tenant from the pool's members\n"
        "  update   staging.pool.basic at 1.4.0: remove the tenant from the pool's members\n"
        "  delete   tenants/corner-bakery.yaml (after every stack succeeded)\n"
        "dry run: nothing changed\n"
    )
    assert (files(project), ledger_rows(project), len(test_engine.calls)) == (files_before, ledger_before, calls)


def test_unknown_or_unsafe_tenant_exits_2(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    assert platform("tenant", "remove", "nobody", "--deploy", "--yes").exit_code == 2
    unsafe = platform("tenant", "remove", "a/../../x", "--yes")
    assert unsafe.exit_code == 2 and unsafe.output.startswith(LEDGER + "error: tenant id: ")
