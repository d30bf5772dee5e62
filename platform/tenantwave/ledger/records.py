"""Plain records read from and written to the ledger, and the error naming a stored value its
reads cannot take (StoredValueError)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tenantwave.errors import LedgerError


@dataclass(frozen=True)
class RunRecord:
    id: str
    release: str
    command: str
    wave: int | None
    engine: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    user: str | None
    simulated: bool
    detail: str | None = None


@dataclass(frozen=True)
class DeploymentRecord:
    id: int
    run_id: str
    release: str
    stack: str
    environment: str
    kind: str
    tier: str
    tenants: tuple[str, ...]
    operation: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    error: str | None
    log_path: str | None
    fingerprint: str | None
    resources: int | None
    revision: str | None = None  # <release>+<digest>; None: recorded before revisions were (schema 1)
    config: str | None = None  # JSON of the revision's configuration digests (planning/revision.py)


@dataclass(frozen=True)
class StackStatus:
    stack: str
    current_release: str | None  # what it runs (last successful up/rollback), None if destroyed/never
    last: DeploymentRecord | None  # the last attempt, whatever its outcome
    current_revision: str | None = None  # the revision it runs, when recorded


@dataclass(frozen=True)
class Claim:
    """The result of trying to claim a stack: ours (deployment_id set) or held by another run."""

    stack: str
    granted: bool
    deployment_id: int | None = None
    held_by: str | None = None
    took_over: str | None = None  # the stale run whose claim was settled to grant this one
    already_current: bool = False  # not granted: the stack already runs the release (another run)
    waiting: str | None = None  # not granted: it does not fit beside other runs' stacks (why)


@dataclass(frozen=True)
class Approval:
    release: str
    wave: int
    approved_by: str
    approved_at: datetime
    comment: str | None
    scope: dict[str, str] | None = None  # stack -> revision it covers; None: recorded before schema 2
    digest: str = ""  # of the scope ("" for an approval recorded before schema 2)
    repeated: bool = False  # from Ledger.approve: the same scope was approved before; that approval stands


class StoredValueError(LedgerError):
    """A value stored in the ledger that its reads cannot take (a time that is not one, tenants that
    are not a JSON list of names): the ledger was changed outside tenantwave, by hand or damage.
    Names the table, the row, the column and the value, and what to do; the reads raise it without
    the ledger's name, which `at(ledger)` adds (Ledger and DeferredLedger do)."""

    def __init__(self, table: str, row: str, column: str, value: Any, expected: str) -> None:
        self.detail = (
            f"{table} {row}: {column} {shown(value)} is not {expected}; the ledger was changed outside "
            "tenantwave (edited by hand or damaged): correct that row or restore the ledger from a backup"
        )
        super().__init__(self.detail)

    def at(self, ledger: str) -> LedgerError:
        return LedgerError(f"ledger {ledger}: {self.detail}")


def shown(value: Any, limit: int = 60) -> str:
    """`value` for a message: its repr (one line: line breaks and control characters escaped),
    capped at `limit` characters. Also for the values naming a row (stack, run id, release, who)."""
    text = repr(value)  # one line: repr escapes line breaks and control characters
    return text if len(text) <= limit else text[: limit - 3] + "..."


def required_time(value: datetime | str | None) -> datetime:
    """A stored time that must be there (started_at, approved_at): the datetime PostgreSQL's driver
    gives, or SQLite's text (`YYYY-MM-DD HH:MM:SS.ffffff`) parsed. ValueError/TypeError otherwise."""
    if isinstance(value, datetime):
        return value
    if value is None:
        raise ValueError("missing")
    return datetime.fromisoformat(value)


def tenant_list(text: Any, decode: Callable[[Any], Any] = json.loads) -> tuple[str, ...]:
    """A stored JSON list of tenant ids, as a tuple; ValueError/TypeError for anything else (a JSON
    object or string included, whose tuple would be its keys or characters)."""
    names = decode(text)
    if type(names) is not list:
        raise ValueError("not a JSON list")
    "".join(names)  # TypeError unless every item is a string (C speed; most lists are one name)
    return tuple(names)


_EXPECTED = {
    "tenants": "a JSON list of tenant ids",
    "scope": "a JSON object (stack: revision)",
    "findings": "a JSON list of findings (objects)",
    "resources": "a number of resources",
    "wave": "a wave number",
}


def bad_value(
    table: str, row: str, column: str, value: Any, read: Callable[[Any], Any]
) -> StoredValueError | None:
    """The StoredValueError for `value` (of `column`) when read(value) fails (ValueError/TypeError),
    else None."""
    try:
        read(value)
    except (ValueError, TypeError):
        return StoredValueError(table, row, column, value, _EXPECTED.get(column, "a time (YYYY-MM-DD HH:MM:SS)"))
    return None
