"""`plan` and `status` on a ledger with a value edited by hand into something its reads cannot take
say which ledger, table, row and column, and what to do, with exit code 2: no traceback, nothing
skipped. Through the quick read of the SQLite file and through the ledger itself (a URL with a
query is read by SQLAlchemy)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from support.clirunner import Platform
from support.testengine import SPEC, ScriptedEngine

pytestmark = pytest.mark.cli

FIX = "the ledger was changed outside tenantwave (edited by hand or damaged): correct that row or restore the ledger from a backup"  # noqa: E501


@pytest.fixture
def platform(platform: Platform) -> Platform:
    return platform.with_engine(SPEC)


def damaged(project: Path, platform: Platform, column: str, value: str) -> tuple[int, str]:
    """Wave 1 of 1.4.0 deployed, then `column` of its last deployment set to `value` by hand."""
    assert platform("up", "--release", "1.4.0", "--wave", "1", "--yes").exit_code == 0
    with sqlite3.connect(project / ".platform" / "ledger.db") as conn:
        row, stack = conn.execute("SELECT id, stack FROM tw_deployments ORDER BY id DESC LIMIT 1").fetchone()
        conn.execute(f"UPDATE tw_deployments SET {column} = ? WHERE id = ?", (value, row))
    conn.close()
    return row, stack


@pytest.mark.parametrize(
    ("column", "value", "shown", "expected"),
    [("ended_at", "garbage", "'garbage'", "a time (YYYY-MM-DD HH:MM:SS)"),
     ("started_at", "2026-02-30 10:00:00.000000", "'2026-02-30 10:00:00.000000'", "a time (YYYY-MM-DD HH:MM:SS)"),
     ("tenants", '{"acme": true}', "'{\"acme\": true}'", "a JSON list of tenant ids")],
)  # fmt: skip
@pytest.mark.parametrize("quick", [True, False])
def test_plan_and_status_name_the_value(
    project: Path, test_engine: ScriptedEngine, platform: Platform, column: str, value: str, shown: str, expected: str,
    quick: bool,
) -> None:  # fmt: skip
    row, stack = damaged(project, platform, column, value)
    url = f"sqlite:///{(project / '.platform' / 'ledger.db').resolve()}" + ("" if quick else "?timeout=5")
    where = f"tw_deployments row {row} (stack {stack!r})"
    error = f"error: ledger {url}: {where}: {column} {shown} is not {expected}; {FIX}\n"
    options = () if quick else ("--ledger", url)
    chosen = f"ledger: {url} (from --ledger)" if options else "ledger: .platform/ledger.db (from platform.yaml)"
    header = f"{chosen}; engine: {SPEC}\n"
    plan = platform(*options, "plan", "--release", "1.4.0")
    assert (plan.exit_code, plan.stdout, plan.stderr) == (2, "", header + error)
    as_json = platform(*options, "plan", "--release", "1.4.0", "--json")
    assert (as_json.exit_code, as_json.stdout, as_json.stderr) == (2, "", error)
    status = platform(*options, "status")
    assert (status.exit_code, status.stdout, status.stderr) == (2, "", header + error)
