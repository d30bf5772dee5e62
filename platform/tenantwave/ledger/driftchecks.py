"""Writing drift checks: a stack is claimed for its check as for a deployment, then its finding recorded.

A drift check takes the stack's claim (tw_claims, with no deployment: a check deploys nothing) in the
same way and the same lock order as `claims.claim`: two runs never operate on one stack at once, an
`up` waits for (is held by) a check and a check for an `up`, and a claim whose run went silent is
settled and taken over. With the claim, the check's row is opened (`running`) with the deployment the
stack runs now; `finish_check` records the finding and releases the claim in one transaction. Both
may run twice for one request (the ledger retries a commit whose answer was lost): the second time
finds the first one's work.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from tenantwave.errors import LedgerError
from tenantwave.ledger import claims
from tenantwave.ledger import schema as s
from tenantwave.ledger import statements as q
from tenantwave.ledger.planreads import DEPLOYING_OPERATIONS

Clock = Callable[[Connection], datetime]


@dataclass(frozen=True)
class CheckClaim:
    stack: str
    granted: bool
    check_id: int | None = None
    held_by: str | None = None
    took_over: str | None = None  # the stale run whose claim was settled to grant this one


def claim_check(conn: Connection, run_id: str, stack: Any, stale_after: timedelta, *, now: Clock,
                shown_url: str) -> CheckClaim:
    """Take `stack` (an inventory Stack) for the run's drift check, or report who holds it."""
    name = stack.name
    for _attempt in range(5):
        at = now(conn)
        values = {"stack": name, "run_id": run_id, "release": "drift", "claimed_at": at, "heartbeat_at": at}
        if conn.execute(q.CLAIM_IF_FREE[conn.dialect.name], values).first() is not None:
            return CheckClaim(name, True, _open(conn, run_id, stack, at))
        held = conn.execute(q.CLAIM_ROW, {"b_stack": name}).first()
        if held is None:
            continue
        if held.run_id == run_id:  # a first try committed: its check is open
            return CheckClaim(name, True, _own_check(conn, run_id, name))
        if not claims.is_silent(held.heartbeat_at, at, stale_after, claims._alive(conn, held.run_id)):
            return CheckClaim(name, False, held_by=held.run_id)
        params = {"b_stack": name, "b_stale_run": held.run_id, "b_run": run_id, "b_release": "drift", "b_now": at}
        if conn.execute(q.TAKE_CLAIM, params).rowcount != 1:
            continue
        claims.abandon(conn, held.run_id, name, at)
        return CheckClaim(name, True, _open(conn, run_id, stack, at), took_over=str(held.run_id))
    raise LedgerError(f"ledger {shown_url}: the claim on {name} kept changing under this run; retry")


def _current(conn: Connection, stack: str) -> tuple[int | None, str | None]:
    """The stack's current deployment (id, release), as planreads.CURRENT finds it; (None, None) if none."""
    d = s.deployments.c
    latest = select(func.max(d.id)).where(d.stack == stack, or_(d.status == "succeeded", d.operation == "destroy"))
    row = conn.execute(select(d.id, d.release, d.operation).where(d.id == latest.scalar_subquery())).first()
    if row is None or row.operation not in DEPLOYING_OPERATIONS:
        return None, None
    return int(row.id), str(row.release)


def _open(conn: Connection, run_id: str, stack: Any, at: datetime) -> int:
    deployment_id, release = _current(conn, stack.name)
    key = conn.execute(
        insert(s.drift).values(
            run_id=run_id, stack=stack.name, environment=stack.environment, tenants=json.dumps(list(stack.tenants)),
            release=release, deployment_id=deployment_id, status="running", started_at=at,
        )
    ).inserted_primary_key
    assert key is not None
    return int(key[0])


def _own_check(conn: Connection, run_id: str, stack: str) -> int:
    f = s.drift.c
    found = conn.execute(select(func.max(f.id)).where(f.run_id == run_id, f.stack == stack)).scalar()
    if found is None:
        raise LedgerError(f"the claim on {stack} is this run's, but its drift check is not recorded")
    return int(found)


def finish_check(
    conn: Connection, run_id: str, check_id: int, stack: str, status: str, resources: int | None,
    findings: str | None, error: str | None, log_path: str | None, *, now: Clock,
) -> bool:
    """Record the finding and release the claim; False if the check was no longer the run's (taken over)."""
    conn.execute(q.DELETE_CLAIM, {"b_stack": stack, "b_run": run_id})
    f = s.drift.c
    recorded = conn.execute(
        update(s.drift)
        .where(and_(f.id == check_id, f.run_id == run_id, f.status == "running"))
        .values(status=status, resources=resources, findings=findings, error=error, log_path=log_path,
                ended_at=now(conn))
    ).rowcount
    if recorded == 1:
        return True
    row = conn.execute(select(f.run_id, f.status).where(f.id == check_id)).first()
    return row is not None and row.run_id == run_id and row.status == status
