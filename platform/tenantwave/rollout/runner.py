"""Running the eligible stacks of a rollout plan through an engine, recorded in the ledger.

Within a run, stacks deploy in parallel up to a concurrency limit. Each stack is claimed in the
ledger before it starts, so two runs never deploy the same stack at once, and a stack another run
finished meanwhile is skipped. A failure past the failure budget stops new stacks from starting;
running ones finish. Cancellation (the CancelToken) stops new starts and asks the engine to stop;
a hard cancel returns at once, recording the stacks still running as cancelled.

Worker threads never touch the listener: they put events on a queue that the calling thread drains.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, Protocol, cast

from tenantwave.engine.base import CancelToken, Engine, Progress, Result, StackJob
from tenantwave.engine.registry import opened_engine
from tenantwave.errors import LedgerError, PlatformError, UsageError
from tenantwave.planning.inventory import Stack
from tenantwave.planning.stackconfig import fingerprint, stack_config
from tenantwave.planning.workspace import Workspace
from tenantwave.privacy import files
from tenantwave.privacy.redaction import redact_optional
from tenantwave.rollout.prepare import RolloutPlan
from tenantwave.rollout.report import FAILED_OUTCOMES, Outcome, OutcomeStatus, RunReport
from tenantwave.rollout.stackhealth import SKIPPED_HOOKS, after_deploy, before_deploy

Operation = Literal["up", "destroy", "rollback"]


@dataclass(frozen=True)
class RunOptions:
    concurrency: int
    operation: Operation = "up"
    commit: str | None = None
    failure_budget: int = 0
    force: bool = False
    stale_after: timedelta = timedelta(minutes=2)
    heartbeat_seconds: float = 15.0
    retain_data: bool = True
    skip_hooks: bool = False  # --skip-hooks: tiers' before_deploy hooks do not run (recorded on the run)


class RunListener(Protocol):
    def run_started(self, run_id: str, stacks: Sequence[Stack], log_dir: Path) -> None: ...

    def stack_started(self, stack: Stack) -> None: ...

    def progress(self, event: Progress) -> None: ...

    def stack_finished(self, outcome: Outcome) -> None: ...


class QuietListener:
    def run_started(self, run_id: str, stacks: Sequence[Stack], log_dir: Path) -> None:
        pass

    def stack_started(self, stack: Stack) -> None:
        pass

    def progress(self, event: Progress) -> None:
        pass

    def stack_finished(self, outcome: Outcome) -> None:
        pass


def run_plan(
    workspace: Workspace,
    plan: RolloutPlan,
    options: RunOptions,
    listener: RunListener | None = None,
    cancel: CancelToken | None = None,
    command: str = "up",
) -> RunReport:
    """Run a plan's runnable stacks with the engine the workspace names (opened and closed here)."""
    with opened_engine(workspace) as engine:
        return Runner(workspace, engine, plan, options, listener, cancel).run(command)


class Runner:
    """One run of one operation over the runnable stacks of a rollout plan."""

    def __init__(
        self,
        workspace: Workspace,
        engine: Engine,
        plan: RolloutPlan,
        options: RunOptions,
        listener: RunListener | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        self.workspace = workspace
        self.engine = engine
        self.plan = plan
        self.options = options
        self.listener: RunListener = listener or QuietListener()
        self.cancel = cancel or CancelToken()
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._run_id: str | None = None
        self._current: dict[str, str | None] = {}

    @property
    def ledger(self) -> Any:
        return self.workspace.ledger

    def run(self, command: str = "up") -> RunReport:
        runnable_plans = self.plan.runnable
        runnable = [p.stack for p in runnable_plans]
        if not runnable:
            return self._report((), None)
        self.ledger.settle_stale(self.options.stale_after)
        self._run_id = self.ledger.start_run(
            release=self.plan.release,
            command=command,
            engine=self.engine.name,
            commit=self.options.commit,
            wave=self.plan.wave,
            simulated=self.engine.simulated,
            detail=SKIPPED_HOOKS if self.options.skip_hooks else None,
        )
        log_dir = self._log_dir(self._run_id)
        self._current = {p.stack.name: p.current for p in runnable_plans}
        jobs = {p.stack.name: self._job(p.stack, p.current, log_dir) for p in runnable_plans}
        try:
            self.engine.prepare(list(jobs.values()))
        except PlatformError as exc:
            self.ledger.finish_run(self._run_id, "failed", detail=exc.message)
            raise
        self.listener.run_started(self._run_id, runnable, log_dir)
        stop_heartbeat = self._start_heartbeat(self._run_id)
        try:
            outcomes = self._execute(runnable, jobs)
        finally:
            stop_heartbeat()
        report = self._report(tuple(outcomes), log_dir)
        self.ledger.finish_run(self._run_id, report.status)
        return report

    # -- execution ---------------------------------------------------------------------------

    def _execute(self, stacks: list[Stack], jobs: dict[str, StackJob]) -> list[Outcome]:
        """Workers pull the next stack themselves (no round trip through this thread between two
        stacks); this thread relays events to the listener and watches for a hard cancel."""
        work = _WorkQueue(stacks, self.options.failure_budget, self.cancel)
        workers = min(self.options.concurrency, len(stacks))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stack") as pool:
            futures = [pool.submit(self._worker, work, jobs) for _ in range(workers)]
            while pending := [f for f in futures if not f.done()]:
                # only the workers still running: a finished one would end every wait at once,
                # and this thread would spin, starving the workers of the GIL for the whole tail
                wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                self._drain()
                if self.cancel.hard and work.in_flight:
                    work.finish_many(self._abandon_running(work.in_flight, jobs))
                    pool.shutdown(wait=False, cancel_futures=True)
                    break
            for future in futures:
                if future.done() and future.exception() is not None:
                    raise future.exception()  # type: ignore[misc]
        self._drain()
        work.settle_unstarted()
        return [work.outcomes[s.name] for s in stacks if s.name in work.outcomes]

    def _worker(self, work: _WorkQueue, jobs: dict[str, StackJob]) -> None:
        while (stack := work.next()) is not None:
            outcome = self._deploy(stack, jobs[stack.name])
            if work.finish(outcome):
                self._events.put(("finished", outcome))

    def _deploy(self, stack: Stack, job: StackJob) -> Outcome:
        started = time.monotonic()
        destroying = self.options.operation == "destroy"
        claim = self.ledger.claim(
            run_id=self._run_id,
            stack=stack,
            release=job.release,
            operation=self.options.operation,
            fingerprint=None if destroying else fingerprint(self.workspace.project, stack),
            stale_after=self.options.stale_after,
            commit=self.options.commit,
            simulated=self.engine.simulated,
            log_path=str(job.log_path),
            unless_current=None if self.options.force or destroying else self.plan.release,
        )
        if claim.already_current:
            return Outcome(stack.name, "skipped", error=f"already on {self.plan.release} (deployed by another run)")
        if not claim.granted:
            return Outcome(stack.name, "held", error=f"in progress by run {claim.held_by}")
        self._events.put(("started", stack))
        result = self._call_engine(job)
        status: str = result.status
        error = result.error
        if self.options.operation != "destroy":
            status, error = after_deploy(self.workspace.project, self.engine, stack, job, result, self.cancel)
        error = redact_optional(error)
        self._record(stack, claim.deployment_id, result, job, status, error)
        return Outcome(
            stack.name,
            cast(OutcomeStatus, status),
            error=error,
            log_path=str(job.log_path),
            seconds=time.monotonic() - started,
            resources=result.resources,
            changes=dict(result.changes),
        )

    def _call_engine(self, job: StackJob) -> Result:
        with contextlib.suppress(OSError):  # whatever the engine, it appends to a private (0600) log
            files.touch(job.log_path)
        if self.options.operation != "destroy":
            project, current = self.workspace.project, self._current.get(job.name)
            refused = before_deploy(project, self.engine, job.stack, job, current, skip=self.options.skip_hooks)
            if refused is not None:
                return refused
        operation = {"up": "up", "rollback": "up", "destroy": "destroy"}[self.options.operation]
        method: Callable[..., Result] = getattr(self.engine, operation)
        try:
            return method(job, self._progress, self.cancel)
        except Exception as exc:  # an engine bug must fail one stack, not the run
            _append(job.log_path, "".join(traceback.format_exception(exc)))
            return Result("failed", error=f"engine error: {type(exc).__name__}: {exc}")

    def _record(
        self, stack: Stack, deployment_id: int | None, result: Result, job: StackJob, status: str, error: str | None
    ) -> None:
        assert self._run_id is not None and deployment_id is not None
        try:
            self.ledger.finish_deployment(
                run_id=self._run_id,
                deployment_id=deployment_id,
                stack=stack.name,
                status=status,
                error=error,
                resources=result.resources,
            )
        except LedgerError as exc:
            _append(job.log_path, f"the ledger could not record this result: {exc.message}\n")

    def _abandon_running(self, running: list[Stack], jobs: dict[str, StackJob]) -> list[Outcome]:
        outcomes = []
        for stack in running:
            for record in self.ledger.deployments(run_id=self._run_id, stack=stack.name):
                if record.status == "running":
                    self.ledger.finish_deployment(
                        run_id=self._run_id,
                        deployment_id=record.id,
                        stack=stack.name,
                        status="cancelled",
                        error="stopped at once by a second interrupt; the engine may have left the stack locked",
                    )
            outcome = Outcome(stack.name, "cancelled", error="stopped at once", log_path=str(jobs[stack.name].log_path))
            outcomes.append(outcome)
            self.listener.stack_finished(outcome)
        return outcomes

    def _progress(self, event: Progress) -> None:
        self._events.put(("progress", event))

    def _drain(self) -> None:
        while True:
            try:
                kind, payload = self._events.get_nowait()
            except queue.Empty:
                return
            if kind == "started":
                self.listener.stack_started(payload)
            elif kind == "finished":
                self.listener.stack_finished(payload)
            else:
                self.listener.progress(payload)

    # -- plumbing ----------------------------------------------------------------------------

    def _job(self, stack: Stack, current: str | None, log_dir: Path) -> StackJob:
        project = self.workspace.project
        if self.options.operation == "destroy":
            # destroy records the release the stack ran; Pulumi keeps the config it was deployed with
            release = current or self.plan.release
            known = stack.tenant in project.tenants if stack.kind == "silo" else stack.tier in project.tiers
            config = stack_config(project, stack, release) if known else {}
        else:
            release = self.plan.release
            config = stack_config(project, stack, release)
        return StackJob(
            stack=stack,
            release=release,
            config=config,
            log_path=log_dir / f"{stack.name}.log",
            retain_data=self.options.retain_data,
        )

    def _log_dir(self, run_id: str) -> Path:
        log_dir = self.workspace.state_dir / "logs" / run_id
        try:
            files.private_dirs(log_dir, within=self.workspace.state_dir)  # .platform/ and below: 0700
        except OSError as exc:
            self.ledger.finish_run(run_id, "failed", detail=f"cannot create {log_dir}: {exc}")
            raise UsageError(f"cannot create the log directory {log_dir}: {exc.strerror or exc}") from None
        return log_dir

    def _start_heartbeat(self, run_id: str) -> Callable[[], None]:
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.options.heartbeat_seconds):
                try:
                    self.ledger.heartbeat(run_id)
                except LedgerError:
                    continue  # a missed beat is not fatal; the claim is stale only after stale_after

        thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
        thread.start()

        def halt() -> None:
            stop.set()
            thread.join(timeout=5)

        return halt

    def _report(self, outcomes: tuple[Outcome, ...], log_dir: Path | None) -> RunReport:
        return RunReport(
            run_id=self._run_id,
            release=self.plan.release,
            outcomes=outcomes,
            plan=self.plan,
            simulated=self.engine.simulated,
            log_dir=str(log_dir) if log_dir else None,
            cancelled=self.cancel.is_set(),
        )


class _WorkQueue:
    """The stacks still to start, shared by the workers; decides when to stop starting new ones."""

    def __init__(self, stacks: list[Stack], failure_budget: int, cancel: CancelToken) -> None:
        self._pending = list(reversed(stacks))
        self._lock = threading.Lock()
        self._budget = failure_budget
        self._cancel = cancel
        self._failures = 0
        self._running: dict[str, Stack] = {}
        self.outcomes: dict[str, Outcome] = {}

    def next(self) -> Stack | None:
        with self._lock:
            if not self._pending or self._cancel.is_set() or self._failures > self._budget:
                return None
            stack = self._pending.pop()
            self._running[stack.name] = stack
            return stack

    def finish(self, outcome: Outcome) -> bool:
        """Record a worker's outcome; False if a hard cancel already settled that stack."""
        with self._lock:
            if self._running.pop(outcome.stack, None) is None:
                return False
            self.outcomes[outcome.stack] = outcome
            self._failures += outcome.status in FAILED_OUTCOMES
            return True

    def finish_many(self, outcomes: list[Outcome]) -> None:
        with self._lock:
            for outcome in outcomes:
                self._running.pop(outcome.stack, None)
                self.outcomes[outcome.stack] = outcome

    @property
    def in_flight(self) -> list[Stack]:
        with self._lock:
            return list(self._running.values())

    def settle_unstarted(self) -> None:
        reason = (
            "cancelled before it started"
            if self._cancel.is_set()
            else "not started: the failure budget of this run is spent"
        )
        with self._lock:
            for stack in self._pending:
                self.outcomes[stack.name] = Outcome(stack.name, "not-started", error=reason)
            self._pending.clear()


def _append(path: Path, text: str) -> None:
    with contextlib.suppress(OSError):  # redacted, private; a log that cannot be written fails nothing
        files.append_text(path, text)


