"""A value of the ledger its reads cannot take (a time that is not one, tenants that are not a JSON
list of names: the file was edited by hand or damaged) is a LedgerError naming the ledger, the
table, the row, the column and what to do, from the quick read of a SQLite file and from the
Ledger on both backends; never an internal error, never a row skipped or guessed."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from support.ledgertools import RELEASE, deploy, raw_url, stack
from tenantwave.errors import EXIT_USAGE, LedgerError
from tenantwave.ledger import Ledger, planreads
from tenantwave.ledger.deferred import DeferredLedger
from tenantwave.ledger.records import StoredValueError, tenant_list

pytestmark = pytest.mark.integration

POOL = stack("testing.pool.basic", tenants=("acme", "globex"))
SILO = stack("production-us.silo.helios", kind="silo", tier="premium", tenants=("helios",))
FIX = "the ledger was changed outside tenantwave (edited by hand or damaged): correct that row or restore the ledger from a backup"  # noqa: E501


def populated(url: str) -> dict[str, int]:
    """A ledger where POOL runs 1.3.0 then failed RELEASE, and SILO runs RELEASE: each stack's deployment ids."""
    ledger = Ledger(url)
    run = ledger.start_run(release=RELEASE, command="up", engine="test")
    ids = {
        "pool-1.3.0": deploy(ledger, run, POOL, "1.3.0"),
        "pool": deploy(ledger, run, POOL, RELEASE, status="failed"),
        "silo": deploy(ledger, run, SILO, RELEASE),
    }
    ledger.close()
    return ids


def edit(url: str, sql: str, **params: Any) -> None:
    """Change the ledger behind tenantwave's back, as a person with a database client would."""
    engine = create_engine(raw_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(text(sql), params)
    finally:
        engine.dispose()


def message(url: str, row: int, stack_: str, column: str, value: str, expected: str) -> str:
    return f"ledger {url}: tw_deployments row {row} (stack {stack_!r}): {column} {value} is not {expected}; {FIX}"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [("not json", "'not json'"), ('{"acme": 1}', "'{\"acme\": 1}'"), ('"acme"', "'\"acme\"'"), ("[1, 2]", "'[1, 2]'"),
     ("7", "'7'")],
)  # fmt: skip
def test_tenants_that_are_not_a_json_list_of_names_are_named(ledger_url: str, stored: str, shown: str) -> None:
    ids = populated(ledger_url)
    edit(ledger_url, "UPDATE tw_deployments SET tenants = :value WHERE id = :id", value=stored, id=ids["silo"])
    expected = message(ledger_url, ids["silo"], SILO.name, "tenants", shown, "a JSON list of tenant ids")
    ledger = Ledger(ledger_url)
    for read in (lambda: ledger.release_history(RELEASE), ledger.status, lambda: ledger.release_history("1.3.0")):
        with pytest.raises(LedgerError) as raised:
            read()
        assert raised.value.message == expected
        assert raised.value.exit_code == EXIT_USAGE
        assert not isinstance(raised.value, StoredValueError)  # the ledger's name added
    assert ledger.deployments(release="1.3.0")  # rows it does not read are read as before
    with pytest.raises(LedgerError, match="tenants"):
        ledger.deployments(stack=SILO.name)
    ledger.close()


def test_the_quick_read_names_the_same_value_and_does_not_hand_over(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ids = populated(url)
    edit(url, "UPDATE tw_deployments SET ended_at = 'garbage' WHERE id = :id", id=ids["silo"])
    expected = message(url, ids["silo"], SILO.name, "ended_at", "'garbage'", "a time (YYYY-MM-DD HH:MM:SS)")
    deferred = DeferredLedger(url)
    for read in (lambda: deferred.release_history(RELEASE), deferred.status):
        with pytest.raises(LedgerError) as raised:
            read()
        assert raised.value.message == expected
    assert deferred._real is None  # said by the quick read itself
    with pytest.raises(LedgerError) as raised:
        Ledger(url).release_history(RELEASE)
    assert raised.value.message == expected  # the Ledger says the same


@pytest.mark.parametrize(
    ("column", "stored", "shown"),
    [("ended_at", "'2026-13-01 00:00:00.000000'", "'2026-13-01 00:00:00.000000'"),
     ("ended_at", "'2026-01-01T25:00:00'", "'2026-01-01T25:00:00'"),
     ("ended_at", "20260101", "20260101"),  # an integer: SQLite keeps what it is given
     ("ended_at", "''", "''"),
     ("started_at", "'yesterday'", "'yesterday'"),
     ("started_at", "x'00ff'", "b'\\x00\\xff'")],
)  # fmt: skip
def test_times_that_are_not_times_are_named(tmp_path: Path, column: str, stored: str, shown: str) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ids = populated(url)
    edit(url, f"UPDATE tw_deployments SET {column} = {stored} WHERE id = :id", id=ids["silo"])
    expected = message(url, ids["silo"], SILO.name, column, shown, "a time (YYYY-MM-DD HH:MM:SS)")
    for ledger in (DeferredLedger(url), Ledger(url)):
        with pytest.raises(LedgerError) as raised:
            ledger.release_history(RELEASE)  # SILO's last attempt at the release: every column read
        assert raised.value.message == expected


def test_a_long_value_is_cut_and_shown_on_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ids = populated(url)
    edit(url, "UPDATE tw_deployments SET tenants = :value WHERE id = :id", value="x\n" * 100, id=ids["pool-1.3.0"])
    with pytest.raises(LedgerError) as raised:
        DeferredLedger(url).release_history(RELEASE)  # POOL runs 1.3.0: its tenants are read
    assert raised.value.message == message(
        url, ids["pool-1.3.0"], POOL.name, "tenants", ("'" + "x\\n" * 100)[:57] + "...", "a JSON list of tenant ids"
    )
    assert "\n" not in raised.value.message


def test_a_value_no_read_takes_is_left_alone(tmp_path: Path) -> None:
    """A failed attempt the release has since superseded is not read: the plan stands as before."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ids = populated(url)
    ledger = Ledger(url)
    run = ledger.start_run(release=RELEASE, command="up", engine="test")
    deploy(ledger, run, POOL, RELEASE)
    ledger.close()
    before = DeferredLedger(url).release_history(RELEASE)
    edit(url, "UPDATE tw_deployments SET ended_at = 'garbage' WHERE id = :id", id=ids["pool"])
    assert DeferredLedger(url).release_history(RELEASE) == before


def test_drift_values_are_named(ledger_url: str) -> None:
    populated(ledger_url)
    ledger = Ledger(ledger_url)
    run = ledger.start_run(release=RELEASE, command="drift", engine="test")
    claim = ledger.claim_check(run_id=run, stack=SILO, stale_after=timedelta(minutes=2))
    assert claim.granted and claim.check_id is not None
    ledger.finish_check(run_id=run, check_id=claim.check_id, stack=SILO.name, status="drifted", resources=1,
                        findings="[]", error=None, log_path=None)  # fmt: skip
    assert SILO.name in ledger.drift_marks()
    edit(ledger_url, "UPDATE tw_drift SET tenants = 'oops' WHERE id = :id", id=claim.check_id)
    with pytest.raises(LedgerError) as raised:
        ledger.drift_marks()
    assert raised.value.message == (
        f"ledger {ledger_url}: tw_drift check of stack {SILO.name!r} by run {run!r}: tenants 'oops' is not a JSON list "
        f"of tenant ids; {FIX}"
    )
    with pytest.raises(LedgerError) as raised:
        ledger.drift_checks(run)
    assert raised.value.message.startswith(
        f"ledger {ledger_url}: tw_drift row {claim.check_id} (stack {SILO.name!r}): "
    )
    ledger.close()


@pytest.mark.unit
@pytest.mark.parametrize("text", ['["a", "b"]', "[]", '["ünï"]', b'["a"]'])
def test_a_json_list_of_names_is_read(text: Any) -> None:
    assert tenant_list(text) == tuple(json.loads(text))
    assert planreads._Tenants()[text] == tenant_list(text)


@pytest.mark.unit
@pytest.mark.parametrize("text", ["{}", '"ab"', "1", "null", '["a", null]', '[["a"]]', "[", None])
def test_anything_else_is_refused(text: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        tenant_list(text)
    with pytest.raises((ValueError, TypeError)):
        planreads._Tenants()[text]


@pytest.mark.parametrize(("stored", "shown"), [("[1, 2]", "'[1, 2]'"), ("{", "'{'")])
def test_an_approvals_scope_is_named(ledger_url: str, stored: str, shown: str) -> None:
    populated(ledger_url)
    ledger = Ledger(ledger_url)
    ledger.approve(RELEASE, 1, "alice", scope={SILO.name: "1.4.0+0123"})
    edit(ledger_url, "UPDATE tw_approvals SET scope = :value", value=stored)
    with pytest.raises(LedgerError) as raised:
        ledger.release_history(RELEASE)
    assert raised.value.message == (
        f"ledger {ledger_url}: tw_approvals approval of wave 1 of {RELEASE!r} by 'alice': scope {shown} is not a JSON "
        f"object (stack: revision); {FIX}"
    )
    ledger.close()


def test_a_runs_time_is_named(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    populated(url)
    ledger = Ledger(url)
    run = ledger.start_run(release=RELEASE, command="verify", engine="test", wave=1)
    ledger.finish_run(run, "succeeded")
    assert ledger.release_history(RELEASE).gate.verifications[1].id == run  # type: ignore[union-attr]
    ledger.close()
    edit(url, "UPDATE tw_runs SET ended_at = 'soon' WHERE id = :id", id=run)
    for reader in (DeferredLedger(url), Ledger(url)):
        with pytest.raises(LedgerError) as raised:
            reader.release_history(RELEASE)
        assert raised.value.message == (
            f"ledger {url}: tw_runs run {run!r}: ended_at 'soon' is not a time (YYYY-MM-DD HH:MM:SS); {FIX}"
        )
