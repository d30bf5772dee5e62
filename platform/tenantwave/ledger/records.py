"""Plain records read from and written to the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
