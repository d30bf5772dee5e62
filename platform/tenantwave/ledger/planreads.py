"""The planning path's reads of the ledger: what a release has done, what each stack runs, the
fleet's status. Plain SQL over any `execute(sql, params) -> rows` (named `:parameters`), so the
same statements serve the Ledger (a SQLAlchemy connection, SQLite or PostgreSQL) and the quick
read of a plain SQLite file with the standard library (`plan` and `status` then never import
SQLAlchemy, about a third of a second).

The table and column names are the ones in schema.py (a test holds them equal); the schema
version is in version.py for the same reason: this module must not import SQLAlchemy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any, TypeVar

from tenantwave.ledger import frozen
from tenantwave.ledger.driftreads import outstanding
from tenantwave.ledger.history import Deployed, GateFacts, ReleaseHistory, Success, deployed, success
from tenantwave.ledger.records import (
    Approval,
    DeploymentRecord,
    RunRecord,
    StackStatus,
    StoredValueError,
    bad_value,
    required_time,
    shown,
    tenant_list,
)

Execute = Callable[[str, dict[str, Any]], Iterable[Sequence[Any]]]
T = TypeVar("T")

DEPLOYING_OPERATIONS = ("up", "rollback")  # operations that leave a stack running a release
DEPLOYING = "(" + ", ".join(f"'{operation}'" for operation in DEPLOYING_OPERATIONS) + ")"  # their SQL list

STORED_VERSION = "SELECT max(version) FROM tw_schema_version"

# What each stack runs: its last successful operation, unless that was a destroy or a destroy was
# attempted since (failed, cancelled, or cut short: the stack may be half gone, or its data no longer
# retained; `up` must run it again, which re-asserts retention). Stacks whose last such operation is a
# destroy run nothing: left out here rather than fetched and dropped.
_CURRENT_ROWS = (
    "FROM tw_deployments d "
    "JOIN (SELECT max(id) AS id FROM tw_deployments WHERE status = 'succeeded' OR operation = 'destroy' "
    f"GROUP BY stack) latest ON d.id = latest.id WHERE d.operation IN {DEPLOYING}"
)
CURRENT = "SELECT d.stack, d.release, d.fingerprint, d.ended_at, d.revision, d.config, d.tenants " + _CURRENT_ROWS
CURRENT_CHECKED = "SELECT d.id, d.stack, d.ended_at, d.tenants " + _CURRENT_ROWS  # which row a failed CURRENT read

RUNNING = "SELECT stack, run_id FROM tw_claims"

DEPLOYMENT_FIELDS = (
    "id", "run_id", "release", "stack", "environment", "kind", "tier", "tenants", "operation", "status",
    "started_at", "ended_at", "error", "log_path", "fingerprint", "resources", "revision", "config",
)  # fmt: skip

# Each stack's last attempt, whatever its outcome.
LATEST = (
    f"SELECT {', '.join('d.' + column for column in DEPLOYMENT_FIELDS)} FROM tw_deployments d "
    "JOIN (SELECT max(id) AS id FROM tw_deployments GROUP BY stack) latest ON d.id = latest.id "
    "ORDER BY d.stack"
)


# Every deploying attempt at the release (in no order: sorted by id in Python, cheaper than the
# database's sort of whole rows). Its successes are the release's; each stack's last one (the
# highest id) is what the wave gates read. One pass over the release's rows, where a query for the
# successes and another for each stack's max(id) read them two and three times.
ATTEMPTS = (
    f"SELECT {', '.join(DEPLOYMENT_FIELDS)} FROM tw_deployments "
    f"WHERE release = :release AND operation IN {DEPLOYING}"
)

APPROVALS = (
    "SELECT release, wave, approved_by, approved_at, comment, scope, digest FROM tw_approvals "
    "WHERE release = :release ORDER BY approved_at, id"
)

RUN_FIELDS = ("id", "release", "command", "wave", "engine", "status", "started_at", "ended_at", "user", "simulated",
              "detail")  # fmt: skip

# The finished verifications of the release, oldest first (the last one of each wave counts).
VERIFICATIONS = (
    "SELECT " + ", ".join('"' + column + '"' for column in RUN_FIELDS) + " FROM tw_runs "  # "user" is reserved
    "WHERE release = :release AND command = 'verify' AND status <> 'running' AND wave IS NOT NULL "
    "ORDER BY started_at, id"
)


def release_history(execute: Execute, release: str) -> ReleaseHistory:
    """Facts about `release`: its successes, what each stack runs, the stacks runs hold now, what
    its wave gates read, and the drift standing on stacks. A stored value these facts cannot be
    read from (a time, a list of tenants: changed by hand, damaged) is a StoredValueError naming it,
    never skipped."""
    names = _Tenants()  # one decoding (and one tuple) per distinct stored list of tenants
    successes, results = attempts(execute, release, names)
    running = {stack: run_id for stack, run_id in execute(RUNNING, {})}
    gate = gate_facts(execute, release, results)
    return ReleaseHistory.from_records(release, successes, current(execute, names), running, gate, outstanding(execute))


_by_id = itemgetter(0)


def attempts(
    execute: Execute, release: str, names: _Tenants | None = None
) -> tuple[list[Success], dict[str, DeploymentRecord]]:
    """The release's successes (oldest first) and each stack's last deploying attempt at it (ATTEMPTS)."""
    names = _Tenants() if names is None else names
    rows = list(execute(ATTEMPTS, {"release": release}))
    rows.sort(key=_by_id)
    last: dict[str, Sequence[Any]] = {}
    successes = []
    try:
        for row in rows:
            last[row[3]] = row
            if row[9] == "succeeded":
                successes.append(success(row[3], row[4], names[row[7]], row[14], row[17]))
    except (ValueError, TypeError) as exc:
        raise _bad_deployment(row) or exc from None
    return successes, {stack: deployment(row, names) for stack, row in last.items()}


def gate_facts(execute: Execute, release: str, results: dict[str, DeploymentRecord] | None = None) -> GateFacts:
    """What the wave gates of `release` read; `results`, each stack's last attempt, read here when not given."""
    results = attempts(execute, release)[1] if results is None else results
    approvals = tuple(approval(row) for row in execute(APPROVALS, {"release": release}))
    verifications = {run.wave: run for run in map(run_record, execute(VERIFICATIONS, {"release": release}))}
    return GateFacts(results, approvals, {wave: run for wave, run in verifications.items() if wave is not None})


def current(execute: Execute, names: _Tenants | None = None) -> dict[str, Deployed]:
    """stack -> what it runs (CURRENT). One row per stack ever deployed (25,000 for a plan of
    10,000 tenants), so the loop does only what each row needs: `_iso`'s quick path for the time,
    `names` (a _Tenants) for the tenants. A row whose time or tenants cannot be read is found
    again (CURRENT_CHECKED) and named."""
    names = _Tenants() if names is None else names
    iso = _iso
    try:
        return {
            stack: deployed(release, fingerprint, iso(ended_at), revision, config, names[tenants])
            for stack, release, fingerprint, ended_at, revision, config, tenants in execute(CURRENT, {})
        }
    except (ValueError, TypeError) as exc:
        for id_, stack, ended_at, tenants in execute(CURRENT_CHECKED, {}):
            if error := _bad_values(id_, stack, tenants, ended_at):
                raise error from None
        raise exc


def approval(row: Sequence[Any]) -> Approval:
    """An Approval from the values of APPROVALS' columns, in that order."""
    release, wave, approved_by, approved_at, comment, scope, digest = row
    where = f"approval of wave {shown(wave)} of {shown(release)} by {shown(approved_by)}"
    when = _checked("tw_approvals", where, "approved_at", approved_at, required_time)
    covered = _checked("tw_approvals", where, "scope", scope, _scope) if scope else None
    number = _checked("tw_approvals", where, "wave", wave, _wave)
    return Approval(release, number, approved_by, when, comment, covered, digest or "")


def run_record(row: Sequence[Any]) -> RunRecord:
    """A RunRecord from the values of RUN_FIELDS, in that order."""
    id_, release, command, wave, engine, status, started_at, ended_at, user, simulated, detail = row
    started = _checked("tw_runs", f"run {shown(id_)}", "started_at", started_at, required_time)
    return RunRecord(
        id=id_,
        release=release,
        command=command,
        wave=wave,
        engine=engine,
        status=status,
        started_at=started,
        ended_at=_checked("tw_runs", f"run {shown(id_)}", "ended_at", ended_at, as_datetime),
        user=user,
        simulated=bool(simulated),
        detail=detail,
    )


def fleet_status(execute: Execute) -> list[StackStatus]:
    """Per stack ever deployed: what it runs and its last attempt."""
    names = _Tenants()  # the tenants of both reads decoded once
    runs = current(execute, names)
    statuses = []
    for row in execute(LATEST, {}):
        record = deployment(row, names)
        deployed = runs.get(record.stack)
        statuses.append(
            StackStatus(
                record.stack,
                deployed.release if deployed else None,
                record,
                (deployed.revision if deployed else None),
            )
        )
    return statuses


def deployment(row: Sequence[Any], names: _Tenants | None = None) -> DeploymentRecord:
    """A DeploymentRecord from the values of DEPLOYMENT_FIELDS, in that order (built by
    ledger.frozen: one per stack of a release for its gates); `names` decodes the tenants (a
    _Tenants shares them across a read)."""
    try:
        (id_, run_id, release, stack, environment, kind, tier, tenants, operation, status,
         started_at, ended_at, error, log_path, fingerprint, resources, revision, config) = row  # fmt: skip
        return _record(
            {
                "id": int(id_),
                "run_id": run_id,
                "release": release,
                "stack": stack,
                "environment": environment,
                "kind": kind,
                "tier": tier,
                "tenants": tenant_list(tenants, _json) if names is None else names[tenants],
                "operation": operation,
                "status": status,
                "started_at": required_time(started_at),
                "ended_at": as_datetime(ended_at),
                "error": error,
                "log_path": log_path,
                "fingerprint": fingerprint,
                "resources": resources,
                "revision": revision,
                "config": config,
            }
        )
    except (ValueError, TypeError) as exc:
        raise _bad_deployment(row) or exc from None


_record = frozen.from_fields(DeploymentRecord)
_UNREAD = object()


def _bad_deployment(row: Sequence[Any]) -> StoredValueError | None:
    """The error naming the value of a tw_deployments row (DEPLOYMENT_FIELDS) that its reads cannot
    take, if any."""
    return _bad_values(row[0], row[3], row[7], row[11], row[10])


def _bad_values(id_: Any, stack: Any, tenants: Any, ended_at: Any, started_at: Any = _UNREAD) -> StoredValueError | None:  # noqa: E501
    """The first of these values of a tw_deployments row its reads cannot take, named (started_at
    only when given: CURRENT does not read it)."""
    where = f"row {id_} (stack {shown(stack)})"
    checks: list[tuple[str, Any, Callable[[Any], Any]]] = [("tenants", tenants, tenant_list)]
    if started_at is not _UNREAD:
        checks.append(("started_at", started_at, required_time))
    checks.append(("ended_at", ended_at, as_datetime))
    for column, value, read in checks:
        if error := bad_value("tw_deployments", where, column, value, read):
            return error
    return None


def _checked(table: str, where: str, column: str, value: Any, read: Callable[[Any], T]) -> T:
    """read(value), or the StoredValueError naming it (tables of a few rows: each value on its own)."""
    try:
        return read(value)
    except (ValueError, TypeError) as exc:
        raise bad_value(table, where, column, value, read) or exc from None


def _wave(value: Any) -> int:
    """A stored wave number: an integer (SQLite keeps any text it is given in an INTEGER column)."""
    if type(value) is not int:
        raise ValueError("not a wave number")
    return value


def _scope(text: Any) -> dict[str, str]:
    scope = json.loads(text)
    if type(scope) is not dict:
        raise ValueError("not an object")
    "".join(scope.values())  # TypeError unless every revision is a string (JSON keys always are)
    return scope

_decoder = json.JSONDecoder()


def _json(text: Any) -> Any:
    """json.loads(text), straight to the decoder's scanner for a stored value as the ledger writes it
    (no surrounding whitespace): 38,000 rows are decoded per plan of 10,000 tenants, and json.loads's
    checks and whitespace matching doubled that. Anything else, invalid text included, goes through
    json.loads itself (same result, same error)."""
    if isinstance(text, str):
        try:
            value, end = _decoder.raw_decode(text)
        except ValueError:
            return json.loads(text)
        if end == len(text):
            return value
    return json.loads(text)


def as_datetime(value: datetime | str | None) -> datetime | None:
    """A stored time: PostgreSQL's driver gives a datetime, SQLite text (as SQLAlchemy wrote it,
    `YYYY-MM-DD HH:MM:SS.ffffff`) when read without SQLAlchemy's column types."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


class _Tenants(dict[Any, tuple[str, ...]]):
    """stored JSON list of tenants -> the tenants as a tuple (tuple(_json(text))), decoded on the
    first `names[text]` of a read and shared after: most lists recur (stacks serving the same
    tenants, the pools' "[]") and tuples are immutable. A dict looked up by subscript: a hit never
    leaves C."""

    def __missing__(self, text: Any) -> tuple[str, ...]:
        names = self[text] = tenant_list(text, _json)
        return names


def _iso(value: datetime | str | None) -> str | None:
    """A stored time as ISO 8601 UTC to the second (`YYYY-MM-DDTHH:MM:SSZ`), None for None.

    One per stack ever deployed, so a time as SQLAlchemy stores it in SQLite (`YYYY-MM-DD
    HH:MM:SS.ffffff`: the separators at those places) is parsed only to check it (same errors) and
    its own characters are returned: with those separators, a naive datetime that parses has
    exactly those digits as its fields, so this is what formatting it gives (the fraction dropped,
    not rounded), at half the cost. Anything else (a datetime from PostgreSQL, another text form)
    is parsed and formatted."""
    if type(value) is str and len(value) == 26 and value[4:20:3] == "-- ::." and _parse(value).tzinfo is None:
        return value[:19].replace(" ", "T") + "Z"
    moment = as_datetime(value)
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


_parse = datetime.fromisoformat
