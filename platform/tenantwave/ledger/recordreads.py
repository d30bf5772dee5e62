"""The Ledger's reads of whole records (deployments, runs, stack results, an approval) in plain SQL
over planreads.Execute, built by planreads' record functions: a stored value they cannot take (a
time edited by hand: SQLAlchemy's DateTime result processor raised a bare ValueError, an internal
error) is a records.StoredValueError naming the table, the row and the column, like the planning
reads. Plain SQL gives each backend's own values (SQLite's text, PostgreSQL's datetime), which
planreads reads on both."""

from __future__ import annotations

from collections.abc import Sequence

from tenantwave.ledger.planreads import (
    DEPLOYING,
    DEPLOYMENT_FIELDS,
    RUN_FIELDS,
    Execute,
    approval,
    deployment,
    run_record,
)
from tenantwave.ledger.records import Approval, DeploymentRecord, RunRecord

_DEPLOYMENTS = f"SELECT {', '.join(DEPLOYMENT_FIELDS)} FROM tw_deployments"
_RUNS = "SELECT " + ", ".join('"' + column + '"' for column in RUN_FIELDS) + " FROM tw_runs"  # "user" is reserved
_NEWEST_FIRST = " ORDER BY started_at DESC, id DESC"
_STACK_RESULTS = (
    f"SELECT {', '.join('d.' + column for column in DEPLOYMENT_FIELDS)} FROM tw_deployments d "
    "JOIN (SELECT max(id) AS id FROM tw_deployments "
    f"WHERE release = :release AND operation IN {DEPLOYING} GROUP BY stack) latest ON d.id = latest.id"
)
_APPROVAL = (
    "SELECT release, wave, approved_by, approved_at, comment, scope, digest FROM tw_approvals "
    "WHERE release = :release AND wave = :wave ORDER BY approved_at DESC, id DESC LIMIT 1"
)


def deployments(
    execute: Execute, *, release: str | None = None, run_id: str | None = None, stack: str | None = None
) -> list[DeploymentRecord]:
    """The deployments matching every filter given, oldest (lowest id) first."""
    filters = {"release": release, "run_id": run_id, "stack": stack}
    params = {column: value for column, value in filters.items() if value is not None}
    where = " WHERE " + " AND ".join(f"{column} = :{column}" for column in params) if params else ""
    return [deployment(row) for row in execute(_DEPLOYMENTS + where + " ORDER BY id", params)]


def runs(execute: Execute, limit: int) -> list[RunRecord]:
    """The latest `limit` runs, newest first."""
    return [run_record(row) for row in execute(_RUNS + _NEWEST_FIRST + " LIMIT :limit", {"limit": limit})]


def last_run(execute: Execute, *, release: str, command: str, wave: int | None) -> RunRecord | None:
    """The latest finished run of `command` for `release` (and `wave`, when given)."""
    params: dict[str, object] = {"release": release, "command": command}
    where = " WHERE release = :release AND command = :command AND status <> 'running'"
    if wave is not None:
        params["wave"] = wave
        where += " AND wave = :wave"
    rows = execute(_RUNS + where + _NEWEST_FIRST + " LIMIT 1", params)
    return next((run_record(row) for row in rows), None)


def stack_results(execute: Execute, release: str, stacks: Sequence[str]) -> dict[str, DeploymentRecord]:
    """The last deploying attempt at `release` of each of `stacks` that has one."""
    wanted = set(stacks)
    rows = execute(_STACK_RESULTS, {"release": release})
    return {row[3]: deployment(row) for row in rows if row[3] in wanted}


def latest_approval(execute: Execute, release: str, wave: int) -> Approval | None:
    """The latest approval of `wave` of `release`, whatever it covers."""
    return next((approval(row) for row in execute(_APPROVAL, {"release": release, "wave": wave})), None)
