"""The ledger's schema on both backends: created on first use, never re-created, versions guarded."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, inspect, text
from sqlalchemy.engine import Connection

from support.ledgertools import RELEASE, deploy, raw_url, rows, stack
from tenantwave.errors import LedgerError
from tenantwave.ledger import Ledger, schema, store

pytestmark = pytest.mark.integration

TABLES = {"tw_schema_version", "tw_runs", "tw_deployments", "tw_claims", "tw_approvals"}


def tables(url: str) -> set[str]:
    engine = create_engine(raw_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_constructor_does_no_io(ledger_url: str) -> None:
    Ledger(ledger_url)
    assert not tables(ledger_url) & TABLES


def test_first_use_creates_the_schema_and_records_its_version(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    assert ledger.schema_version() == schema.SCHEMA_VERSION
    assert tables(ledger_url) >= TABLES
    assert [r["version"] for r in rows(ledger_url, "tw_schema_version")] == [schema.SCHEMA_VERSION]


def test_reopening_does_not_migrate_again_and_keeps_the_data(ledger_url: str) -> None:
    first = Ledger(ledger_url)
    run = first.start_run(release=RELEASE, command="up", engine="test")
    deploy(first, run, stack("testing.pool.basic"))
    first.close()
    before = rows(ledger_url, "tw_schema_version")

    again = Ledger(ledger_url)
    assert again.schema_version() == schema.SCHEMA_VERSION
    assert rows(ledger_url, "tw_schema_version") == before  # same single row, same applied_at
    assert [d.stack for d in again.deployments()] == ["testing.pool.basic"]


def test_a_schema_newer_than_the_tool_is_refused_in_one_line(ledger_url: str) -> None:
    Ledger(ledger_url).schema_version()
    engine = create_engine(raw_url(ledger_url))
    with engine.begin() as conn:
        conn.execute(insert(schema.schema_version).values(version=99, applied_at=store.utcnow()))
    engine.dispose()

    ledger = Ledger(ledger_url)
    for attempt in (ledger.status, lambda: ledger.start_run(release=RELEASE, command="up", engine="test")):
        with pytest.raises(LedgerError) as caught:
            attempt()
        message = caught.value.message
        assert f"schema version 99, newer than this tenantwave ({schema.SCHEMA_VERSION}): upgrade tenantwave" in message
        assert "\n" not in message
    assert not rows(ledger_url, "tw_runs")


def test_an_older_ledger_is_upgraded_step_by_step(ledger_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    current = schema.SCHEMA_VERSION
    Ledger(ledger_url).schema_version()  # a ledger at the current version

    def add_notes(conn: Connection) -> None:
        conn.execute(text("CREATE TABLE tw_notes (id INTEGER PRIMARY KEY, body TEXT)"))

    monkeypatch.setattr(schema, "SCHEMA_VERSION", current + 1)
    monkeypatch.setitem(store.MIGRATIONS, current + 1, add_notes)
    upgraded = Ledger(ledger_url)
    assert upgraded.schema_version() == current + 1
    assert "tw_notes" in tables(ledger_url)
    assert sorted(r["version"] for r in rows(ledger_url, "tw_schema_version")) == [current, current + 1]
    assert Ledger(ledger_url).schema_version() == current + 1  # and only once


def test_reading_a_missing_sqlite_ledger_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "ledger.db"
    ledger = Ledger(f"sqlite:///{path}")
    assert ledger.status() == [] and ledger.runs() == [] and ledger.deployments() == []
    assert ledger.release_history(RELEASE).current == {}
    assert ledger.approval(RELEASE, 1) is None
    assert ledger.stack_results(RELEASE, ["a"]) == {}
    assert not path.parent.exists()
    ledger.start_run(release=RELEASE, command="up", engine="test")
    assert path.exists()


def test_an_in_memory_ledger_works_across_threads() -> None:
    import threading

    ledger = Ledger("sqlite://")
    run = ledger.start_run(release=RELEASE, command="up", engine="test")
    threads = [
        threading.Thread(target=deploy, args=(ledger, run, stack(f"testing.silo.t{i}", kind="silo")))
        for i in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(d.stack for d in ledger.deployments()) == [f"testing.silo.t{i}" for i in range(4)]
