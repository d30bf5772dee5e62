"""Claiming stacks: the work, inside one of the Ledger's write transactions, of taking a stack for a
run (and opening its deployment record), taking over a claim whose run went silent, settling
stale claims and runs, and releasing a claim when the deployment ends.

Each function takes its locks in the ledger's one order (claims, deployments, runs). On
PostgreSQL a claim locks the claim row it reads (SELECT ... FOR UPDATE). `now` gives the
ledger's time (the server's clock on PostgreSQL): a heartbeat is compared with it. On SQLite (one
machine, whose clock may step) the process table is asked too (liveness): a live run is never
settled, and a dead one whose heartbeat a backward clock step put in the future is (`is_silent`).

Every function here may run twice for one request (the ledger tries a transaction again when the
answer to its commit was lost in an outage): the second time finds the first one's work (this
run's own claim, this run's own result) and reports it as done instead of failing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, or_, select, text, update

from tenantwave.errors import LedgerError
from tenantwave.ledger import driftreads, liveness
from tenantwave.ledger import schema as s
from tenantwave.ledger import statements as q
from tenantwave.ledger.planreads import DEPLOYING_OPERATIONS
from tenantwave.ledger.records import Claim

Clock = Callable[[Connection], datetime]
Admit = Callable[[list[str]], str | None]  # the stacks other live runs claim -> why not now, or None
ADMISSION_LOCK = 0x7477_6164  # PostgreSQL advisory lock: one admission decision at a time
_DRIFT_STANDS = text(driftreads.STANDS)


@dataclass(frozen=True)
class Opening:
    """What a claim records when it opens a deployment."""

    run_id: str
    stack: Any
    release: str
    operation: str
    fingerprint: str | None
    commit: str | None
    simulated: bool
    log_path: str | None
    unless_current: str | None
    revision: str | None = None  # <release>+<digest> the deployment puts on the stack
    config: str | None = None  # JSON of that revision's configuration
    admit: Admit | None = None  # the blast radius across runs (rollout/blastradius.py), or None


def claim(conn: Connection, o: Opening, stale_after: timedelta, *, now: Clock, shown_url: str) -> Claim:
    """Take `o.stack` for the run, or take over a stale claim, or report who holds it."""
    name = o.stack.name
    insert_if_free = q.CLAIM_IF_FREE[conn.dialect.name]
    if o.admit is not None and conn.dialect.name == "postgresql":  # SQLite: BEGIN IMMEDIATE serializes writes
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADMISSION_LOCK})
    for _attempt in range(5):
        at = now(conn)
        values = {"stack": name, "run_id": o.run_id, "release": o.release, "claimed_at": at, "heartbeat_at": at}
        if conn.execute(insert_if_free, values).first() is not None:
            return _refused(conn, o, at, stale_after) or _open_deployment(conn, o, at, took_over=None)
        held = conn.execute(q.CLAIM_ROW, {"b_stack": name}).first()  # locked until commit
        if held is None:
            continue  # released since the insert (PostgreSQL, read committed): try again
        if held.run_id == o.run_id and held.deployment_id is not None:  # ours: a first try did commit
            return Claim(stack=name, granted=True, deployment_id=int(held.deployment_id))
        if not is_silent(held.heartbeat_at, at, stale_after, _alive(conn, held.run_id)):
            return Claim(stack=name, granted=False, held_by=held.run_id)
        taken = conn.execute(
            q.TAKE_CLAIM,
            {"b_stack": name, "b_stale_run": held.run_id, "b_run": o.run_id, "b_release": o.release, "b_now": at},
        ).rowcount
        if taken != 1:
            continue
        abandon(conn, held.run_id, name, at)
        return _refused(conn, o, at, stale_after) or _open_deployment(conn, o, at, took_over=str(held.run_id))
    raise LedgerError(f"ledger {shown_url}: the claim on {name} kept changing under this run; retry")


def _refused(conn: Connection, o: Opening, at: datetime, stale_after: timedelta) -> Claim | None:
    """With `o.admit`: the stack, just claimed, does not fit beside other runs' stacks: the claim is
    given back and the stack reported as waiting (why). None: it may go."""
    if o.admit is None or not (why := o.admit(claimed_elsewhere(conn, o.run_id, at, stale_after))):
        return None
    conn.execute(q.DELETE_CLAIM, {"b_stack": o.stack.name, "b_run": o.run_id})
    return Claim(stack=o.stack.name, granted=False, waiting=why)


def claimed_elsewhere(conn: Connection, run_id: str, at: datetime, stale_after: timedelta) -> list[str]:
    """The stacks claimed by runs other than `run_id` that are not silent (a dead run's stale
    claim changes nothing any more): one read of the claims table, which holds one row per stack
    being changed."""
    c, r = s.claims.c, s.runs.c
    rows = conn.execute(
        select(c.stack, c.heartbeat_at, r.host, r.pid)
        .select_from(s.claims.outerjoin(s.runs, r.id == c.run_id))
        .where(c.run_id != run_id)
    ).all()
    return [
        row.stack
        for row in rows
        if not is_silent(row.heartbeat_at, at, stale_after, _process_alive(conn, row.host, row.pid))
    ]


def _open_deployment(conn: Connection, o: Opening, now: datetime, took_over: str | None) -> Claim:
    """Inside the claiming transaction: skip a stack already current, else open its record."""
    name = o.stack.name
    if o.unless_current is not None and _is_current(conn, name, o.unless_current, o.fingerprint, o.revision):
        conn.execute(q.DELETE_CLAIM, {"b_stack": name, "b_run": o.run_id})
        return Claim(stack=name, granted=False, already_current=True, took_over=took_over)
    key = conn.execute(
        q.INSERT_DEPLOYMENT,
        {
            "run_id": o.run_id,
            "release": o.release,
            "commit": o.commit,
            "stack": name,
            "environment": o.stack.environment,
            "kind": o.stack.kind,
            "tier": o.stack.tier,
            "tenants": json.dumps(list(o.stack.tenants)),
            "operation": o.operation,
            "status": "running",
            "fingerprint": o.fingerprint,
            "revision": o.revision,
            "config": o.config,
            "started_at": now,
            "simulated": o.simulated,
            "log_path": o.log_path,
        },
    ).inserted_primary_key
    assert key is not None
    deployment_id = int(key[0])
    conn.execute(q.SET_CLAIM_DEPLOYMENT, {"b_stack": name, "b_run": o.run_id, "b_deployment": deployment_id})
    return Claim(stack=name, granted=True, deployment_id=deployment_id, took_over=took_over)


def _is_current(conn: Connection, stack: str, release: str, fingerprint: str | None, revision: str | None) -> bool:
    """The stack's last success put `release` on it with this fingerprint and revision (either side
    unknown counts as the same: a record from before revisions were recorded, a caller without one), and
    no drift found since stands on it (driftreads)."""
    row = conn.execute(q.LAST_SUCCESS, {"b_stack": stack}).first()
    if row is None or row.operation not in DEPLOYING_OPERATIONS or row.release != release:
        return False
    if revision is not None and row.revision not in (None, revision):
        return False
    if fingerprint is not None and row.fingerprint not in (None, fingerprint):
        return False
    return conn.execute(_DRIFT_STANDS, {"stack": stack}).first() is None  # drifted: deploy it again


def heartbeat(conn: Connection, run_id: str, *, now: Clock) -> None:
    """The run and every claim it holds are alive now."""
    at = now(conn)
    conn.execute(q.HEARTBEAT_CLAIMS, {"b_run": run_id, "b_now": at})
    conn.execute(q.HEARTBEAT_RUN, {"b_run": run_id, "b_now": at})


def abandon(conn: Connection, stale_run: str, stack: str, now: datetime) -> None:
    """The stale run's deployment or drift check of `stack` and the run itself are abandoned (claim
    already gone)."""
    conn.execute(q.ABANDON_DEPLOYMENTS, {"b_stale_run": stale_run, "b_stack": stack, "b_now": now})
    _abandon_checks(conn, [stale_run], now, stack)
    conn.execute(q.ABANDON_RUN, {"b_stale_run": stale_run, "b_now": now})


def _abandon_checks(conn: Connection, runs: list[str], now: datetime, stack: str | None = None) -> None:
    """The drift checks (tw_drift) of silent runs still `running` are abandoned: they found nothing."""
    f = s.drift.c
    where = [f.run_id.in_(runs), f.status == "running"] + ([f.stack == stack] if stack is not None else [])
    conn.execute(update(s.drift).where(*where).values(status="abandoned", ended_at=now, error=q.ABANDONED))


def is_silent(heartbeat_at: datetime, at: datetime, stale_after: timedelta, alive: bool | None) -> bool:
    """Whether a run last heard of at `heartbeat_at` counts as gone at `at`: never while its process
    is known to be alive (whatever the clocks did); at once if its process is known to be gone and
    its heartbeat is in the future (the clock stepped back since); else after `stale_after`."""
    if alive is True:
        return False
    if alive is False and heartbeat_at > at:
        return True
    return heartbeat_at < at - stale_after


def _alive(conn: Connection, run_id: str) -> bool | None:
    r = s.runs.c
    row = conn.execute(select(r.host, r.pid).where(r.id == run_id)).first()
    return None if row is None else _process_alive(conn, row.host, row.pid)


def _process_alive(conn: Connection, host: str | None, pid: int | None) -> bool | None:
    """Only for SQLite: the runs of a PostgreSQL ledger come from many machines (whose host names
    and process ids may repeat), and its server's clock is the one every heartbeat is read with."""
    return liveness.run_alive(host, pid) if conn.dialect.name == "sqlite" else None


def settle_stale(conn: Connection, stale_after: timedelta, *, now: Clock) -> list[str]:
    """Settle every claim and run that `is_silent`; the stacks freed."""
    t = s.claims
    c = t.c
    at = now(conn)
    cutoff = at - stale_after
    odd = or_(c.heartbeat_at < cutoff, c.heartbeat_at > at)  # old, or from the future
    stale = conn.execute(select(t).where(odd).order_by(c.stack).with_for_update()).all()
    freed: list[str] = []
    for row in stale:
        if not is_silent(row.heartbeat_at, at, stale_after, _alive(conn, row.run_id)):
            continue
        if conn.execute(q.DELETE_CLAIM, {"b_stack": row.stack, "b_run": row.run_id}).rowcount == 1:
            abandon(conn, row.run_id, row.stack, at)
            freed.append(row.stack)
    silent = [
        row.id
        for row in conn.execute(q.UNCLAIMED_RUNS, {"b_cutoff": cutoff, "b_now": at})
        if is_silent(row.heartbeat_at, at, stale_after, _process_alive(conn, row.host, row.pid))
    ]
    if silent:
        d, r = s.deployments, s.runs
        conn.execute(
            update(d)
            .where(d.c.run_id.in_(silent), d.c.status == "running")
            .values(status="abandoned", ended_at=at, error=q.ABANDONED)
        )
        _abandon_checks(conn, silent, at)
        conn.execute(
            update(r)
            .where(r.c.id.in_(silent), r.c.status == "running")
            .values(status="abandoned", ended_at=at, detail=q.ABANDONED)
        )
    return freed


def finish_deployment(
    conn: Connection,
    run_id: str,
    deployment_id: int,
    stack: str,
    status: str,
    error: str | None,
    resources: int | None,
    log_path: str | None,
    *,
    now: Clock,
) -> bool:
    """Record the outcome and release the claim; False if the deployment was no longer the run's."""
    conn.execute(q.DELETE_CLAIM, {"b_stack": stack, "b_run": run_id})
    recorded = conn.execute(
        q.FINISH_DEPLOYMENT,
        {"b_id": deployment_id, "b_run": run_id, "b_status": status, "b_ended": now(conn),
         "b_error": error, "b_resources": resources},
    ).rowcount
    if recorded and log_path is not None:
        d = s.deployments
        conn.execute(update(d).where(d.c.id == deployment_id).values(log_path=log_path))
    return recorded == 1 or _has_result(conn, run_id, deployment_id, status)


def _has_result(conn: Connection, run_id: str, deployment_id: int, status: str) -> bool:
    """The run's deployment already ended with `status`: a first try of this write did commit."""
    d = s.deployments
    row = conn.execute(select(d.c.run_id, d.c.status).where(d.c.id == deployment_id)).first()
    return row is not None and row.run_id == run_id and row.status == status


def record_late(
    conn: Connection,
    run_id: str,
    deployment_id: int,
    stack: str,
    status: str,
    error: str | None,
    resources: int | None,
    *,
    now: Clock,
) -> bool:
    """Record a result the runner kept in its journal while the ledger could not be written, and
    release the claim if the run still holds it. What the engine reported replaces `running`, and
    also `abandoned` (the guess a later run made when this one fell silent). `ended_at` is the time
    of recording: a bake never counts from earlier than the truth. False when the deployment is not
    this run's or already has another result."""
    conn.execute(q.DELETE_CLAIM, {"b_stack": stack, "b_run": run_id})
    d = s.deployments
    recorded = conn.execute(
        update(d)
        .where(d.c.id == deployment_id, d.c.run_id == run_id, d.c.status.in_(("running", "abandoned")))
        .values(status=status, ended_at=now(conn), error=error, resources=resources)
    ).rowcount
    return recorded == 1 or _has_result(conn, run_id, deployment_id, status)
