"""Reading drift from the ledger: which stacks drifted since their deployment, and a run's checks.

A drift check (`platform drift`) records, per stack, the deployment the stack ran when it was checked
(`deployment_id`: its last successful up or rollback). Drift *stands* while that deployment is still
what the stack runs and the stack's latest finished check found drift: a later successful `up`
(which re-applies the configuration) or a later clean check ends it. No clocks are compared.

Plain SQL over `planreads.Execute`, like the planning path's other reads (no SQLAlchemy: `plan` and
`status` read it with the standard library's sqlite3 too). The records are plain data; the findings
are kept as the engine reported them (`engine.drift.DriftedResource.to_json`, capped).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tenantwave.ledger.records import StoredValueError, bad_value, shown, tenant_list

Execute = Callable[[str, dict[str, Any]], Iterable[Sequence[Any]]]

FINISHED = ("drifted", "clean")  # checks that say something about the stack (failed ones do not)

# Each stack's current deployment, as planreads.CURRENT finds it (last success, or a destroy since).
_CURRENT_ID = (
    "(SELECT max(d.id) FROM tw_deployments d WHERE d.stack = f.stack "
    "AND (d.status = 'succeeded' OR d.operation = 'destroy'))"
)

OUTSTANDING = (
    "SELECT f.stack, f.run_id, f.release, f.tenants, f.resources, f.findings, f.ended_at FROM tw_drift f "
    "JOIN (SELECT max(id) AS id FROM tw_drift WHERE status IN ('drifted', 'clean') GROUP BY stack) latest "
    f"ON f.id = latest.id WHERE f.status = 'drifted' AND f.deployment_id = {_CURRENT_ID}"
)

# Whether drift stands on one stack: the claim of an `up` reads it (a drifted stack is not current).
STANDS = OUTSTANDING + " AND f.stack = :stack"

CHECK_FIELDS = (
    "id", "run_id", "stack", "environment", "tenants", "release", "status", "resources", "findings",
    "started_at", "ended_at", "error", "log_path",
)  # fmt: skip

RUN_CHECKS = f"SELECT {', '.join(CHECK_FIELDS)} FROM tw_drift WHERE run_id = :run_id ORDER BY id"


@dataclass(frozen=True)
class DriftMark:
    """A stack that drifted since its deployment: what its latest check found, and when."""

    stack: str
    run_id: str
    release: str | None  # what the stack ran (and still runs)
    tenants: tuple[str, ...]  # the tenants it served when checked
    resources: int  # how many resources drifted
    found_at: datetime
    findings: tuple[Mapping[str, Any], ...] = ()  # each drifted resource: op, type, name, properties (capped)

    def to_json(self) -> dict[str, Any]:
        return {
            "resources": self.resources,
            "found_at": self.found_at.isoformat(timespec="seconds") + "Z",
            "run_id": self.run_id,
            "findings": [dict(f) for f in self.findings],
        }


@dataclass(frozen=True)
class DriftCheck:
    """One stack's drift check, as recorded."""

    id: int
    run_id: str
    stack: str
    environment: str
    tenants: tuple[str, ...]
    release: str | None
    status: str  # running | drifted | clean | failed | cancelled | abandoned (its run died, or unlocked)
    resources: int | None
    findings: tuple[Mapping[str, Any], ...]
    started_at: datetime
    ended_at: datetime | None
    error: str | None
    log_path: str | None


def outstanding(execute: Execute) -> dict[str, DriftMark]:
    """stack -> its standing drift (see the module). A stored value that cannot be read is a
    records.StoredValueError naming it."""
    marks: dict[str, DriftMark] = {}
    for stack, run_id, release, tenants, resources, findings, ended_at in execute(OUTSTANDING, {}):
        try:
            found = _datetime(ended_at)
            if found is None:
                continue
            marks[stack] = DriftMark(stack, run_id, release, tenant_list(tenants or "[]"), int(resources or 0),
                                     found, _findings(findings))
        except (ValueError, TypeError) as exc:
            where = f"check of stack {shown(stack)} by run {shown(run_id)}"
            raise _bad_check(where, tenants, ended_at, resources, findings) or exc from None
    return marks


def run_checks(execute: Execute, run_id: str) -> list[DriftCheck]:
    return [check(row) for row in execute(RUN_CHECKS, {"run_id": run_id})]


def check(row: Sequence[Any]) -> DriftCheck:
    """A DriftCheck from the values of CHECK_FIELDS, in that order."""
    (id_, run_id, stack, environment, tenants, release, status, resources, findings, started_at, ended_at, error,
     log_path) = row  # fmt: skip
    try:
        started = _datetime(started_at)
        if started is None:
            raise ValueError("missing")
        return DriftCheck(int(id_), run_id, stack, environment, tenant_list(tenants or "[]"), release, status,
                          resources, _findings(findings), started, _datetime(ended_at), error, log_path)
    except (ValueError, TypeError) as exc:
        where = f"row {id_} (stack {shown(stack)})"
        raise bad_value("tw_drift", where, "started_at", started_at, _required) or _bad_check(
            where, tenants, ended_at, resources, findings
        ) or exc from None


def _bad_check(where: str, tenants: Any, ended_at: Any, resources: Any, findings: Any) -> StoredValueError | None:
    """The first value of a tw_drift row its reads cannot take, named."""
    return (
        bad_value("tw_drift", where, "tenants", tenants or "[]", tenant_list)
        or bad_value("tw_drift", where, "ended_at", ended_at, _datetime)
        or bad_value("tw_drift", where, "resources", resources or 0, int)
        or bad_value("tw_drift", where, "findings", findings, _findings)
    )


def _required(value: datetime | str | None) -> datetime:
    moment = _datetime(value)
    if moment is None:
        raise ValueError("missing")
    return moment


def _findings(text: str | None) -> tuple[Mapping[str, Any], ...]:
    """The stored findings (a JSON list of objects, as the drift runner writes them; none when
    empty); ValueError for anything else (records.StoredValueError names it)."""
    value = json.loads(text) if text else []
    if type(value) is not list or not all(type(item) is dict for item in value):
        raise ValueError("not a JSON list of findings")
    return tuple(value)


def _datetime(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)
