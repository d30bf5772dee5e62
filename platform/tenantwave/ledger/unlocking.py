"""Releasing a claim by hand (`platform unlock`): for a run the heartbeat cannot settle, say one
that hangs, or one whose host is gone while its last heartbeat is in the future.

`held` reads who holds what; `unlock` releases it in one write transaction: each claim still held
by the run that held it when it was read is deleted, its deployment is recorded `abandoned` ("released
by hand"), with `whole_run` the run too, and the unlock itself is recorded as a run of its own
(command `unlock`, its detail naming what was released and from whom). Locks in the ledger's order:
claims, deployments, runs.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from tenantwave.ledger import schema as s
from tenantwave.ledger import statements as q

Clock = Callable[[Connection], datetime]


@dataclass(frozen=True)
class HeldClaim:
    """A claim and what the ledger knows of the run holding it."""

    stack: str
    run_id: str
    deployment_id: int | None
    release: str
    claimed_at: datetime
    heartbeat_at: datetime
    host: str | None
    pid: int | None
    user: str | None
    command: str | None


def held(conn: Connection, *, stack: str | None = None, run_id: str | None = None) -> list[HeldClaim]:
    """The claims on `stack`, or those of `run_id`, with their runs."""
    c, r = s.claims.c, s.runs.c
    query = select(
        c.stack, c.run_id, c.deployment_id, c.release, c.claimed_at, c.heartbeat_at, r.host, r.pid, r.user, r.command
    ).select_from(s.claims.outerjoin(s.runs, r.id == c.run_id))
    query = query.where(c.stack == stack) if stack is not None else query.where(c.run_id == run_id)
    return [HeldClaim(*row) for row in conn.execute(query.order_by(c.stack))]


def unlock(
    conn: Connection, claims: Sequence[HeldClaim], *, by: str, whole_run: bool, now: Clock
) -> tuple[list[str], str | None]:
    """Release `claims` (each only if its run still holds it); the stacks released and the id of
    the `unlock` run that records it (None when nothing was released)."""
    at = now(conn)
    why = f"released by hand (platform unlock) by {by}"
    released: list[HeldClaim] = []
    for claim in claims:
        if conn.execute(q.DELETE_CLAIM, {"b_stack": claim.stack, "b_run": claim.run_id}).rowcount == 1:
            released.append(claim)
    if not released:
        return [], None
    d, r = s.deployments, s.runs
    for claim in released:
        conn.execute(
            update(d)
            .where(d.c.run_id == claim.run_id, d.c.stack == claim.stack, d.c.status == "running")
            .values(status="abandoned", ended_at=at, error=why)
        )
        f = s.drift.c  # or its drift check
        conn.execute(update(s.drift).where(f.run_id == claim.run_id, f.stack == claim.stack, f.status == "running")
                     .values(status="abandoned", ended_at=at, error=why))
    runs = sorted({claim.run_id for claim in released})
    if whole_run:
        conn.execute(update(r).where(r.c.id.in_(runs), r.c.status == "running").values(
            status="abandoned", ended_at=at, detail=why))
    record = f"{at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    stacks = [claim.stack for claim in released]
    conn.execute(
        insert(r).values(
            id=record, release=released[0].release, command="unlock", engine="-", simulated=False,
            status="succeeded", started_at=at, heartbeat_at=at, ended_at=at, user=by,
            host=socket.gethostname()[:200], pid=os.getpid(),
            detail=f"released {', '.join(stacks)} held by run {', '.join(runs)}",
        )
    )
    return stacks, record
