"""Wave approvals: who let a wave of a release go ahead, recorded once (the first approval of a
wave is the one kept, on every backend), inside one of the Ledger's transactions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection

from tenantwave.ledger import statements as q
from tenantwave.ledger.records import Approval


def approve(
    conn: Connection,
    release: str,
    wave: int,
    approved_by: str,
    comment: str | None,
    *,
    now: Callable[[Connection], datetime],
) -> Approval:
    """Record who approved `wave` of `release` unless it already was; the approval kept."""
    conn.execute(
        q.APPROVE_IF_NEW[conn.dialect.name],
        {"release": release, "wave": wave, "approved_by": approved_by, "approved_at": now(conn),
         "comment": comment},
    )
    row = conn.execute(q.APPROVAL, {"b_release": release, "b_wave": wave}).one()
    return Approval(row.release, row.wave, row.approved_by, row.approved_at, row.comment)


def approval(conn: Connection, release: str, wave: int) -> Approval | None:
    row = conn.execute(q.APPROVAL, {"b_release": release, "b_wave": wave}).first()
    if row is None:
        return None
    return Approval(row.release, row.wave, row.approved_by, row.approved_at, row.comment)
