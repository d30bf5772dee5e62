"""The planning read of the ledger (planreads.release_history, made cheaper for 10,000 tenants)
answers exactly what the read it replaced answered, on both backends, on a ledger with awkward
rows: destroys (succeeded and failed), failures after a success, rollbacks, revisions and
configurations recorded or not, the same tenants on several stacks, several releases.

`reference_history` is that earlier read, kept here verbatim as the specification."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.ledgertools import STALE_AFTER, FakeStack, stack
from tenantwave.ledger import Ledger, planreads
from tenantwave.ledger.deferred import DeferredLedger
from tenantwave.ledger.history import Deployed, GateFacts, ReleaseHistory, Success
from tenantwave.ledger.records import DeploymentRecord

pytestmark = pytest.mark.integration

_OLD_CURRENT = (
    "SELECT d.stack, d.release, d.fingerprint, d.operation, d.ended_at, d.revision, d.config, d.tenants "
    "FROM tw_deployments d "
    "JOIN (SELECT max(id) AS id FROM tw_deployments WHERE status = 'succeeded' OR operation = 'destroy' "
    "GROUP BY stack) latest ON d.id = latest.id"
)
_OLD_RESULTS = (
    f"SELECT {', '.join('d.' + column for column in planreads.DEPLOYMENT_FIELDS)} FROM tw_deployments d "
    "JOIN (SELECT max(id) AS id FROM tw_deployments "
    "WHERE release = :release AND operation IN ('up', 'rollback') GROUP BY stack) latest ON d.id = latest.id"
)
_OLD_SUCCESSES = (
    "SELECT stack, environment, tenants, fingerprint, config FROM tw_deployments "
    "WHERE release = :release AND status = 'succeeded' AND operation IN ('up', 'rollback')"
)


def old_datetime(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def old_iso(value: datetime | str | None) -> str | None:
    moment = old_datetime(value)
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def old_deployment(row: Sequence[Any]) -> DeploymentRecord:
    (id_, run_id, release, stack_, environment, kind, tier, tenants, operation, status,
     started_at, ended_at, error, log_path, fingerprint, resources, revision, config) = row  # fmt: skip
    started = old_datetime(started_at)
    assert started is not None
    return DeploymentRecord(
        id=int(id_), run_id=run_id, release=release, stack=stack_, environment=environment, kind=kind, tier=tier,
        tenants=tuple(json.loads(tenants)), operation=operation, status=status, started_at=started,
        ended_at=old_datetime(ended_at), error=error, log_path=log_path, fingerprint=fingerprint,
        resources=resources, revision=revision, config=config,
    )  # fmt: skip


def reference_history(execute: planreads.Execute, release: str) -> ReleaseHistory:
    """The read as it was before it was made cheaper (the specification of its answers)."""
    successes = [
        Success(stack_, environment, tuple(json.loads(tenants)), fingerprint, config)
        for stack_, environment, tenants, fingerprint, config in execute(_OLD_SUCCESSES, {"release": release})
    ]
    current = {
        stack_: Deployed(release_, fingerprint, old_iso(ended_at), revision, config, tuple(json.loads(tenants)))
        for stack_, release_, fingerprint, operation, ended_at, revision, config, tenants in execute(_OLD_CURRENT, {})
        if operation in ("up", "rollback")
    }
    running = {stack_: run_id for stack_, run_id in execute(planreads.RUNNING, {})}
    results = {r.stack: r for r in map(old_deployment, execute(_OLD_RESULTS, {"release": release}))}
    approvals = tuple(planreads.approval(row) for row in execute(planreads.APPROVALS, {"release": release}))
    verifications = {
        run.wave: run for run in map(planreads.run_record, execute(planreads.VERIFICATIONS, {"release": release}))
    }
    gate = GateFacts(results, approvals, {wave: run for wave, run in verifications.items() if wave is not None})
    return ReleaseHistory.from_records(release, successes, current, running, gate, planreads.outstanding(execute))


RELEASES = ("1.2.0", "1.3.0", "1.4.0", "9.9.9")
POOL = stack("testing.pool.basic", tenants=("acme", "globex"))
SAME = stack("staging.pool.basic", tenants=("acme", "globex"))  # the same tenants as POOL
EMPTY = stack("testing.pool.premium", tier="premium", tenants=())
SILO = stack("production-us.silo.helios", kind="silo", tier="premium", tenants=("helios",))
GONE = stack("production-us.silo.umbrella", kind="silo", tier="premium", tenants=("umbrella",))
HALF = stack("production-eu.silo.initech", kind="silo", tier="premium", tenants=("initech",))
FLAKY = stack("production-eu.pool.basic", tenants=("a-b", "ünïcode"))


def _deploy(ledger: Ledger, run: str, target: FakeStack, release: str, operation: str = "up",
            status: str = "succeeded", revision: str | None = None, config: str | None = None) -> None:  # fmt: skip
    claim = ledger.claim(
        run_id=run, stack=target, release=release, operation=operation,
        fingerprint=None if operation == "destroy" else f"fp-{release}", stale_after=STALE_AFTER,
        revision=revision, config=config,
    )  # fmt: skip
    assert claim.granted and claim.deployment_id is not None
    ledger.finish_deployment(run_id=run, deployment_id=claim.deployment_id, stack=target.name, status=status)


def awkward(url: str) -> Ledger:
    ledger = Ledger(url)
    run = ledger.start_run(release="1.4.0", command="up", engine="test")
    config = json.dumps({"program": "abc", "tier": "def"})
    for release in ("1.2.0", "1.3.0"):  # several releases, revisions recorded or not
        for target in (POOL, SAME, EMPTY, SILO, GONE, HALF, FLAKY):
            _deploy(ledger, run, target, release, revision=f"{release}+0123" if release == "1.3.0" else None,
                    config=config if release == "1.3.0" else None)  # fmt: skip
    _deploy(ledger, run, POOL, "1.4.0", revision="1.4.0+4567", config=config)
    _deploy(ledger, run, SAME, "1.4.0")
    _deploy(ledger, run, SAME, "1.4.0", status="failed")  # a failure after a success
    _deploy(ledger, run, EMPTY, "1.4.0", status="unhealthy")
    _deploy(ledger, run, SILO, "1.4.0")
    _deploy(ledger, run, SILO, "1.3.0", operation="rollback")  # rolled back: runs 1.3.0
    _deploy(ledger, run, GONE, "1.4.0", operation="destroy")  # destroyed: runs nothing
    _deploy(ledger, run, HALF, "1.4.0")
    _deploy(ledger, run, HALF, "1.4.0", operation="destroy", status="failed")  # half gone: runs nothing
    _deploy(ledger, run, FLAKY, "1.4.0", status="failed")
    _deploy(ledger, run, FLAKY, "1.4.0", status="cancelled")
    ledger.claim(run_id=run, stack=FLAKY, release="1.4.0", operation="up", fingerprint="f", stale_after=STALE_AFTER)
    ledger.approve("1.3.0", 1, "alice", comment="ok", scope={POOL.name: "1.3.0+0123"})
    return ledger


def in_order(history: ReleaseHistory) -> ReleaseHistory:
    """`history` with its maps in stack order: the order a query happens to give them in is no part
    of the answer (each stack's last attempt is no longer grouped by stack in the database)."""
    gate = history.gate and dataclasses.replace(history.gate, results=dict(sorted(history.gate.results.items())))
    return dataclasses.replace(history, gate=gate, current=dict(sorted(history.current.items())))


def test_the_read_answers_what_the_earlier_read_did(ledger_url: str) -> None:
    ledger = awkward(ledger_url)
    for release in RELEASES:
        new = ledger.read_plain(lambda execute: planreads.release_history(execute, release))  # noqa: B023
        old = ledger.read_plain(lambda execute: reference_history(execute, release))  # noqa: B023
        assert new == old, release
        assert repr(in_order(new)) == repr(in_order(old))
        assert all(type(d) is Deployed for d in new.current.values())
        assert {stack_: hash(d) for stack_, d in new.current.items()} == {s: hash(d) for s, d in old.current.items()}
        assert new.gate is not None
        assert all(type(r) is DeploymentRecord for r in new.gate.results.values())
        assert new.gate.results == (old.gate.results if old.gate else None)
    history = ledger.release_history("1.4.0")
    assert set(history.current) == {POOL.name, SAME.name, EMPTY.name, SILO.name, FLAKY.name}
    assert history.current[SILO.name].release == "1.3.0"
    assert history.current[POOL.name].tenants is history.current[SAME.name].tenants  # decoded once


def test_the_quick_read_answers_what_the_earlier_read_did(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = awkward(url)
    deferred = DeferredLedger(url)
    for release in RELEASES:
        assert deferred.release_history(release) == ledger.read_plain(
            lambda execute: reference_history(execute, release)  # noqa: B023
        )
    assert deferred._real is None  # answered by the quick read


_ROW = st.tuples(
    st.sampled_from([POOL.name, SAME.name, SILO.name, GONE.name]),
    st.sampled_from(RELEASES[:3]),
    st.sampled_from(["up", "up", "rollback", "destroy"]),
    st.sampled_from(["succeeded", "succeeded", "failed", "running", "unhealthy", "cancelled", "abandoned"]),
    st.sampled_from(['["acme", "globex"]', "[]", '["helios"]']),
    st.sampled_from(["2026-01-01 00:00:00.000000", "2026-01-02 03:04:05.678901", None]),
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_ROW, max_size=14))
def test_any_history_is_read_as_the_earlier_read_did(tmp_path: Path, rows: list[tuple[Any, ...]]) -> None:
    """Random deployments (any operation, status and order: a stack's last attempt at a release may
    be any of several, its last success older than a failed destroy, ...) read by the quick read and
    by the Ledger give what `reference_history` gives, for every release."""
    path = tmp_path / "random.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        created = Ledger(url)
        assert created.schema_version() is not None  # the schema, on first use
        created.close()
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("DELETE FROM tw_deployments")
        conn.executemany(
            "INSERT INTO tw_deployments (run_id, release, stack, environment, kind, tier, tenants, operation, status, "
            "fingerprint, started_at, ended_at, simulated) VALUES ('r', ?, ?, 'testing', 'pool', 'basic', ?, ?, ?, "
            "'fp', '2026-01-01 00:00:00.000000', ?, 0)",
            [(release, stack_, tenants, operation, status, ended) for stack_, release, operation, status, tenants, ended
             in rows],
        )  # fmt: skip
    ledger = Ledger(url)
    for release in RELEASES:
        expected = ledger.read_plain(lambda execute: reference_history(execute, release))  # noqa: B023
        quick = DeferredLedger(url).release_history(release)
        assert quick == expected
        assert repr(in_order(quick)) == repr(in_order(expected))
        assert ledger.release_history(release) == expected
    ledger.close()
