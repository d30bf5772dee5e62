"""The planning reads of a SQLite ledger through the standard library (no SQLAlchemy) give the
Ledger's answers, and hand over to the Ledger whenever they cannot."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from support.ledgertools import RELEASE, STALE_AFTER, deploy, stack
from tenantwave.errors import LedgerError
from tenantwave.ledger import Ledger, planreads, schema
from tenantwave.ledger.deferred import DeferredLedger

pytestmark = pytest.mark.integration

BASIC = stack("testing.pool.basic", tenants=("acme", "globex"))
STAGING = stack("staging.pool.basic", tenants=("acme", "globex"))
SILO = stack("production-us.silo.helios", kind="silo", tier="premium", tenants=("helios",))


def populated(path: Path) -> str:
    url = f"sqlite:///{path}"
    ledger = Ledger(url)
    run = ledger.start_run(release=RELEASE, command="up", engine="test")
    deploy(ledger, run, BASIC, "1.3.0")
    deploy(ledger, run, BASIC, RELEASE, status="failed")
    deploy(ledger, run, SILO, RELEASE)
    deploy(ledger, run, STAGING, RELEASE)
    deploy(ledger, run, STAGING, RELEASE, operation="destroy", fingerprint=None)
    deploy(ledger, run, SILO, "1.3.0", operation="rollback")
    ledger.claim(run_id=run, stack=BASIC, release="1.5.0", operation="up", fingerprint="f", stale_after=STALE_AFTER)
    ledger.close()
    return url


def test_quick_reads_answer_like_the_ledger(tmp_path: Path) -> None:
    url = populated(tmp_path / "ledger.db")
    deferred, ledger = DeferredLedger(url), Ledger(url)
    for release in (RELEASE, "1.3.0", "9.9.9"):
        assert deferred.release_history(release) == ledger.release_history(release)
    assert deferred.status() == ledger.status()
    assert deferred._real is None  # answered without opening the real ledger (nor importing SQLAlchemy)
    history = deferred.release_history(RELEASE)
    assert history.running == {BASIC.name: history.running[BASIC.name]}
    assert history.current[SILO.name].release == "1.3.0"  # the rollback is what it runs
    assert STAGING.name not in history.current  # destroyed


def test_a_ledger_of_another_schema_version_is_read_by_the_ledger_itself(tmp_path: Path) -> None:
    url = populated(tmp_path / "ledger.db")
    with sqlite3.connect(tmp_path / "ledger.db") as conn:
        conn.execute("UPDATE tw_schema_version SET version = ?", (schema.SCHEMA_VERSION + 1,))
    deferred = DeferredLedger(url)
    with pytest.raises(LedgerError, match="newer than this tenantwave"):
        deferred.release_history(RELEASE)
    assert deferred._real is not None


def test_a_file_that_is_no_database_gets_the_ledgers_error(tmp_path: Path) -> None:
    (tmp_path / "ledger.db").write_text("not a database\n")
    with pytest.raises(LedgerError, match="cannot be used"):
        DeferredLedger(f"sqlite:///{tmp_path / 'ledger.db'}").status()


def test_quick_reads_never_write(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    url = populated(path)
    before = path.read_bytes()
    DeferredLedger(url).release_history(RELEASE)
    DeferredLedger(url).status()
    assert path.read_bytes() == before


def test_planreads_names_only_columns_the_schema_has() -> None:
    columns = {column.name for column in schema.deployments.c}
    assert set(planreads.DEPLOYMENT_FIELDS) <= columns
    assert {"tw_deployments", "tw_claims", "tw_schema_version"} <= set(schema.metadata.tables)


def test_planning_on_an_existing_sqlite_ledger_does_not_import_sqlalchemy(tmp_path: Path) -> None:
    url = populated(tmp_path / "ledger.db")
    root = Path(__file__).resolve().parents[2]
    code = f"""
        import sys
        from click.testing import CliRunner
        from tenantwave.cli import cli
        for args in (["plan", "--release", "{RELEASE}", "--json"], ["status", "--json"]):
            result = CliRunner().invoke(cli, ["--project", "{root}", "--ledger", "{url}", *args])
            assert result.exit_code == 0, result.output
            assert "helios" in result.output, result.output
        print(sorted(m for m in sys.modules if m.split(".")[0] == "sqlalchemy")[:3])
        """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root / "platform")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
