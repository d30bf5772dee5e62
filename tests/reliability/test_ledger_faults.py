"""A locked SQLite ledger or an unreachable PostgreSQL server: a clear error, and nothing deployed."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import Harness

pytestmark = pytest.mark.integration


@pytest.fixture
def locked_sqlite(tmp_path: Path) -> Iterator[Path]:
    """A SQLite ledger another process holds an exclusive lock on."""
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE held (x INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield path
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def assert_refused_cleanly(result: Any, harness: Harness, words: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert harness.engine_calls() == []  # nothing deployed


def test_a_locked_sqlite_ledger_stops_the_run_before_anything_deploys(harness_for: Any, locked_sqlite: Path) -> None:
    harness: Harness = harness_for(f"sqlite:///{locked_sqlite}?timeout=1")
    result = harness.up()
    assert_refused_cleanly(result, harness, "is locked")
    assert "for more than 1 s" in result.stderr  # the URL's timeout bounds the wait, not the 30 s default


def test_an_unreachable_postgres_ledger_stops_the_run_before_anything_deploys(harness_for: Any) -> None:
    harness: Harness = harness_for(f"postgresql://tenantwave:hunter2@127.0.0.1:{free_port()}/ledger")
    result = harness.up()
    assert_refused_cleanly(result, harness, "cannot be used")
    assert "hunter2" not in result.stdout + result.stderr


def test_plan_and_status_report_an_unreachable_ledger_in_one_line(harness_for: Any) -> None:
    harness: Harness = harness_for(f"postgresql://tenantwave@127.0.0.1:{free_port()}/ledger")
    for args in (("plan", "--release", "1.4.0"), ("status",)):
        result = harness.run(*args)
        assert_refused_cleanly(result, harness, "cannot be used")
        stated, *error = result.stderr.strip().splitlines()
        assert stated.startswith("ledger: postgresql://tenantwave@127.0.0.1:")  # which ledger, then the error
        assert len(error) == 1
