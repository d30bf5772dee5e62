"""ledger/claims.py rule by rule, with a fixed clock (issue 21: mutants that survived the suite).

The functions run inside a transaction of a SQLite ledger on disk, called directly with a clock
that returns a fixed time, so the staleness boundaries are exact and nothing depends on timing.
Runs started by this process are of unknown liveness (`liveness.run_alive` is None for our own
pid), so only their heartbeats decide.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, update

from support.ledgertools import FakeStack, rows, silence
from tenantwave.errors import LedgerError
from tenantwave.ledger import Ledger, claims, liveness, schema
from tenantwave.ledger import statements as q
from tenantwave.ledger.claims import Opening, is_silent

pytestmark = pytest.mark.integration

R = "1.4.0"
T = datetime(2030, 1, 1, 12, 0, 0)  # the clock of every call here
STALE = timedelta(minutes=2)
BASIC = FakeStack("testing.pool.basic")


def at(_conn: Connection) -> datetime:
    return T


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture
def ledger(url: str) -> Iterator[Ledger]:
    ledger = Ledger(url)
    yield ledger
    ledger.close()


@pytest.fixture
def engine(url: str, ledger: Ledger) -> Iterator[Engine]:
    engine = create_engine(url)
    yield engine
    engine.dispose()


def opening(run: str, log_path: str | None = "/logs/basic.log", **extra: Any) -> Opening:
    fields: dict[str, Any] = {
        "run_id": run,
        "stack": BASIC,
        "release": R,
        "operation": "up",
        "fingerprint": "fp-1",
        "commit": None,
        "simulated": False,
        "log_path": log_path,
        "unless_current": None,
        **extra,
    }
    return Opening(**fields)


def claim(engine: Engine, run: str, conn_wrapper: Any = None, **extra: Any) -> Any:
    with engine.begin() as conn:
        target = conn_wrapper(conn) if conn_wrapper else conn
        return claims.claim(target, opening(run, **extra), STALE, now=at, shown_url="sqlite:///ledger.db")


def table(url: str, name: str, key: str) -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in rows(url, name)}


# -- is_silent: the staleness rule --------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    ("heartbeat", "alive", "silent"),
    [
        (T - STALE, None, False),  # exactly stale_after ago: not yet
        (T - STALE - timedelta(microseconds=1), None, True),
        (T - STALE - timedelta(microseconds=1), False, True),
        (T - STALE - timedelta(days=1), True, False),  # a live process is never silent
        (T + timedelta(minutes=5), True, False),
        (T + timedelta(minutes=5), False, True),  # gone, its heartbeat in the future: the clock stepped back
        (T + timedelta(minutes=5), None, False),  # cannot tell: wait
        (T, False, False),  # gone, heartbeat now: not in the future, not stale yet
    ],
)
def test_is_silent(heartbeat: datetime, alive: bool | None, silent: bool) -> None:
    assert is_silent(heartbeat, T, STALE, alive) is silent


# -- heartbeat ------------------------------------------------------------------------------------------


def test_a_heartbeat_refreshes_the_run_and_every_claim_it_holds(url: str, ledger: Ledger, engine: Engine) -> None:
    run = ledger.start_run(release=R, command="up", engine="test")
    other = ledger.start_run(release=R, command="up", engine="test")
    claim(engine, run)
    claim(engine, other, stack=FakeStack("testing.pool.edge"))
    silence(url, run, T - timedelta(hours=1))
    silence(url, other, T - timedelta(hours=1))
    with engine.begin() as conn:
        claims.heartbeat(conn, run, now=at)
    runs = table(url, "tw_runs", "id")
    held = table(url, "tw_claims", "stack")
    assert runs[run]["heartbeat_at"] == T
    assert held[BASIC.name]["heartbeat_at"] == T
    assert runs[other]["heartbeat_at"] == T - timedelta(hours=1)
    assert held["testing.pool.edge"]["heartbeat_at"] == T - timedelta(hours=1)


def test_a_run_waiting_between_waves_that_sends_heartbeats_is_not_settled(
    url: str, ledger: Ledger, engine: Engine
) -> None:
    """No claim held (between waves): only the run's own heartbeat shows it is alive."""
    run = ledger.start_run(release=R, command="up", engine="test")
    silence(url, run, T - timedelta(hours=1))
    with engine.begin() as conn:
        claims.heartbeat(conn, run, now=at)
    with engine.begin() as conn:
        assert claims.settle_stale(conn, STALE, now=at) == []
    assert table(url, "tw_runs", "id")[run]["status"] == "running"


# -- finishing keeps what was recorded --------------------------------------------------------------------


def test_finishing_without_a_log_path_keeps_the_one_recorded_at_the_claim(
    url: str, ledger: Ledger, engine: Engine
) -> None:
    run = ledger.start_run(release=R, command="up", engine="test")
    got = claim(engine, run)
    with engine.begin() as conn:
        assert claims.finish_deployment(conn, run, got.deployment_id, BASIC.name, "succeeded", None, 4, None, now=at)
    (record,) = rows(url, "tw_deployments")
    assert (record["status"], record["log_path"], record["resources"], record["ended_at"]) == (
        "succeeded",
        "/logs/basic.log",
        4,
        T,
    )
    assert rows(url, "tw_claims") == []


def test_finishing_with_a_log_path_records_it(url: str, ledger: Ledger, engine: Engine) -> None:
    run = ledger.start_run(release=R, command="up", engine="test")
    got = claim(engine, run, log_path=None)
    with engine.begin() as conn:
        assert claims.finish_deployment(
            conn, run, got.deployment_id, BASIC.name, "failed", "boom", None, "/l/x.log", now=at
        )
    (record,) = rows(url, "tw_deployments")
    assert (record["status"], record["error"], record["log_path"]) == ("failed", "boom", "/l/x.log")


def test_finishing_a_deployment_no_longer_the_runs_reports_it(url: str, ledger: Ledger, engine: Engine) -> None:
    run = ledger.start_run(release=R, command="up", engine="test")
    got = claim(engine, run)
    with engine.begin() as conn:
        assert not claims.finish_deployment(
            conn, "someone-else", got.deployment_id, BASIC.name, "failed", None, None, "/x", now=at
        )
    (record,) = rows(url, "tw_deployments")
    assert (record["status"], record["log_path"]) == ("running", "/logs/basic.log")


# -- settling stale claims and runs: each of the two ways on its own --------------------------------------


def test_a_stale_claim_is_settled_even_when_its_run_still_sends_heartbeats(
    url: str, ledger: Ledger, engine: Engine
) -> None:
    """The claim path alone (the run's own heartbeat is fresh, so the unclaimed-runs path cannot act)."""
    run = ledger.start_run(release=R, command="up", engine="test")
    claim(engine, run)
    silence(url, run, T - STALE - timedelta(seconds=1), claims=True)
    silence(url, run, T, claims=False)
    with engine.begin() as conn:
        assert claims.settle_stale(conn, STALE, now=at) == [BASIC.name]
    (record,) = rows(url, "tw_deployments")
    assert (record["status"], record["ended_at"], record["error"]) == ("abandoned", T, q.ABANDONED)
    assert table(url, "tw_runs", "id")[run]["status"] == "abandoned"
    assert rows(url, "tw_claims") == []


def test_a_silent_run_without_claims_is_settled_with_its_running_deployments(
    url: str, ledger: Ledger, engine: Engine
) -> None:
    """The unclaimed-runs path alone: the claim is gone (released by hand), the deployment still says running."""
    run = ledger.start_run(release=R, command="up", engine="test")
    claim(engine, run)
    with engine.begin() as conn:
        conn.execute(q.DELETE_CLAIM, {"b_stack": BASIC.name, "b_run": run})
    silence(url, run, T - STALE - timedelta(seconds=1))
    with engine.begin() as conn:
        assert claims.settle_stale(conn, STALE, now=at) == []
    (record,) = rows(url, "tw_deployments")
    assert (record["status"], record["ended_at"], record["error"]) == ("abandoned", T, q.ABANDONED)
    (settled,) = rows(url, "tw_runs")
    assert (settled["status"], settled["ended_at"], settled["detail"]) == ("abandoned", T, q.ABANDONED)


def test_finished_deployments_and_runs_are_not_touched_by_settling(url: str, ledger: Ledger, engine: Engine) -> None:
    run = ledger.start_run(release=R, command="up", engine="test")
    got = claim(engine, run)
    with engine.begin() as conn:
        claims.finish_deployment(conn, run, got.deployment_id, BASIC.name, "succeeded", None, 1, None, now=at)
        conn.execute(update(schema.runs).values(status="succeeded"))
    silence(url, run, T - timedelta(days=1))
    with engine.begin() as conn:
        assert claims.settle_stale(conn, STALE, now=at) == []
    assert [r["status"] for r in rows(url, "tw_deployments")] == ["succeeded"]
    assert [r["status"] for r in rows(url, "tw_runs")] == ["succeeded"]


@pytest.mark.parametrize(("age", "settled"), [(STALE, False), (STALE + timedelta(seconds=1), True)])
def test_the_staleness_boundary_of_claims(
    url: str, ledger: Ledger, engine: Engine, age: timedelta, settled: bool
) -> None:
    run = ledger.start_run(release=R, command="up", engine="test")
    claim(engine, run)
    silence(url, run, T - age)
    with engine.begin() as conn:
        assert claims.settle_stale(conn, STALE, now=at) == ([BASIC.name] if settled else [])
    assert table(url, "tw_runs", "id")[run]["status"] == ("abandoned" if settled else "running")


@pytest.mark.parametrize(("age", "settled"), [(STALE, False), (STALE + timedelta(seconds=1), True)])
def test_the_staleness_boundary_of_unclaimed_runs(
    url: str, ledger: Ledger, engine: Engine, age: timedelta, settled: bool
) -> None:
    run = ledger.start_run(release=R, command="up", engine="test")
    silence(url, run, T - age)
    with engine.begin() as conn:
        claims.settle_stale(conn, STALE, now=at)
    assert table(url, "tw_runs", "id")[run]["status"] == ("abandoned" if settled else "running")


def test_a_heartbeat_from_the_future_of_unknown_liveness_is_left_alone(
    url: str, ledger: Ledger, engine: Engine
) -> None:
    run = ledger.start_run(release=R, command="up", engine="test")
    claim(engine, run)
    silence(url, run, T + timedelta(hours=1))
    with engine.begin() as conn:
        assert claims.settle_stale(conn, STALE, now=at) == []
    assert table(url, "tw_runs", "id")[run]["status"] == "running"


# -- claiming: take-over, the retry loop and its limit ------------------------------------------------------


def test_a_stale_claim_is_taken_over_and_the_silent_run_abandoned(url: str, ledger: Ledger, engine: Engine) -> None:
    old = ledger.start_run(release=R, command="up", engine="test")
    new = ledger.start_run(release=R, command="up", engine="test")
    first = claim(engine, old)
    silence(url, old, T - STALE - timedelta(seconds=1))
    got = claim(engine, new)
    assert (got.granted, got.took_over) == (True, old)
    deployments = table(url, "tw_deployments", "id")
    assert deployments[first.deployment_id]["status"] == "abandoned"
    assert deployments[got.deployment_id]["status"] == "running"
    assert table(url, "tw_runs", "id")[old]["status"] == "abandoned"
    (held,) = rows(url, "tw_claims")
    assert (held["run_id"], held["deployment_id"], held["claimed_at"]) == (new, got.deployment_id, T)


def test_a_claim_exactly_stale_after_old_is_still_held(url: str, ledger: Ledger, engine: Engine) -> None:
    old = ledger.start_run(release=R, command="up", engine="test")
    new = ledger.start_run(release=R, command="up", engine="test")
    claim(engine, old)
    silence(url, old, T - STALE)
    got = claim(engine, new)
    assert (got.granted, got.held_by, got.took_over) == (False, old, None)


class Vanishing:
    """A connection on which the claim row is never found after the insert lost (as when the
    holder releases it between the two statements on PostgreSQL); counts the attempts."""

    def __init__(self, conn: Connection, vanish: int) -> None:
        self.conn, self.vanish, self.lookups = conn, vanish, 0
        self.dialect = conn.dialect

    def execute(self, statement: Any, *args: Any) -> Any:
        if statement is q.CLAIM_ROW:
            self.lookups += 1
            if self.lookups <= self.vanish:
                return self.conn.execute(q.CLAIM_ROW, {"b_stack": "no such stack"})
        return self.conn.execute(statement, *args)


def test_a_claim_row_that_vanished_is_tried_again(url: str, ledger: Ledger, engine: Engine) -> None:
    holder = ledger.start_run(release=R, command="up", engine="test")
    run = ledger.start_run(release=R, command="up", engine="test")
    claim(engine, holder)
    wrappers: list[Vanishing] = []

    def wrap(conn: Connection) -> Vanishing:
        wrappers.append(Vanishing(conn, vanish=4))
        return wrappers[-1]

    got = claim(engine, run, conn_wrapper=wrap)
    assert (got.granted, got.held_by) == (False, holder)
    assert wrappers[0].lookups == 5


def test_a_claim_that_keeps_changing_gives_up_after_five_attempts(url: str, ledger: Ledger, engine: Engine) -> None:
    holder = ledger.start_run(release=R, command="up", engine="test")
    run = ledger.start_run(release=R, command="up", engine="test")
    claim(engine, holder)
    wrappers: list[Vanishing] = []

    def wrap(conn: Connection) -> Vanishing:
        wrappers.append(Vanishing(conn, vanish=5))
        return wrappers[-1]

    with pytest.raises(LedgerError) as raised:
        claim(engine, run, conn_wrapper=wrap)
    assert str(raised.value) == (
        "ledger sqlite:///ledger.db: the claim on testing.pool.basic kept changing under this run; retry"
    )
    assert wrappers[0].lookups == 5


class LosingTakeOver(Vanishing):
    """Another run takes the stale claim over first, every time."""

    def execute(self, statement: Any, *args: Any) -> Any:
        if statement is q.TAKE_CLAIM:
            self.lookups += 1
            return self.conn.execute(q.TAKE_CLAIM, {**args[0], "b_stale_run": "not the holder"})
        return self.conn.execute(statement, *args)


def test_a_lost_take_over_is_tried_again_then_given_up(url: str, ledger: Ledger, engine: Engine) -> None:
    old = ledger.start_run(release=R, command="up", engine="test")
    run = ledger.start_run(release=R, command="up", engine="test")
    claim(engine, old)
    silence(url, old, T - timedelta(hours=1))
    wrappers: list[LosingTakeOver] = []

    def wrap(conn: Connection) -> LosingTakeOver:
        wrappers.append(LosingTakeOver(conn, vanish=0))
        return wrappers[-1]

    with pytest.raises(LedgerError):
        claim(engine, run, conn_wrapper=wrap)
    assert wrappers[0].lookups == 5
    assert table(url, "tw_runs", "id")[old]["status"] == "running"  # nothing settled by a lost take-over


# -- liveness on SQLite: a run whose process is gone --------------------------------------------------


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def gone(url: str, run: str, heartbeat: datetime) -> None:
    """The run's process (on this host) has exited and its last heartbeat reads `heartbeat`."""
    silence(url, run, heartbeat)
    db = create_engine(url)
    with db.begin() as conn:
        runs = schema.runs
        conn.execute(update(runs).where(runs.c.id == run).values(host=liveness.this_host(), pid=dead_pid()))
    db.dispose()


def test_a_gone_run_whose_heartbeat_a_clock_step_put_in_the_future_is_settled(
    url: str, ledger: Ledger, engine: Engine
) -> None:
    run = ledger.start_run(release=R, command="up", engine="test")
    claim(engine, run)
    gone(url, run, T + timedelta(hours=1))
    with engine.begin() as conn:
        assert claims.settle_stale(conn, STALE, now=at) == [BASIC.name]
    assert table(url, "tw_runs", "id")[run]["status"] == "abandoned"


def test_a_gone_run_without_claims_and_a_future_heartbeat_is_settled(url: str, ledger: Ledger, engine: Engine) -> None:
    run = ledger.start_run(release=R, command="up", engine="test")
    gone(url, run, T + timedelta(hours=1))
    with engine.begin() as conn:
        assert claims.settle_stale(conn, STALE, now=at) == []
    assert table(url, "tw_runs", "id")[run]["status"] == "abandoned"


def test_the_claim_of_a_gone_run_with_a_future_heartbeat_is_taken_over(
    url: str, ledger: Ledger, engine: Engine
) -> None:
    old = ledger.start_run(release=R, command="up", engine="test")
    new = ledger.start_run(release=R, command="up", engine="test")
    claim(engine, old)
    gone(url, old, T + timedelta(hours=1))
    assert claim(engine, new).took_over == old


# -- a write tried twice finds its own result ----------------------------------------------------------


def test_finishing_twice_with_the_same_result_is_done_and_with_another_is_refused(
    url: str, ledger: Ledger, engine: Engine
) -> None:
    run = ledger.start_run(release=R, command="up", engine="test")
    got = claim(engine, run)
    for status, expected in (("succeeded", True), ("succeeded", True), ("failed", False)):
        with engine.begin() as conn:
            done = claims.finish_deployment(conn, run, got.deployment_id, BASIC.name, status, None, 1, None, now=at)
        assert done is expected
    with engine.begin() as conn:
        assert not claims.finish_deployment(
            conn, "other", got.deployment_id, BASIC.name, "succeeded", None, 1, None, now=at
        )
    assert [r["status"] for r in rows(url, "tw_deployments")] == ["succeeded"]


def test_claiming_again_after_a_first_try_committed_finds_the_runs_own_claim(
    url: str, ledger: Ledger, engine: Engine
) -> None:
    run = ledger.start_run(release=R, command="up", engine="test")
    first = claim(engine, run)
    again = claim(engine, run)
    assert (again.granted, again.deployment_id, again.took_over, again.held_by) == (
        True,
        first.deployment_id,
        None,
        None,
    )
    assert len(rows(url, "tw_deployments")) == 1


@pytest.mark.parametrize(
    ("recorded", "asked", "current"),
    [
        ("1.4.0+aaaa", "1.4.0+aaaa", True),
        ("1.4.0+aaaa", "1.4.0+bbbb", False),  # the configuration changed: deploy again
        ("1.4.0+aaaa", None, True),  # a caller without a revision
        (None, "1.4.0+bbbb", True),  # a record from before revisions were recorded
    ],
)
def test_a_stack_already_current_is_skipped_by_revision(
    url: str, ledger: Ledger, engine: Engine, recorded: str | None, asked: str | None, current: bool
) -> None:
    run = ledger.start_run(release=R, command="up", engine="test")
    got = claim(engine, run, revision=recorded)
    with engine.begin() as conn:
        claims.finish_deployment(conn, run, got.deployment_id, BASIC.name, "succeeded", None, 1, None, now=at)
    again = claim(engine, run, unless_current=R, revision=asked)
    assert (again.granted, again.already_current) == (not current, current)
    assert len(rows(url, "tw_deployments")) == (1 if current else 2)
    assert len(rows(url, "tw_claims")) == (0 if current else 1)


def test_a_stack_never_deployed_or_on_another_release_is_not_current(url: str, ledger: Ledger, engine: Engine) -> None:
    run = ledger.start_run(release=R, command="up", engine="test")
    fresh = claim(engine, run, unless_current=R)
    assert (fresh.granted, fresh.already_current) == (True, False)
    with engine.begin() as conn:
        claims.finish_deployment(conn, run, fresh.deployment_id, BASIC.name, "succeeded", None, 1, None, now=at)
    newer = claim(engine, run, unless_current="1.5.0", release="1.5.0")
    assert (newer.granted, newer.already_current) == (True, False)


# -- a result recorded late (from the runner's journal) ------------------------------------------------


def record_late(engine: Engine, run: str, deployment: int, status: str) -> bool:
    with engine.begin() as conn:
        return claims.record_late(conn, run, deployment, BASIC.name, status, None, 2, now=at)


def test_a_late_result_replaces_running_and_abandoned_and_releases_the_claim(
    url: str, ledger: Ledger, engine: Engine
) -> None:
    run = ledger.start_run(release=R, command="up", engine="test")
    got = claim(engine, run)
    assert record_late(engine, run, got.deployment_id, "succeeded") is True
    (record,) = rows(url, "tw_deployments")
    assert (record["status"], record["ended_at"], record["resources"]) == ("succeeded", T, 2)
    assert rows(url, "tw_claims") == []
    assert record_late(engine, run, got.deployment_id, "succeeded") is True  # tried twice: done
    assert record_late(engine, run, got.deployment_id, "failed") is False  # another result stands
    assert record_late(engine, "other", got.deployment_id, "succeeded") is False
    with engine.begin() as conn:
        conn.execute(update(schema.deployments).values(status="abandoned"))
    assert record_late(engine, run, got.deployment_id, "failed") is True
    assert [r["status"] for r in rows(url, "tw_deployments")] == ["failed"]


def test_a_late_result_of_another_run_changes_nothing(url: str, ledger: Ledger, engine: Engine) -> None:
    run = ledger.start_run(release=R, command="up", engine="test")
    got = claim(engine, run)
    assert record_late(engine, "other", got.deployment_id, "failed") is False
    assert [r["status"] for r in rows(url, "tw_deployments")] == ["running"]
    assert len(rows(url, "tw_claims")) == 1
