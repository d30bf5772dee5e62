"""The runner under faults, in-process: a ledger that fails for a while or for good, a display that
raises, an interrupt without a signal handler, a slow prepare, a claim taken over mid-deployment.

Whatever happens, a result the engine reported is recorded (in the ledger, or in the journal that
the next use of the ledger replays), no stack's claim is released while its engine call runs, and
the run's end is recorded.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from support.ledgertools import rows, silence
from support.testengine import ScriptedEngine, Step
from tenantwave.engine.base import CancelToken
from tenantwave.ledger import claims as ledger_claims
from tenantwave.ledger import journal
from tenantwave.planning.inventory import build_inventory
from tenantwave.planning.selection import Targets
from tenantwave.rollout.listener import QuietListener
from tenantwave.rollout.prepare import prepare_rollout
from tenantwave.rollout.runner import Runner, RunOptions

pytestmark = pytest.mark.integration
RELEASE = "1.4.0"
WAVE_2 = [f"production-us.silo.t{index:02d}" for index in range(12)]


def run(ws: Any, engine: ScriptedEngine, wave: int, *, listener: Any = None, cancel: CancelToken | None = None,
        concurrency: int = 4, **options: Any) -> Any:
    plan = prepare_rollout(ws, RELEASE, wave=wave, targets=Targets())
    settings = {"heartbeat_seconds": 0.05, **options}
    return Runner(ws, engine, plan, RunOptions(concurrency=concurrency, **settings), listener, cancel).run()


def disk_full(statement: str = "UPDATE tw_deployments") -> OperationalError:
    """What SQLAlchemy raises when SQLite cannot write: the driver's error, wrapped."""
    return OperationalError(statement, {}, sqlite3.OperationalError("database or disk is full"))


class Failing:
    """Replaces a function of tenantwave.ledger.claims: raises disk-full while `failing` is set."""

    def __init__(self, real: Any, *, times: int | None = None) -> None:
        self.real = real
        self.times = times  # None: until `failing` is cleared
        self.failing = True
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.failing and (self.times is None or self.calls <= self.times):
            raise disk_full()
        return self.real(*args, **kwargs)


@pytest.fixture
def ws(open_ws: Any, wide_fleet: Path, test_engine: ScriptedEngine, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Wave 1 done, wave 2 (12 silo stacks) to run; an outage is waited out for 0.3 s."""
    monkeypatch.setenv("PLATFORM_LEDGER_RETRY_SECONDS", "0.3")
    workspace = open_ws(wide_fleet)
    run(workspace, test_engine, 1)
    test_engine.calls.clear()
    return workspace


def deployments(ws: Any) -> list[Any]:
    return [d for d in ws.ledger.deployments() if d.stack in WAVE_2]


def test_a_short_outage_is_waited_out_and_every_result_recorded(
    ws: Any, test_engine: ScriptedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = Failing(ledger_claims.finish_deployment, times=5)
    monkeypatch.setattr(ledger_claims, "finish_deployment", failing)
    report = run(ws, test_engine, 2)
    assert failing.calls > 5
    assert report.status == "succeeded" and report.count("succeeded") == 12
    assert {o.record for o in report.outcomes} == {"ledger"} and report.journal is None
    assert sorted(d.status for d in deployments(ws)) == ["succeeded"] * 12
    assert rows(ws.ledger.url, "tw_claims") == []


def test_results_outlasting_the_retries_are_journaled_then_replayed_by_the_next_use(
    ws: Any, test_engine: ScriptedEngine, monkeypatch: pytest.MonkeyPatch, open_ws: Any, wide_fleet: Path
) -> None:
    failing = Failing(ledger_claims.finish_deployment)
    monkeypatch.setattr(ledger_claims, "finish_deployment", failing)
    late = Failing(ledger_claims.record_late)  # nor can the journal be replayed at the end of the run
    monkeypatch.setattr(ledger_claims, "record_late", late)
    report = run(ws, test_engine, 2, concurrency=12)

    assert report.count("succeeded") == 12 and report.status == "failed"
    assert {o.record for o in report.outcomes} == {"journal"}
    assert report.journal is not None and Path(report.journal).is_file()
    assert Path(report.journal).stat().st_mode & 0o777 == 0o600
    assert {d.status for d in deployments(ws)} == {"running"}  # the ledger could not take them
    assert len(rows(ws.ledger.url, "tw_claims")) == 12  # held: nobody else deploys them meanwhile
    log = Path(report.outcomes[0].log_path).read_text()
    assert "could not record this result" in log and report.journal in log

    failing.failing = late.failing = False  # the ledger is back: the next command's first use records them
    later = open_ws(wide_fleet)
    later.ledger.status()
    assert sorted(d.status for d in deployments(later)) == ["succeeded"] * 12
    assert rows(later.ledger.url, "tw_claims") == []
    assert journal.pending(later.state_dir) == []
    again = run(later, test_engine, 2)
    assert again.outcomes == ()  # nothing deployed twice
    assert sorted(test_engine.operations()) == WAVE_2


def test_a_ledger_that_comes_back_before_the_end_gets_the_journaled_results(
    ws: Any, test_engine: ScriptedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = Failing(ledger_claims.finish_deployment)
    monkeypatch.setattr(ledger_claims, "finish_deployment", failing)
    test_engine.default = Step(delay=0.02)
    test_engine.steps[WAVE_2[-1]] = Step(delay=1.5)  # the ledger is back while this one still runs
    threading.Timer(0.9, lambda: setattr(failing, "failing", False)).start()
    report = run(ws, test_engine, 2, concurrency=12)
    assert report.status == "succeeded" and {o.record for o in report.outcomes} == {"ledger"}
    assert report.journal is None and journal.pending(ws.state_dir) == []
    assert sorted(d.status for d in deployments(ws)) == ["succeeded"] * 12


def test_a_claim_the_ledger_cannot_take_stops_new_starts_and_the_run_still_ends(
    ws: Any, test_engine: ScriptedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = Failing(ledger_claims.claim)
    failing.failing = False
    real_claim = failing.real

    def claim(*args: Any, **kwargs: Any) -> Any:
        failing.calls += 1
        if failing.calls > 2:  # the ledger goes away after two claims, for good
            raise disk_full("INSERT INTO tw_claims")
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(ledger_claims, "claim", claim)
    test_engine.default = Step(delay=0.2)
    report = run(ws, test_engine, 2, concurrency=2)

    assert report.status == "failed"
    assert report.stopped is not None and report.stopped.startswith("the ledger became unusable: ")
    assert report.count("succeeded") == 2 and report.count("not-started") == 10
    assert {d.status for d in deployments(ws)} == {"succeeded"}
    run_record = next(r for r in ws.ledger.runs() if r.id == report.run_id)
    assert run_record.status == "failed" and run_record.detail == report.stopped


class Raising(QuietListener):
    def __init__(self, error: BaseException, on: str = "stack_finished") -> None:
        self.error = error
        self.on = on
        self.raised = 0

    def _maybe(self, name: str) -> None:
        if name == self.on and not self.raised:
            self.raised += 1
            raise self.error

    def stack_started(self, stack: Any) -> None:
        self._maybe("stack_started")

    def stack_finished(self, outcome: Any) -> None:
        self._maybe("stack_finished")


def test_a_display_error_stops_new_starts_and_the_running_stacks_finish_and_are_recorded(
    ws: Any, test_engine: ScriptedEngine
) -> None:
    from rich.errors import MarkupError

    test_engine.default = Step(delay=0.3)
    test_engine.steps[WAVE_2[0]] = Step(delay=0.0)
    listener = Raising(MarkupError("closing tag '[/bold]' at position 3 doesn't match any open tag"))
    report = run(ws, test_engine, 2, listener=listener, concurrency=3)

    assert listener.raised == 1
    assert report.status == "failed"
    assert report.stopped is not None and report.stopped.startswith("the display failed (MarkupError: closing tag")
    started = test_engine.operations()
    assert 3 <= len(started) < 12  # the ones running when it failed finished; no new one started
    assert report.count("succeeded") == len(started) and report.count("not-started") == 12 - len(started)
    assert sorted(d.stack for d in deployments(ws) if d.status == "succeeded") == sorted(started)
    assert {r.id: r.status for r in ws.ledger.runs()}[report.run_id] == "failed"
    assert rows(ws.ledger.url, "tw_claims") == []
    where = report.stopped.rsplit("the traceback is in ", 1)[1]
    assert "MarkupError" in Path(where).read_text()


def test_a_closed_output_silences_the_display_and_the_run_goes_on(ws: Any, test_engine: ScriptedEngine) -> None:
    listener = Raising(BrokenPipeError(32, "Broken pipe"), on="stack_started")
    report = run(ws, test_engine, 2, listener=listener)
    assert listener.raised == 1
    assert report.status == "succeeded" and report.count("succeeded") == 12 and report.stopped is None


def test_an_interrupt_without_a_signal_handler_is_a_cancellation(ws: Any, test_engine: ScriptedEngine) -> None:
    test_engine.default = Step(delay=0.3)
    listener = Raising(KeyboardInterrupt(), on="stack_started")
    cancel = CancelToken()
    report = run(ws, test_engine, 2, listener=listener, cancel=cancel, concurrency=2)
    assert cancel.is_set() and report.status == "cancelled"
    assert report.count("cancelled") == 2 and report.count("not-started") == 10
    assert sorted(d.status for d in deployments(ws)) == ["cancelled", "cancelled"]
    assert {r.id: r.status for r in ws.ledger.runs()}[report.run_id] == "cancelled"


def test_a_second_interrupt_keeps_the_claim_while_the_engine_runs_and_records_its_real_result(
    ws: Any, test_engine: ScriptedEngine
) -> None:
    test_engine.default = Step(delay=1.2, deaf=True)  # an engine that ignores cancellation
    cancel = CancelToken()
    threading.Timer(0.1, cancel.cancel).start()
    threading.Timer(0.2, cancel.cancel).start()
    seen: dict[str, Any] = {}

    def meanwhile() -> None:  # another run tries to take the stack while the first engine call runs
        other = ws.ledger.start_run(release=RELEASE, command="up", engine="test")
        stack = next(s for s in build_inventory(ws.project) if s.name == WAVE_2[0])
        seen["claim"] = ws.ledger.claim(run_id=other, stack=stack, release=RELEASE, operation="up",
                                        fingerprint=None, stale_after=timedelta(minutes=2))

    threading.Timer(0.6, meanwhile).start()
    started = time.monotonic()
    report = run(ws, test_engine, 2, cancel=cancel, concurrency=2)

    assert time.monotonic() - started >= 1.2  # it waited for the engine
    assert cancel.hard
    assert not seen["claim"].granted  # still held by the first run
    assert report.status == "cancelled"
    assert report.count("succeeded") == 2 and report.count("not-started") == 10
    assert sorted(d.status for d in deployments(ws)) == ["succeeded", "succeeded"]  # the real result


def test_the_heartbeat_runs_during_a_slow_prepare(ws: Any, test_engine: ScriptedEngine) -> None:
    test_engine.prepare_delay = 0.8
    during: list[str] = []

    def another_run_settles() -> None:  # while the first run prepares, with no claim yet
        time.sleep(0.6)
        ws.ledger.settle_stale(timedelta(seconds=0.3))
        during.extend(r.status for r in ws.ledger.runs(limit=1))

    thread = threading.Thread(target=another_run_settles)
    thread.start()
    report = run(ws, test_engine, 2, stale_after=timedelta(seconds=0.3))
    thread.join()
    assert during == ["running"]  # not settled as abandoned: its heartbeat was fresh
    assert report.status == "succeeded" and report.count("succeeded") == 12
    assert {r.id: r.status for r in ws.ledger.runs()}[report.run_id] == "succeeded"
    assert {d.status for d in deployments(ws)} == {"succeeded"}


def test_a_claim_taken_over_mid_deployment_is_reported_not_shown_as_recorded(
    ws: Any, test_engine: ScriptedEngine
) -> None:
    target = WAVE_2[0]
    test_engine.steps[target] = Step(delay=0.8)
    taken: dict[str, Any] = {}

    def take_over() -> None:  # the run's heartbeat looks stale (a clock step, a long pause): a run takes over
        first = next(r.id for r in ws.ledger.runs() if r.status == "running")
        silence(ws.ledger.url, first)
        other = ws.ledger.start_run(release=RELEASE, command="up", engine="test")
        stack = next(s for s in build_inventory(ws.project) if s.name == target)
        taken["claim"] = ws.ledger.claim(run_id=other, stack=stack, release=RELEASE, operation="up",
                                         fingerprint=None, stale_after=timedelta(minutes=2))

    threading.Timer(0.3, take_over).start()
    report = run(ws, test_engine, 2, concurrency=1, heartbeat_seconds=30.0)
    assert taken["claim"].granted and taken["claim"].took_over is not None
    outcome = next(o for o in report.outcomes if o.stack == target)
    assert outcome.status == "succeeded" and outcome.record == "taken-over"
    assert outcome.record_note is not None and "another run took over" in outcome.record_note
    assert report.status == "failed"
    assert "another run took over this stack's claim" in Path(outcome.log_path).read_text()
