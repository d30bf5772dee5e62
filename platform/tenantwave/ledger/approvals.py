"""Wave approvals: who let a wave of a release go ahead, and for what: the stacks of the wave and
the revision each was to deploy (`scope`). Approving the same scope again keeps the first approval
(on every backend); a different scope (the wave's configuration or stacks changed) is a new
approval. Run inside one of the Ledger's transactions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

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
    approval kept."""
    digest = scope_digest(scope)
    conn.execute(
        q.APPROVE_IF_NEW[conn.dialect.name],
        {"release": release, "wave": wave, "approved_by": approved_by, "approved_at": now(conn),
         "comment": comment, "scope": json.dumps(scope, sort_keys=True), "digest": digest},
    )
    row = conn.execute(q.APPROVAL_OF_SCOPE, {"b_release": release, "b_wave": wave, "b_digest": digest}).one()
    return _approval(row)


def approval(conn: Connection, release: str, wave: int) -> Approval | None:
    """The latest approval of `wave` of `release`."""
    row = conn.execute(q.APPROVAL, {"b_release": release, "b_wave": wave}).first()
    return None if row is None else _approval(row)


def _approval(row: Any) -> Approval:
    scope = json.loads(row.scope) if row.scope else None
    return Approval(row.release, row.wave, row.approved_by, row.approved_at, row.comment, scope, row.digest or "")
