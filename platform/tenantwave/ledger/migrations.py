"""The ledger's schema version: reading the stored one, creating a new ledger at SCHEMA_VERSION,
upgrading an older one step by step, refusing a newer one.

Creating or upgrading is one write transaction: on SQLite BEGIN IMMEDIATE keeps other processes
out, on PostgreSQL an advisory lock does (one migrating process at a time). SCHEMA_VERSION is read
from schema.py at each call.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, func, insert, inspect, select, text

from tenantwave.errors import LedgerError
from tenantwave.ledger import schema as s

MIGRATION_LOCK = 7311902  # pg_advisory_xact_lock key: one migrating process at a time



def _v2_revisions(conn: Connection) -> None:
    """Schema 2 (issue 23): each deployment records its revision (`revision`, `config`); an approval
    records the stacks and revisions it covers (`scope`, `digest`), and a wave of a release may be
    approved again for other content, so the unique key becomes (release, wave, digest). Approvals
    recorded before keep `scope` NULL and `digest` "": they cover nothing until approved again."""
    conn.execute(text("ALTER TABLE tw_deployments ADD COLUMN revision VARCHAR(200)"))
    conn.execute(text("ALTER TABLE tw_deployments ADD COLUMN config TEXT"))
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE tw_approvals DROP CONSTRAINT tw_approvals_release_wave"))
        conn.execute(text("ALTER TABLE tw_approvals ADD COLUMN scope TEXT"))
        conn.execute(text("ALTER TABLE tw_approvals ADD COLUMN digest VARCHAR(64) NOT NULL DEFAULT ''"))
        conn.execute(
            text("ALTER TABLE tw_approvals ADD CONSTRAINT tw_approvals_scope UNIQUE (release, wave, digest)")
        )
        return
    # SQLite cannot drop a constraint: the table is rebuilt, rows and ids kept.
    conn.execute(text("ALTER TABLE tw_approvals RENAME TO tw_approvals_v1"))
    s.approvals.create(conn)
    conn.execute(
        text(
            "INSERT INTO tw_approvals (id, release, wave, approved_by, approved_at, comment, scope, digest) "
            "SELECT id, release, wave, approved_by, approved_at, comment, NULL, '' FROM tw_approvals_v1"
        )
    )
    conn.execute(text("DROP TABLE tw_approvals_v1"))


def _v3_drift(conn: Connection) -> None:
    """Schema 3 (issue 19): drift checks, one row per stack per `platform drift` run (a new table)."""
    s.drift.create(conn)


# Upgrades of an existing ledger: MIGRATIONS[v] takes a database at version v-1 to version v
# (inside the migration transaction). A new ledger is created at SCHEMA_VERSION directly.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {2: _v2_revisions, 3: _v3_drift}


def stored_version(conn: Connection) -> int | None:
    if not inspect(conn).has_table(s.schema_version.name):
        return None
    version = conn.execute(select(func.max(s.schema_version.c.version))).scalar()
    return int(version) if version is not None else None


def migrate(conn: Connection, *, sqlite: bool, now: Callable[[Connection], datetime], shown_url: str) -> None:
    """Inside the write transaction: bring the ledger to SCHEMA_VERSION (checking its version again,
    locked). `now` gives the time each version is recorded as applied."""
    if not sqlite:  # SQLite: BEGIN IMMEDIATE already keeps other processes out
        conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
    version = stored_version(conn)
    if version is None:
        s.metadata.create_all(conn, checkfirst=True)
        conn.execute(insert(s.schema_version).values(version=s.SCHEMA_VERSION, applied_at=now(conn)))
        return
    if version > s.SCHEMA_VERSION:
        raise LedgerError(
            f"ledger {shown_url} has schema version {version}, newer than this "
            f"tenantwave ({s.SCHEMA_VERSION}): upgrade tenantwave"
        )
    for target in range(version + 1, s.SCHEMA_VERSION + 1):
        MIGRATIONS[target](conn)
        conn.execute(insert(s.schema_version).values(version=target, applied_at=now(conn)))
