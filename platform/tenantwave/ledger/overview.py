"""The dashboard's reads of the ledger, beside the planning reads (planreads): a marker that changes
whenever anything a page shows changes, the releases the ledger knows, and each run's stack counts.

Plain SQL over any `execute(sql, params) -> rows` (planreads.Execute), the same on SQLite and
PostgreSQL (no boolean sums, no backend-specific functions).
"""

from __future__ import annotations

from collections.abc import Sequence

from tenantwave.ledger import planreads
from tenantwave.ledger.planreads import Execute
from tenantwave.ledger.records import DeploymentRecord, RunRecord

# One row of aggregates: rows added (ids), rows still running, results recorded (ended_at, and the
# statuses a health verdict rewrites), runs started and ended, approvals, claims held, drift checks
# started and finished.
CHANGES = (
    "SELECT (SELECT max(id) FROM tw_deployments), "
    "(SELECT count(*) FROM tw_deployments WHERE ended_at IS NULL), "
    "(SELECT max(ended_at) FROM tw_deployments), "
    "(SELECT count(*) FROM tw_deployments WHERE status IN ('unhealthy', 'failed', 'abandoned')), "
    "(SELECT count(*) FROM tw_runs), "
    "(SELECT count(*) FROM tw_runs WHERE ended_at IS NULL), "
    "(SELECT count(*) FROM tw_approvals), "
    "(SELECT count(*) FROM tw_claims), "
    "(SELECT max(id) FROM tw_drift), "
    "(SELECT count(*) FROM tw_drift WHERE ended_at IS NULL)"
)

# A drift run (`platform drift`) checks each stack on whatever it runs: its release column is a
# placeholder ("-"), never a release; so is "drift", the release of a drift check's claim that an
# `unlock` run records when it releases one.
RELEASES = (
    "SELECT release, max(started_at) AS latest FROM tw_runs WHERE command <> 'drift' AND release <> 'drift' "
    "GROUP BY release ORDER BY latest DESC, release LIMIT :limit"
)


def change_marker(execute: Execute) -> str:
    """A short string that differs whenever a deployment, run, approval, claim or drift check was
    added or finished: pages compare it to know when to refresh."""
    row = next(iter(execute(CHANGES, {})))
    return "-".join("" if value is None else str(value) for value in row)


def releases(execute: Execute, limit: int = 50) -> list[str]:
    """The releases runs were recorded for, the most recently run first (drift runs are no release)."""
    return [str(row[0]) for row in execute(RELEASES, {"limit": limit})]


def run_counts(execute: Execute, run_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """Per run: how many of its stack deployments ended in each status."""
    if not run_ids:
        return {}
    names = {f"r{index}": run_id for index, run_id in enumerate(run_ids)}
    placeholders = ", ".join(f":{name}" for name in names)
    sql = (
        "SELECT run_id, status, count(*) FROM tw_deployments "
        f"WHERE run_id IN ({placeholders}) GROUP BY run_id, status"
    )
    counts: dict[str, dict[str, int]] = {run_id: {} for run_id in run_ids}
    for run_id, status, count in execute(sql, names):
        counts[str(run_id)][str(status)] = int(count)
    return counts


_RUN_COLUMNS = ", ".join('"' + column + '"' for column in planreads.RUN_FIELDS)  # "user" is reserved


def recent_runs(execute: Execute, limit: int = 50) -> list[RunRecord]:
    """The latest runs, newest first."""
    sql = f"SELECT {_RUN_COLUMNS} FROM tw_runs ORDER BY started_at DESC, id DESC LIMIT :limit"
    return [planreads.run_record(row) for row in execute(sql, {"limit": limit})]


def run(execute: Execute, run_id: str) -> RunRecord | None:
    rows = list(execute(f"SELECT {_RUN_COLUMNS} FROM tw_runs WHERE id = :id", {"id": run_id}))
    return planreads.run_record(rows[0]) if rows else None


def deployments(execute: Execute, *, run_id: str | None = None, stack: str | None = None) -> list[DeploymentRecord]:
    """The deployments of one run or of one stack, oldest first."""
    column, value = ("run_id", run_id) if run_id is not None else ("stack", stack)
    fields = ", ".join(planreads.DEPLOYMENT_FIELDS)
    sql = f"SELECT {fields} FROM tw_deployments WHERE {column} = :value ORDER BY id"
    return [planreads.deployment(row) for row in execute(sql, {"value": value})]


def deployment(execute: Execute, deployment_id: int) -> DeploymentRecord | None:
    """One deployment by its id."""
    fields = ", ".join(planreads.DEPLOYMENT_FIELDS)
    rows = list(execute(f"SELECT {fields} FROM tw_deployments WHERE id = :id", {"id": deployment_id}))
    return planreads.deployment(rows[0]) if rows else None
