"""The ledger's hot-path statements, built once with bound parameters.

Building a statement with literal `.values(...)` costs SQLAlchemy a cache-key computation per
call (milliseconds under the GIL with many threads); a prebuilt statement executed with a
parameter dict is compiled once and reused. These run once or twice per stack per run.

Lock order, on every backend: claims, then deployments, then runs. Every write transaction
touches them in that order, so two PostgreSQL transactions never wait on each other in a cycle.
"""

from __future__ import annotations

from sqlalchemy import Table, bindparam, delete, exists, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from tenantwave.ledger import schema as s

d, c, r, a = s.deployments.c, s.claims.c, s.runs.c, s.approvals.c

ABANDONED = "abandoned: the run stopped sending heartbeats (killed or lost); settled by a later run"


def _insert_if_new(table: Table, dialect: str, *keys: str) -> Insert:
    """INSERT ... ON CONFLICT (keys) DO NOTHING: no exception (which would abort a PostgreSQL
    transaction). RETURNING says whether the row is ours (an INSERT's rowcount is not reliable
    on every driver: psycopg reports -1)."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys))


# dialect name -> statement
CLAIM_IF_FREE = {
    name: _insert_if_new(s.claims, name, "stack").returning(c.stack) for name in ("sqlite", "postgresql")
}
APPROVE_IF_NEW = {
    name: _insert_if_new(s.approvals, name, "release", "wave", "digest") for name in ("sqlite", "postgresql")
}

# The database server's clock, naive UTC like every time in the ledger: runs on several machines
# compare heartbeats written by each other, so on PostgreSQL no client clock is trusted.
POSTGRES_NOW = text("SELECT CAST(timezone('UTC', clock_timestamp()) AS timestamp)")

INSERT_DEPLOYMENT = insert(s.deployments)

CLAIM_ROW = select(s.claims).where(c.stack == bindparam("b_stack")).with_for_update()

TAKE_CLAIM = (
    update(s.claims)
    .where(c.stack == bindparam("b_stack"), c.run_id == bindparam("b_stale_run"))
    .values(
        run_id=bindparam("b_run"),
        release=bindparam("b_release"),
        claimed_at=bindparam("b_now"),
        heartbeat_at=bindparam("b_now"),
        deployment_id=None,
    )
)

SET_CLAIM_DEPLOYMENT = (
    update(s.claims)
    .where(c.stack == bindparam("b_stack"), c.run_id == bindparam("b_run"))
    .values(deployment_id=bindparam("b_deployment"))
)

DELETE_CLAIM = delete(s.claims).where(c.stack == bindparam("b_stack"), c.run_id == bindparam("b_run"))

# The stack's last success, or a destroy attempted since (whatever its outcome: then it runs nothing
# for sure, see planreads.CURRENT).
LAST_SUCCESS = (
    select(d.release, d.fingerprint, d.operation, d.revision)
    .where(d.stack == bindparam("b_stack"), or_(d.status == "succeeded", d.operation == "destroy"))
    .order_by(d.id.desc())
    .limit(1)
)

FINISH_DEPLOYMENT = (
    update(s.deployments)
    .where(d.id == bindparam("b_id"), d.run_id == bindparam("b_run"), d.status == "running")
    .values(
        status=bindparam("b_status"),
        ended_at=bindparam("b_ended"),
        error=bindparam("b_error"),
        resources=bindparam("b_resources"),
    )
)

ABANDON_DEPLOYMENTS = (
    update(s.deployments)
    .where(d.run_id == bindparam("b_stale_run"), d.stack == bindparam("b_stack"), d.status == "running")
    .values(status="abandoned", ended_at=bindparam("b_now"), error=ABANDONED)
)

ABANDON_RUN = (
    update(s.runs)
    .where(r.id == bindparam("b_stale_run"), r.status == "running")
    .values(status="abandoned", ended_at=bindparam("b_now"), detail=ABANDONED)
)

# A run's row: a transaction tried again after its commit's answer was lost finds it already there.
RUN_IF_NEW = {name: _insert_if_new(s.runs, name, "id") for name in ("sqlite", "postgresql")}

HEARTBEAT_CLAIMS = update(s.claims).where(c.run_id == bindparam("b_run")).values(heartbeat_at=bindparam("b_now"))
HEARTBEAT_RUN = update(s.runs).where(r.id == bindparam("b_run")).values(heartbeat_at=bindparam("b_now"))

# Running runs without a claim (a fresh claim is a sign of life) whose heartbeat is older than the
# cutoff or in the future (a clock stepped back): candidates for claims.is_silent.
UNCLAIMED_RUNS = select(r.id, r.heartbeat_at, r.host, r.pid).where(
    r.status == "running",
    or_(r.heartbeat_at < bindparam("b_cutoff"), r.heartbeat_at > bindparam("b_now")),
    ~exists().where(c.run_id == r.id),
)

APPROVAL_OF_SCOPE = select(s.approvals).where(
    a.release == bindparam("b_release"), a.wave == bindparam("b_wave"), a.digest == bindparam("b_digest")
)
