"""What each page asks of a snapshot and the ledger: the query string read into typed filters, and
the views built for one request (the fleet's page, the release, a stack, the runs, a run).

Reads of the ledger here are small (one stack's history, one run, the latest runs); everything the
fleet needs comes from the snapshot."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from tenantwave.errors import UsageError
from tenantwave.ledger import driftoverview, driftreads, overview
from tenantwave.ledger.planreads import Execute
from tenantwave.views.fleet import MAX_PER_PAGE, PER_PAGE, FleetPage, FleetQuery, fleet_page
from tenantwave.views.release import ReleaseView, release_view
from tenantwave.views.runs import (
    CheckRow,
    DeploymentRow,
    RunRow,
    check_rows,
    deployment_rows,
    is_drift,
    run_row,
    run_rows,
)
from tenantwave.views.snapshot import Snapshot
from tenantwave.views.stack import LastLog, StackView, last_log_path, read_log, stack_view
from tenantwave.views.states import STATES

if TYPE_CHECKING:
    from tenantwave.ledger import Ledger

RUNS_SHOWN = 50
_DIGITS = re.compile(r"[0-9]{1,9}")  # ASCII digits only (str.isdigit takes '²', which int() refuses)


def fleet_query(params: Mapping[str, str], snapshot: Snapshot) -> FleetQuery:
    """The fleet page's query string as filters; an unknown tier, environment or state is bad input."""
    tier = params.get("tier") or None
    env = params.get("env") or None
    state = params.get("state") or None
    if tier is not None and tier not in snapshot.table.tiers:
        raise UsageError(f"tier {tier!r}: no such tier (known: {', '.join(snapshot.table.tiers)})")
    if env is not None and env not in snapshot.table.environments:
        raise UsageError(f"env {env!r}: no such environment (known: {', '.join(snapshot.table.environments)})")
    if state is not None and state not in STATES:
        raise UsageError(f"state {state!r}: no such state (known: {', '.join(STATES)})")
    ring = params.get("ring") or None
    if ring is not None and ring not in snapshot.table.rings:
        raise UsageError(f"ring {ring!r}: no such ring (known: {', '.join(snapshot.table.rings) or 'none'})")
    return FleetQuery(
        tier=tier,
        environment=env,
        state=state,
        ring=ring,
        search=(params.get("q") or "")[:200],
        page=_number(params.get("page"), "page", 1, 1_000_000),
        per_page=_number(params.get("per"), "per", PER_PAGE, MAX_PER_PAGE),
    )


def _number(text: str | None, name: str, default: int, highest: int) -> int:
    if not text:
        return default
    if not _DIGITS.fullmatch(text) or not 1 <= int(text) <= highest:
        raise UsageError(f"{name} {text!r}: a whole number from 1 to {highest}")
    return int(text)


def fleet(snapshot: Snapshot, query: FleetQuery) -> FleetPage:
    return fleet_page(snapshot.table, query)


def release(snapshot: Snapshot) -> ReleaseView | None:
    if snapshot.plan is None:
        return None
    return release_view(snapshot.project, snapshot.plan, snapshot.facts, snapshot.built_at)


def stack(snapshot: Snapshot, ledger: Ledger, name: str) -> StackView | None:
    """One stack of the configuration (None: no such stack), its history read now."""
    found = snapshot.stacks.get(name)
    cell = snapshot.cells.get(name)
    if found is None or cell is None:
        return None
    history = ledger.read_plain(lambda execute: overview.deployments(execute, stack=name)) if ledger.exists() else []
    recorded = last_log_path(history)
    log = read_log(recorded, snapshot.project.root / ".platform" / "logs") if recorded else None
    return stack_view(found, cell, snapshot.plan, history, log, snapshot.built_at)


def runs(snapshot: Snapshot, ledger: Ledger, limit: int = RUNS_SHOWN) -> list[RunRow]:
    if not ledger.exists():
        return []

    def work(execute: Execute) -> list[RunRow]:
        found = overview.recent_runs(execute, limit)
        counts = overview.run_counts(execute, [r.id for r in found if not is_drift(r)])
        counts |= driftoverview.drift_counts(execute, [r.id for r in found if is_drift(r)])
        return run_rows(found, counts, snapshot.built_at)

    return ledger.read_plain(work)


def run(
    snapshot: Snapshot, ledger: Ledger, run_id: str
) -> tuple[RunRow, list[DeploymentRow] | list[CheckRow]] | None:
    """One run and its stacks: its deployments, or for a drift run its drift checks."""
    if not ledger.exists():
        return None

    def work(execute: Execute) -> tuple[RunRow, list[DeploymentRow] | list[CheckRow]] | None:
        found = overview.run(execute, run_id)
        if found is None:
            return None
        if is_drift(found):
            counts = driftoverview.drift_counts(execute, [run_id]).get(run_id, {})
            checks = check_rows(driftreads.run_checks(execute, run_id), snapshot.built_at)
            return run_row(found, counts, snapshot.built_at), checks
        records = overview.deployments(execute, run_id=run_id)
        counts = overview.run_counts(execute, [run_id]).get(run_id, {})
        return run_row(found, counts, snapshot.built_at), deployment_rows(records, snapshot.built_at)

    return ledger.read_plain(work)


def deployment_log(snapshot: Snapshot, ledger: Ledger, deployment_id: int) -> tuple[DeploymentRow, LastLog] | None:
    """One deployment and the end of its log (None: no such deployment, or it has no log)."""
    if not ledger.exists():
        return None
    record = ledger.read_plain(lambda execute: overview.deployment(execute, deployment_id))
    if record is None or not record.log_path:
        return None
    log = read_log(record.log_path, snapshot.project.root / ".platform" / "logs")
    return deployment_rows([record], snapshot.built_at)[0], log
