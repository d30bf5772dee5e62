"""The ledger: every run and stack deployment, on SQLite (default) or PostgreSQL.

`Ledger` (and SQLAlchemy with it) is imported on first use of the name; `open_ledger` gives a
ledger that imports it only when the database is really used (see `deferred`).

- `store`       the Ledger: one class over SQLAlchemy Core, the same code on SQLite and PostgreSQL
- `records`     plain records read and written; `history` what a release did, for the lifecycle
- `schema`, `version`, `migrations`: the tables, the schema version and the migrations between versions
- `connection`  opening the database (engine, PRAGMAs, errors); `urls` ledger URLs without SQLAlchemy
- `statements`  the hot-path statements, built once; `planreads` the planning path's reads
- `recordreads` the Ledger's reads of whole records (deployments, runs, an approval) in plain SQL
- `frozen`      the planning reads' records built without their dataclass __init__ (same instances)
- `claims`      taking a stack for a run, heartbeats, settling stale runs; `liveness` is its process alive
- `approvals`   wave approvals and what they cover; `unlocking` releasing a claim by hand
- `retry`       which errors are an outage worth waiting out; `journal` results the ledger could not take
- `deferred`    a ledger opened on first use
- `driftchecks` a drift check's claim and finding; `driftreads` the drift standing on stacks, a run's checks
- `overview`    the dashboard's reads: a change marker, the releases, runs and their stack counts
- `driftoverview` the dashboard's count of a drift run's checks by result
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from tenantwave.ledger.records import (
    Approval,
    Claim,
    DeploymentRecord,
    RunRecord,
    StackStatus,
)
from tenantwave.ledger.urls import resolve_url

if TYPE_CHECKING:
    from tenantwave.ledger.store import Ledger


def open_ledger(url: str, state_dir: Path | None = None) -> Ledger:
    """The ledger at `url`, opened (and SQLAlchemy imported) on first use; with `state_dir`, the
    results a run kept in `state_dir`'s journal are recorded first (ledger.journal)."""
    from tenantwave.ledger.deferred import DeferredLedger

    return cast("Ledger", DeferredLedger(url, state_dir))


def __getattr__(name: str) -> Any:
    if name == "Ledger":
        from tenantwave.ledger.store import Ledger

        return Ledger
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Approval",
    "Claim",
    "DeploymentRecord",
    "Ledger",
    "RunRecord",
    "StackStatus",
    "open_ledger",
    "resolve_url",
]
