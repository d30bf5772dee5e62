"""Running the eligible stacks of a rollout plan through an engine, recorded in the ledger.

Within a run, stacks deploy in parallel up to a concurrency limit. Each stack is claimed in the
ledger before it starts, so two runs never deploy the same stack at once, and a stack another run
finished meanwhile is skipped. A failure past the failure budget stops new stacks from starting;
running ones finish. Cancellation (the CancelToken) stops new starts and asks the engine to stop; a
hard cancel (a second Ctrl-C) asks the engine to stop at once.

Faults never cost a result or release a stack early:
- A claim is held for as long as its engine call runs: the runner returns only once every engine
  call it started has returned (a hard cancel included), and records each real result. The run's
  heartbeat runs from its start (a slow `prepare` is a live run) to its end.
- A result the engine reported is recorded in the ledger (which waits out an outage), else kept
  in the local journal (rollout.recording); a result the ledger refuses because another run took
  the claim over is reported as such, never as recorded.
- Nothing on the calling thread ends the run early: the display is guarded (listener), an
  interrupt without a signal handler is a cancellation, and any other unexpected error, or a
  ledger that cannot take a claim, stops new starts (`stopped` on the report) while the running
  stacks finish and are recorded. The run's end is always recorded (or journaled).

Worker threads never touch the listener: they post events on an `EventRelay` that the calling thread drains.
"""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, cast

from tenantwave.engine.base import CancelToken, Engine, Progress, Result, StackJob
from tenantwave.engine.registry import opened_engine
from tenantwave.errors import LedgerError, PlatformError, UsageError
from tenantwave.planning.deferral import Hold, Timing, could_hold, hold
from tenantwave.planning.inventory import Stack, build_inventory
from tenantwave.planning.revision import Revisions
from tenantwave.planning.stackconfig import fingerprint, stack_config
from tenantwave.planning.workspace import Workspace
from tenantwave.privacy import files
from tenantwave.privacy.redaction import redact_optional
from tenantwave.rollout.blastradius import TenantLimits, beside_other_runs
from tenantwave.rollout.heartbeat import start_heartbeat
from tenantwave.rollout.held import held_reason
from tenantwave.rollout.listener import GuardedListener
from tenantwave.rollout.listener import QuietListener as QuietListener  # re-exported: its old home
from tenantwave.rollout.listener import RunListener as RunListener  # re-exported: its old home
from tenantwave.rollout.prepare import RolloutPlan
from tenantwave.rollout.recording import Recorder
from tenantwave.rollout.relay import EventRelay
from tenantwave.rollout.report import Outcome, OutcomeStatus, RecordState, RunReport
from tenantwave.rollout.stackhealth import SKIPPED_HOOKS, after_deploy, before_deploy
from tenantwave.rollout.workqueue import WorkQueue

Operation = Literal["up", "destroy", "rollback"]
WAIT_FOR_OTHER_RUNS = 0.25  # seconds before a stack that waits for other runs' stacks asks again


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
    tenant_limits: TenantLimits | None = None  # `up`: the blast radius caps in tenants (rollout/blastradius.py)


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
        self.listener = GuardedListener(listener or QuietListener(), lambda exc: self._stop(exc, "the display failed"))
        self.cancel = cancel or CancelToken()
        self._relay = EventRelay(self.listener)
        self._run_id: str | None = None
        self._current: dict[str, str | None] = {}
        self._work: WorkQueue | None = None
        self._recorder: Recorder | None = None
        self._log_path: Path | None = None  # the run's log directory, once made
        self._stopped: str | None = None  # why no more stacks start (ledger unusable, internal error)
        self._settled: list[str] = []  # stacks whose stale claims (a run gone silent) this run settled
        self._revisions = Revisions(workspace.project, plan.release)  # what each deployment records
        self._known: dict[str, Stack] | None = None  # the inventory by name, for max_tenants_in_flight across runs
        self._waiting: dict[str, str] = {}  # stack -> why it last waited for other runs' stacks
        # windows and freezes are looked at again right before each stack starts (None: nothing can hold)
        timing = plan.timing
        self._timing = timing if timing is not None and could_hold(workspace.project, timing) else None

    @property
    def ledger(self) -> Any:
        return self.workspace.ledger

    @property
    def _detail(self) -> str | None:
        """What the run records about itself from its start to its end: hooks skipped, and each
        override of windows or freezes with who and why (`--ignore-windows --reason TEXT`)."""
        parts = [SKIPPED_HOOKS] if self.options.skip_hooks else []
        if self.plan.timing is not None:
            parts += [override.describe() for override in self.plan.timing.overrides]
        return "; ".join(parts) or None

    @property
    def _overrider(self) -> str | None:
        """Who overrode windows or freezes (the identity `approve` uses), the run's user; None: the default."""
        overrides = self.plan.timing.overrides if self.plan.timing is not None else ()
        return overrides[0].by if overrides else None

    def run(self, command: str = "up") -> RunReport:
        runnable_plans = self.plan.runnable
        runnable = [p.stack for p in runnable_plans]
        if not runnable:
            return self._report((), None)
        # nothing has run: a ledger error stops it here
        self._settled.extend(self.ledger.settle_stale(self.options.stale_after))
        self._run_id = self.ledger.start_run(
            release=self.plan.release,
            command=command,
            engine=self.engine.name,
            commit=self.options.commit,
            wave=self.plan.wave,
            simulated=self.engine.simulated,
            user=self._overrider,
            detail=self._detail,
        )
        self._recorder = Recorder(self.ledger, self.workspace.state_dir, self._run_id)
        # from the start: prepare may take a while
        stop_heartbeat = start_heartbeat(self.ledger, self._run_id, self.options.heartbeat_seconds)
        try:
            log_dir = self._log_dir(self._run_id)  # records the run's failure itself
            return self._run_in(log_dir, runnable_plans)
        finally:
            stop_heartbeat()  # every engine call has returned: no claim of this run is left running

    def _run_in(self, log_dir: Path, runnable_plans: Sequence[Any]) -> RunReport:
        """Prepare, deploy and record; the run's end is recorded however this ends."""
        assert self._run_id is not None and self._recorder is not None
        runnable = [p.stack for p in runnable_plans]
        self._log_path = log_dir
        try:
            self._current = {p.stack.name: p.current for p in runnable_plans}
            jobs = {p.stack.name: self._job(p.stack, p.current, log_dir) for p in runnable_plans}
            self.engine.prepare(list(jobs.values()))
            self._work = WorkQueue(runnable, self.options.failure_budget, self.cancel, self.options.tenant_limits)
            self.listener.run_started(self._run_id, runnable, log_dir)
            outcomes = self._recorder.flush(self._execute(runnable, jobs))
        except BaseException as exc:
            self._recorder.run_end("failed", _joined(self._detail, _why(exc)))
            raise
        report = self._report(tuple(outcomes), log_dir)
        self._recorder.run_end(report.status, _joined(self._detail, self._stopped))
        journal = self._recorder.journal_path
        return replace(report, journal=str(journal)) if journal is not None else report

    # -- execution ---------------------------------------------------------------------------

    def _execute(self, stacks: list[Stack], jobs: dict[str, StackJob]) -> list[Outcome]:
        """Workers pull the next stack themselves (no round trip through this thread between two
        stacks); this thread relays events to the listener. It returns only when every worker is
        done: nothing here abandons a stack whose engine call may still run."""
        work = self._work
        assert work is not None
        workers = min(self.options.concurrency, len(stacks))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stack") as pool:
            futures = [pool.submit(self._worker, work, jobs) for _ in range(workers)]
            while pending := [f for f in futures if not f.done()]:
                try:
                    # only the workers still running: a finished one would end every wait at once,
                    # and this thread would spin, starving the workers of the GIL for the whole tail
                    wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                    self._relay.drain()
                except KeyboardInterrupt:  # no signal handler (embedded): an interrupt is a cancellation
                    self.cancel.cancel()
                except Exception as exc:
                    self._stop(exc)
            for future in futures:
                if (error := future.exception()) is not None:
                    self._stop(error)
        self._relay.drain()
        work.settle_unstarted()
        return [work.outcomes[s.name] for s in stacks if s.name in work.outcomes]

    def _worker(self, work: WorkQueue, jobs: dict[str, StackJob]) -> None:
        while (stack := work.next()) is not None:
            try:
                if (held := self._held_now(stack)).reasons:
                    work.defer(stack, "; ".join(held.reasons), held.until)
                    continue
                outcome = self._deploy(stack, jobs[stack.name])
                if outcome is None:  # it waits for other runs' stacks (max_tenants_in_flight): requeued
                    continue
            except LedgerError as exc:  # its claim could not be written (retries spent): it did not run
                self._halt(f"the ledger became unusable: {exc.message}", "the ledger became unusable")
                error = f"not started: the ledger cannot be used: {exc.message}"
                outcome = Outcome(stack.name, "not-started", error=error)
            except Exception as exc:  # a bug before its claim was granted (after, _deploy records it)
                self._stop(exc)
                outcome = Outcome(stack.name, "not-started", error=f"not started: internal error: {_one_line(exc)}")
            work.finish(outcome)
            self._relay.finished(outcome)

    def _held_now(self, stack: Stack) -> Hold:
        """Why a window or a freeze holds `stack` at the ledger's clock now (None: it may start).
        The plan judged them when it was made; a stack may start much later (behind a long stack,
        or waiting for max_tenants_in_flight). The run's overrides still waive what they waive."""
        if self._timing is None:
            return Hold()
        return hold(self.workspace.project, stack, Timing(self.ledger.now(), self._timing.overrides))

    def _deploy(self, stack: Stack, job: StackJob) -> Outcome | None:
        """Claim and deploy `stack`; None: it waits for other runs' stacks and is back in the queue."""
        started = time.monotonic()
        destroying = self.options.operation == "destroy"
        revision = None if destroying else self._revisions.of(stack)
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
            revision=revision.id if revision else None,
            config=revision.config_json() if revision else None,
            **self._across_runs(stack),
        )
        if claim.waiting is not None:
            self._wait_for_others(stack, claim.waiting)
            return None
        if claim.already_current:
            return Outcome(stack.name, "skipped", error=f"already on {self.plan.release} (deployed by another run)")
        if not claim.granted:
            return Outcome(stack.name, "held", error=self._held(stack.name, claim.held_by))
        if claim.took_over:
            self._settled.append(stack.name)
        self._relay.started(stack)
        result = self._engine_call(job)
        status: str = result.status
        error = result.error
        if self.options.operation != "destroy":
            status, error = self._judge(stack, job, result)
        error = redact_optional(error)
        record = self._record(stack, claim.deployment_id, result, job, status, error)
        return Outcome(
            stack.name,
            cast(OutcomeStatus, status),
            error=error,
            log_path=str(job.log_path),
            seconds=time.monotonic() - started,
            resources=result.resources,
            changes=dict(result.changes),
            removed=tuple(result.resource_changes),
            record=record,
        )

    def _across_runs(self, stack: Stack) -> dict[str, Any]:
        """The claim's check of max_tenants_in_flight across runs, when the stack's phase has one."""
        limits = self.options.tenant_limits
        cap = limits.in_flight.get(stack.phase) if limits is not None else None
        if cap is None or self._work is None:
            return {}
        if self._known is None:
            self._known = {s.name: s for s in build_inventory(self.workspace.project)}
        return {"admit": beside_other_runs(stack, cap, self._known, lambda: self._work.in_flight if self._work else [])}

    def _wait_for_others(self, stack: Stack, why: str) -> None:
        """Back in the queue for a while; the progress says why (once each time the reason changes)."""
        assert self._work is not None
        if self._waiting.get(stack.name) != why:
            self._waiting[stack.name] = why
            self._relay.progress(Progress(stack.name, 0, None, message=why))
        self._work.requeue(stack, WAIT_FOR_OTHER_RUNS)

    def _engine_call(self, job: StackJob) -> Result:
        """The hook and the engine call; a bug in either fails the stack, never the run."""
        try:
            return self._call_engine(job)
        except Exception as exc:
            _append(job.log_path, "".join(traceback.format_exception(exc)))
            return Result("failed", error=f"internal error: {_one_line(exc)}")

    def _judge(self, stack: Stack, job: StackJob, result: Result) -> tuple[str, str | None]:
        """The health checks' verdict on a deployment; checks that crash make it unhealthy, and
        the engine's result is recorded all the same."""
        try:
            return after_deploy(self.workspace.project, self.engine, stack, job, result, self.cancel)
        except Exception as exc:
            _append(job.log_path, "".join(traceback.format_exception(exc)))
            return ("unhealthy" if result.ok else result.status), f"the health checks could not run: {_one_line(exc)}"

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
            return method(job, self._relay.progress, self.cancel)
        except Exception as exc:  # an engine bug must fail one stack, not the run
            _append(job.log_path, "".join(traceback.format_exception(exc)))
            return Result("failed", error=f"engine error: {type(exc).__name__}: {exc}")

    def _record(
        self, stack: Stack, deployment_id: int | None, result: Result, job: StackJob, status: str, error: str | None
    ) -> RecordState:
        """Record the result and release the claim (recording); where the result went."""
        assert self._recorder is not None and deployment_id is not None
        return self._recorder.deployment(
            stack=stack.name, deployment_id=deployment_id, status=status, error=error, resources=result.resources,
            log_path=job.log_path,
        )

    def _stop(self, exc: BaseException, what: str = "internal error") -> None:
        """An unexpected error on this run's side: no stack starts after it; the running ones finish
        and are recorded, and the run ends as failed with this as the reason."""
        where = self._save_traceback(exc)
        self._halt(f"{what} ({_one_line(exc)}): no stack started after it; the traceback is in {where}",
                   f"the run stopped after an {what}")

    def _halt(self, why: str, short: str) -> None:
        if self._stopped is None:
            self._stopped = why
        if self._work is not None:
            self._work.halt(short)

    def _save_traceback(self, exc: BaseException) -> str:
        if self._log_path is None:
            return "(not saved: the run has no log directory yet)"
        path = self._log_path / "internal-error.log"
        _append(path, "".join(traceback.format_exception(exc)))
        return str(path)

    # -- plumbing ----------------------------------------------------------------------------

    def _job(self, stack: Stack, current: str | None, log_dir: Path) -> StackJob:
        project = self.workspace.project
        if self.options.operation == "destroy":
            # destroy records the release the stack ran; Pulumi keeps the config it was deployed with
            release = current or self.plan.release
            known = stack.tenant in project.tenants if stack.kind == "silo" else stack.tier in project.tiers
            # a stack of an environment retired from platform.yaml has no target any more: its recorded config
            known = known and stack.environment in project.platform.targets
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
            self.ledger.finish_run(run_id, "failed", detail=_joined(self._detail, f"cannot create {log_dir}: {exc}"))
            raise UsageError(f"cannot create the log directory {log_dir}: {exc.strerror or exc}") from None
        return log_dir

    def _held(self, stack: str, run_id: str | None) -> str:
        """Why `stack` is held: by which run, its last heartbeat, when it becomes stale."""
        try:
            holder = next((h for h in self.ledger.held(stack=stack) if h.run_id == run_id), None)
            now = self.ledger.now()
        except LedgerError:  # only words are missing: the stack is held all the same
            holder, now = None, None
        return held_reason(stack, run_id, holder, now, self.options.stale_after)

    def _report(self, outcomes: tuple[Outcome, ...], log_dir: Path | None) -> RunReport:
        deferred = self._work.deferred if self._work is not None else {}
        return RunReport(
            run_id=self._run_id,
            release=self.plan.release,
            outcomes=outcomes,
            plan=_deferring(self.plan, deferred),
            simulated=self.engine.simulated,
            log_dir=str(log_dir) if log_dir else None,
            cancelled=self.cancel.is_set(),
            stopped=self._stopped,
            settled=tuple(dict.fromkeys(self._settled)),
            capped=self._work.capped if self._work is not None else None,
        )


def _deferring(plan: RolloutPlan, deferred: dict[str, tuple[str, datetime | None]]) -> RolloutPlan:
    """The plan with the stacks held at their start (stack -> reason, until) deferred: the run's
    report and status count them like the stacks the plan deferred."""
    if not deferred:
        return plan
    stacks = tuple(
        replace(p, state="deferred", reason=deferred[p.stack.name][0], until=deferred[p.stack.name][1])
        if p.stack.name in deferred
        else p
        for p in plan.stacks
    )
    return replace(plan, stacks=stacks)


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _joined(started: str | None, ended: str | None) -> str | None:
    """The run's detail at its end: what it started with, then why it ended so (if it says)."""
    return "; ".join(part for part in (started, ended) if part) or None


def _why(exc: BaseException) -> str:
    """What a run that ended on `exc` records as its detail."""
    if isinstance(exc, PlatformError):
        return exc.message
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return f"internal error: {_one_line(exc)}"


def _append(path: Path, text: str) -> None:
    with contextlib.suppress(OSError):  # redacted, private; a log that cannot be written fails nothing
        files.append_text(path, text)


