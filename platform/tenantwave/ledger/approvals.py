"""Wave approvals: who let a wave of a release go ahead, and for what: the stacks of the wave and
the revision each was to deploy (`scope`). Approving the same scope again keeps the first approval
(on every backend); a different scope (the wave's configuration or stacks changed) is a new
approval; the comment of a repeated approval is kept as a note appended to the standing one's
(`note by WHO at WHEN: COMMENT`). Run inside one of the Ledger's transactions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, update

from tenantwave.ledger import schema
from tenantwave.ledger import statements as q
from tenantwave.ledger.records import Approval


def scope_digest(scope: dict[str, str]) -> str:
    """sha256 of the canonical JSON of a scope (stack -> revision)."""
    return hashlib.sha256(json.dumps(scope, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def approve(
    conn: Connection,
    release: str,
    wave: int,
    approved_by: str,
    comment: str | None,
    scope: dict[str, str],
    *,
    now: Callable[[Connection], datetime],
) -> Approval:
    """Record who approved `wave` of `release` for `scope` unless that was approved already; the
    approval kept (`repeated` when it was there before, its comment then carrying this one as a note)."""
    digest = scope_digest(scope)
    when = now(conn)
    inserted = conn.execute(  # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... DO NOTHING
        q.APPROVE_IF_NEW[conn.dialect.name].returning(schema.approvals.c.id),
        {"release": release, "wave": wave, "approved_by": approved_by, "approved_at": when,
         "comment": comment, "scope": json.dumps(scope, sort_keys=True), "digest": digest},
    ).first() is not None
    row = conn.execute(q.APPROVAL_OF_SCOPE, {"b_release": release, "b_wave": wave, "b_digest": digest}).one()
    if inserted:
        return _approval(row)
    if comment:
        note = f"note by {approved_by} at {when:%Y-%m-%d %H:%M:%S}Z: {comment}"
        kept = f"{row.comment}\n{note}" if row.comment else note
        conn.execute(update(schema.approvals).where(schema.approvals.c.id == row.id).values(comment=kept))
        return replace(_approval(row), comment=kept, repeated=True)
    return replace(_approval(row), repeated=True)


def _approval(row: Any) -> Approval:
    scope = json.loads(row.scope) if row.scope else None
    return Approval(row.release, row.wave, row.approved_by, row.approved_at, row.comment, scope, row.digest or "")
