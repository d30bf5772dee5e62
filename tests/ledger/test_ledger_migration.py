"""Schema 1 -> 2 (issue 23) on both backends: deployments gain their revision, approvals their scope;
then 2 -> 3 (issue 19): the drift checks' table.

The schema-1 ledger is made here as the tool of that version made it (its tables, its version
row, a deployment and an approval), then opened by today's Ledger, which upgrades it in place.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    insert,
)

from support.ledgertools import raw_url, rows
from tenantwave.errors import LedgerError
from tenantwave.ledger import Ledger, schema
from tenantwave.ledger.deferred import DeferredLedger

pytestmark = pytest.mark.integration

WHEN = datetime(2026, 3, 1, 16, 1)


def _schema_1() -> MetaData:
    metadata = MetaData()
    Table("tw_schema_version", metadata, Column("version", Integer, primary_key=True),
          Column("applied_at", DateTime, nullable=False))  # fmt: skip
    Table(
        "tw_runs", metadata,
        Column("id", String(40), primary_key=True), Column("release", String(128), nullable=False),
        Column("commit", String(64)), Column("command", String(64), nullable=False), Column("wave", Integer),
        Column("engine", String(200), nullable=False), Column("simulated", Boolean, nullable=False),
        Column("status", String(16), nullable=False), Column("started_at", DateTime, nullable=False),
        Column("heartbeat_at", DateTime, nullable=False), Column("ended_at", DateTime), Column("user", String(200)),
        Column("host", String(200)), Column("pid", Integer), Column("detail", Text),
    )  # fmt: skip
    Table(
        "tw_deployments", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True), Column("run_id", String(40), nullable=False),
        Column("release", String(128), nullable=False), Column("commit", String(64)),
        Column("stack", String(200), nullable=False), Column("environment", String(64), nullable=False),
        Column("kind", String(8), nullable=False), Column("tier", String(64), nullable=False),
        Column("tenants", Text, nullable=False), Column("operation", String(16), nullable=False),
        Column("status", String(16), nullable=False), Column("fingerprint", String(64)),
        Column("started_at", DateTime, nullable=False), Column("ended_at", DateTime), Column("error", Text),
        Column("log_path", Text), Column("resources", Integer), Column("simulated", Boolean, nullable=False),
    )  # fmt: skip
    Table(
        "tw_claims", metadata,
        Column("stack", String(200), primary_key=True), Column("run_id", String(40), nullable=False),
        Column("deployment_id", Integer), Column("release", String(128), nullable=False),
        Column("claimed_at", DateTime, nullable=False), Column("heartbeat_at", DateTime, nullable=False),
    )  # fmt: skip
    Table(
        "tw_approvals", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True), Column("release", String(128), nullable=False),
        Column("wave", Integer, nullable=False), Column("approved_by", String(200), nullable=False),
        Column("approved_at", DateTime, nullable=False), Column("comment", Text),
        UniqueConstraint("release", "wave", name="tw_approvals_release_wave"),
    )  # fmt: skip
    return metadata


def _make_schema_1_ledger(url: str) -> None:
    metadata = _schema_1()
    engine = create_engine(raw_url(url))
    try:
        with engine.begin() as conn:
            metadata.create_all(conn)
            t = metadata.tables
            conn.execute(insert(t["tw_schema_version"]).values(version=1, applied_at=WHEN))
            conn.execute(insert(t["tw_runs"]).values(
                id="run-1", release="2.0.0", command="up", wave=1, engine="test", simulated=False,
                status="succeeded", started_at=WHEN, heartbeat_at=WHEN, ended_at=WHEN))  # fmt: skip
            conn.execute(insert(t["tw_deployments"]).values(
                run_id="run-1", release="2.0.0", stack="testing.pool.basic", environment="testing", kind="pool",
                tier="basic", tenants="[]", operation="up", status="succeeded", fingerprint="f" * 16,
                started_at=WHEN, ended_at=WHEN, resources=4, simulated=False))  # fmt: skip
            conn.execute(insert(t["tw_approvals"]).values(
                release="2.0.0", wave=8, approved_by="ops-lead", approved_at=WHEN, comment="CHG-1"))  # fmt: skip
    finally:
        engine.dispose()


def test_a_schema_1_ledger_is_upgraded_and_keeps_its_history(ledger_url: str) -> None:
    _make_schema_1_ledger(ledger_url)
    ledger = Ledger(ledger_url)
    assert ledger.schema_version() == schema.SCHEMA_VERSION
    assert sorted(r["version"] for r in rows(ledger_url, "tw_schema_version")) == list(
        range(1, schema.SCHEMA_VERSION + 1)
    )
    assert rows(ledger_url, "tw_drift") == []  # schema 3 (issue 19): drift checks, a new table

    (record,) = ledger.deployments()
    assert (record.stack, record.release, record.fingerprint, record.revision, record.config) == (
        "testing.pool.basic", "2.0.0", "f" * 16, None, None
    )
    history = ledger.release_history("2.0.0")
    assert history.current["testing.pool.basic"].revision is None
    assert [s.config for s in history.successes] == [None]

    old = ledger.approval("2.0.0", 8)
    assert old is not None
    assert (old.approved_by, old.approved_at, old.comment, old.scope, old.digest) == (
        "ops-lead", WHEN, "CHG-1", None, ""
    )
    # the same wave may now be approved again, for what it deploys now; that approval is the latest
    scope = {"production-us.pool.standard": "2.0.0+8c1d07e2"}
    new = ledger.approve("2.0.0", 8, "ops-lead", "CHG-2", scope=scope)
    assert new.scope == scope and new.digest and new != old
    again = ledger.approve("2.0.0", 8, "someone-else", scope=scope)  # same scope: the first stands
    assert (again.approved_by, again.approved_at, again.digest, again.repeated) == (
        "ops-lead",
        new.approved_at,
        new.digest,
        True,
    )
    latest = ledger.approval("2.0.0", 8)
    assert latest is not None and (latest.approved_by, latest.scope) == ("ops-lead", scope)
    assert [a.comment for a in ledger.release_history("2.0.0").gate.approvals] == ["CHG-1", "CHG-2"]


def test_a_new_deployment_records_its_revision_after_the_upgrade(ledger_url: str) -> None:
    from datetime import timedelta

    from support.ledgertools import stack

    _make_schema_1_ledger(ledger_url)
    ledger = Ledger(ledger_url)
    run = ledger.start_run(release="2.0.0", command="up", engine="test")
    claim = ledger.claim(
        run_id=run, stack=stack("staging.pool.basic"), release="2.0.0", operation="up", fingerprint="a" * 16,
        stale_after=timedelta(minutes=2), revision="2.0.0+c3f9a2c1", config='{"program":"p"}',
    )  # fmt: skip
    assert claim.granted and claim.deployment_id is not None
    ledger.finish_deployment(run_id=run, deployment_id=claim.deployment_id, stack="staging.pool.basic",
                             status="succeeded")  # fmt: skip
    current = ledger.release_history("2.0.0").current["staging.pool.basic"]
    assert (current.revision, current.config) == ("2.0.0+c3f9a2c1", '{"program":"p"}')
    assert current.tenants == ("acme", "globex")
    # the same release with another revision is not current: a second claim is granted
    again = ledger.claim(
        run_id=run, stack=stack("staging.pool.basic"), release="2.0.0", operation="up", fingerprint="a" * 16,
        stale_after=timedelta(minutes=2), revision="2.0.0+8c1d07e2", unless_current="2.0.0",
    )  # fmt: skip
    assert again.granted
    ledger.finish_deployment(run_id=run, deployment_id=again.deployment_id, stack="staging.pool.basic",
                             status="succeeded")  # fmt: skip
    same = ledger.claim(
        run_id=run, stack=stack("staging.pool.basic"), release="2.0.0", operation="up", fingerprint="a" * 16,
        stale_after=timedelta(minutes=2), revision="2.0.0+8c1d07e2", unless_current="2.0.0",
    )  # fmt: skip
    assert same.already_current and not same.granted


def test_a_value_edited_by_hand_in_a_schema_1_ledger_is_named_after_the_upgrade(tmp_path: Path) -> None:
    """The quick read answers only at the current schema version: the Ledger upgrades the file, then
    names the value as it would in a current one (records.StoredValueError)."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    _make_schema_1_ledger(url)
    with closing(sqlite3.connect(tmp_path / "old.db")) as conn, conn:
        conn.execute("UPDATE tw_deployments SET tenants = 'acme,globex'")
    deferred = DeferredLedger(url)
    with pytest.raises(LedgerError) as raised:
        deferred.release_history("2.0.0")
    assert raised.value.message == (
        f"ledger {url}: tw_deployments row 1 (stack 'testing.pool.basic'): tenants 'acme,globex' is not a JSON list of "
        "tenant ids; the ledger was changed outside tenantwave (edited by hand or damaged): correct that row or "
        "restore the ledger from a backup"
    )
    assert deferred._real is not None  # the Ledger read it
    assert Ledger(url).schema_version() == schema.SCHEMA_VERSION
