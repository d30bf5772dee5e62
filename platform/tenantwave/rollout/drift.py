"""`platform drift`: a refresh preview of each selected stack, paced like `up`, recorded in the ledger.

Which stacks: those of a wave or of targets (--env, --tier, --tenant, --stack; default the whole
fleet) that run something (the ledger's current deployment: a stack never deployed, or destroyed,
has nothing to compare and is reported as `not-deployed`). Each is checked with the engine's
`preview_refresh` (`pulumi refresh --preview-only`: nothing is changed), with the release and the
config of what it runs. As in `up`: each stack is claimed in the ledger first (a stack an `up` or
another check holds is `held`), workers run up to the concurrency at once, progress and Ctrl-C
work the same, the run heartbeats, and each finding is recorded with the claim's release. A stack
that cannot be checked (unreachable account, missing permission, locked) is `failed` with the
engine's one-line reason and does not stop the others; nothing here raises for one stack's
trouble. A drifted stack is deployed again by the next `up` of its wave (ledger.driftreads).

The result is a `DriftReport` (rollout.driftreport); `report.found()` is the `drift_found` event's
facts (the notifications hook), None when nothing drifted.
"""

from __future__ import annotations

import contextlib
import json
import traceback
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from tenantwave.engine.base import CancelToken, Engine, Result, StackJob
from tenantwave.engine.drift import bounded, drift_count
from tenantwave.engine.registry import opened_engine
from tenantwave.errors import LedgerError, UsageError
from tenantwave.planning.inventory import Stack, build_inventory
from tenantwave.planning.plan import check_wave
from tenantwave.planning.selection import Targets, check_targets, select
from tenantwave.planning.stackconfig import stack_config
from tenantwave.planning.waves import build_waves
from tenantwave.planning.workspace import Workspace
from tenantwave.privacy import files
from tenantwave.privacy.redaction import redact_optional
from tenantwave.rollout.driftreport import DriftReport, StackDrift
from tenantwave.rollout.heartbeat import start_heartbeat
from tenantwave.rollout.listener import GuardedListener, QuietListener, RunListener
from tenantwave.rollout.relay import EventRelay
from tenantwave.rollout.report import Outcome
from tenantwave.rollout.workqueue import WorkQueue

RUN_RELEASE = "-"  # a drift run checks stacks on whatever release each runs


@dataclass(frozen=True)
class DriftPlan:
    scope: str  # "the fleet", "wave 3", "--env production-us"
    stacks: tuple[Stack, ...]  # to check
    current: dict[str, str]  # stack -> the release it runs
    not_deployed: tuple[Stack, ...] = ()


@dataclass(frozen=True)
class DriftOptions:
    concurrency: int
    stale_after: timedelta = timedelta(minutes=2)
    heartbeat_seconds: float = 15.0


def plan_drift(workspace: Workspace, *, wave: int | None, targets: Targets) -> DriftPlan:
    """The stacks to check: of wave `wave` and `targets`, those the ledger says run a release."""
    project = workspace.project
    stacks = build_inventory(project)
    check_targets(project, targets, stacks)
    chosen = stacks
    if wave is not None:
        waves = build_waves(project, stacks)
        check_wave(wave, len(waves))
        chosen = list(waves[wave - 1].stacks)
    chosen = select(chosen, targets)
    current = {s.stack: s.current_release for s in workspace.ledger.status() if s.current_release is not None}
    scope = " ".join(p for p in (f"wave {wave}" if wave is not None else "", targets.describe()) if p) or "the fleet"
    return DriftPlan(
        scope=scope,
        stacks=tuple(s for s in chosen if s.name in current),
        current={s.name: current[s.name] for s in chosen if s.name in current},
        not_deployed=tuple(s for s in chosen if s.name not in current),
    )


def check_drift(
    workspace: Workspace,
    plan: DriftPlan,
    options: DriftOptions,
    listener: RunListener | None = None,
    cancel: CancelToken | None = None,
) -> DriftReport:
    """Check every stack of `plan` with the workspace's engine (opened and closed here)."""
    with opened_engine(workspace) as engine:
        if not callable(getattr(engine, "preview_refresh", None)):
            raise UsageError(f"engine {engine.name!r} has no preview_refresh: it cannot check drift")
        return DriftChecker(workspace, engine, plan, options, listener, cancel).run()


class DriftChecker:
    """One `platform drift` run over a plan's stacks."""

    def __init__(self, workspace: Workspace, engine: Engine, plan: DriftPlan, options: DriftOptions,
                 listener: RunListener | None = None, cancel: CancelToken | None = None) -> None:
        self.workspace, self.engine, self.plan, self.options = workspace, engine, plan, options
        self.cancel = cancel or CancelToken()
        self.listener = GuardedListener(listener or QuietListener(), self._display_failed)
        self._relay = EventRelay(self.listener)
        self._results: dict[str, StackDrift] = {}
        self._stopped: str | None = None
        self._work: WorkQueue | None = None
        self._run_id = ""

    @property
    def ledger(self) -> Any:
        return self.workspace.ledger

    def run(self) -> DriftReport:
        skipped = tuple(_not_deployed(s) for s in self.plan.not_deployed)
        if not self.plan.stacks:
            return self._report(None, None, skipped)
        self.ledger.settle_stale(self.options.stale_after)
        self._run_id = self.ledger.start_run(
            release=RUN_RELEASE, command="drift", engine=self.engine.name, simulated=self.engine.simulated,
            detail=f"drift check of {self.plan.scope}",
        )
        log_dir = self.workspace.state_dir / "logs" / self._run_id
        stop_heartbeat = start_heartbeat(self.ledger, self._run_id, self.options.heartbeat_seconds,
                                         name="drift-heartbeat")
        try:
            try:
                files.private_dirs(log_dir, within=self.workspace.state_dir)
            except OSError as exc:
                self.ledger.finish_run(self._run_id, "failed", detail=f"cannot create {log_dir}: {exc}")
                raise UsageError(f"cannot create the log directory {log_dir}: {exc.strerror or exc}") from None
            jobs = {s.name: self._job(s, log_dir) for s in self.plan.stacks}
            try:
                self.engine.prepare(list(jobs.values()))
                self._work = WorkQueue(list(self.plan.stacks), len(self.plan.stacks), self.cancel)
                self.listener.run_started(self._run_id, self.plan.stacks, log_dir)
                self._execute(jobs)
            except BaseException as exc:
                self.ledger.finish_run(self._run_id, "failed", detail=redact_optional(_one_line(exc)))
                raise
            report = self._report(self._run_id, log_dir, skipped)
            self.ledger.finish_run(self._run_id, report.run_status, detail=report.summary)
            return report
        finally:
            stop_heartbeat()

    # -- workers -------------------------------------------------------------------------------

    def _execute(self, jobs: dict[str, StackJob]) -> None:
        work = self._work
        assert work is not None
        workers = max(1, min(self.options.concurrency, len(jobs)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="drift") as pool:
            futures = [pool.submit(self._worker, work, jobs) for _ in range(workers)]
            while pending := [f for f in futures if not f.done()]:
                try:
                    wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                    self._relay.drain()
                except KeyboardInterrupt:
                    self.cancel.cancel()
        self._relay.drain()
        work.settle_unstarted()
        for name, outcome in work.outcomes.items():
            if name not in self._results:
                stack = next(s for s in self.plan.stacks if s.name == name)
                self._results[name] = StackDrift(name, stack.environment, stack.tenants, "not-started",
                                                 self.plan.current.get(name), error=outcome.error)

    def _worker(self, work: WorkQueue, jobs: dict[str, StackJob]) -> None:
        while (stack := work.next()) is not None:
            try:
                found = self._check(stack, jobs[stack.name])
            except LedgerError as exc:
                self._stopped = self._stopped or f"the ledger became unusable: {exc.message}"
                work.halt("the ledger became unusable")
                found = StackDrift(stack.name, stack.environment, stack.tenants, "not-started",
                                   self.plan.current.get(stack.name), error=f"not started: {exc.message}")
            except Exception as exc:  # a bug on this side: this stack fails, the others go on
                with contextlib.suppress(OSError):
                    files.append_text(jobs[stack.name].log_path, "".join(traceback.format_exception(exc)))
                found = StackDrift(stack.name, stack.environment, stack.tenants, "failed",
                                   self.plan.current.get(stack.name), error=f"internal error: {_one_line(exc)}",
                                   log_path=str(jobs[stack.name].log_path), recorded=False)
            self._results[stack.name] = found
            work.finish(_outcome(found))
            self._relay.finished(_outcome(found))

    def _check(self, stack: Stack, job: StackJob) -> StackDrift:
        release = self.plan.current.get(stack.name)
        claim = self.ledger.claim_check(run_id=self._run_id, stack=stack, stale_after=self.options.stale_after)
        if not claim.granted:
            return StackDrift(stack.name, stack.environment, stack.tenants, "held", release,
                              error=f"held by run {claim.held_by}: checked next time")
        self._relay.started(stack)
        assert claim.check_id is not None
        try:
            return self._checked(stack, job, claim.check_id, release)
        except LedgerError:
            raise
        except Exception as exc:  # a bug on this side once claimed: this stack fails, its claim is released now
            with contextlib.suppress(OSError):
                files.append_text(job.log_path, "".join(traceback.format_exception(exc)))
            error = f"internal error: {_one_line(exc)}"
            recorded = self._record(stack, job, claim.check_id, "failed", 0, None, error)
            return StackDrift(stack.name, stack.environment, stack.tenants, "failed", release, error=error,
                              log_path=str(job.log_path), recorded=recorded)

    def _checked(self, stack: Stack, job: StackJob, check_id: int, release: str | None) -> StackDrift:
        result = self._call(job)
        status = {"succeeded": "drifted" if drift_count(result.changes) else "clean"}.get(result.status, result.status)
        drifted = bounded(result.drifted) if status == "drifted" else ()
        error = redact_optional(result.error) if status in ("failed", "cancelled") else None
        count = drift_count(result.changes) if status == "drifted" else 0
        findings = json.dumps([d.to_json() for d in drifted]) if drifted else None
        recorded = self._record(stack, job, check_id, status, count, findings, error)
        return StackDrift(stack.name, stack.environment, stack.tenants, status, release, count, drifted, error,
                          str(job.log_path), recorded=recorded)

    def _record(self, stack: Stack, job: StackJob, check_id: int, status: str, count: int, findings: str | None,
                error: str | None) -> bool:
        """Record the finding and release the claim; False when the ledger did not take it."""
        try:
            return bool(self.ledger.finish_check(run_id=self._run_id, check_id=check_id, stack=stack.name,
                                                 status=status, resources=count, findings=findings, error=error,
                                                 log_path=str(job.log_path)))
        except LedgerError as exc:  # the finding is reported, not recorded; its claim is settled once stale
            self._stopped = self._stopped or f"the ledger became unusable: {exc.message}"
            if self._work is not None:
                self._work.halt("the ledger became unusable")
            return False

    def _call(self, job: StackJob) -> Result:
        """The engine's refresh preview; a bug in the engine fails this stack, never the run."""
        with contextlib.suppress(OSError):
            files.touch(job.log_path)
        try:
            return self.engine.preview_refresh(job, self._relay.progress, self.cancel)
        except Exception as exc:
            with contextlib.suppress(OSError):
                files.append_text(job.log_path, "".join(traceback.format_exception(exc)))
            return Result("failed", error=f"engine error: {_one_line(exc)}")

    # -- plumbing --------------------------------------------------------------------------------

    def _job(self, stack: Stack, log_dir: Path) -> StackJob:
        release = self.plan.current[stack.name]
        return StackJob(stack=stack, release=release, config=stack_config(self.workspace.project, stack, release),
                        log_path=log_dir / f"{stack.name}.log")

    def _display_failed(self, exc: Exception) -> None:
        self._stopped = self._stopped or f"the display failed ({_one_line(exc)}): no stack started after it"
        if self._work is not None:
            self._work.halt("the display failed")

    def _report(self, run_id: str | None, log_dir: Path | None, skipped: tuple[StackDrift, ...]) -> DriftReport:
        checked = tuple(self._results[s.name] for s in self.plan.stacks if s.name in self._results)
        return DriftReport(run_id, self.plan.scope, (*checked, *skipped), self.engine.simulated,
                           str(log_dir) if log_dir else None, self.cancel.is_set(), self._stopped)


def _not_deployed(stack: Stack) -> StackDrift:
    return StackDrift(stack.name, stack.environment, stack.tenants, "not-deployed", None,
                      error="not deployed: nothing to compare")


def _outcome(found: StackDrift) -> Outcome:
    """What the progress display shows for a checked stack (it speaks `up`'s outcomes)."""
    status = {"drifted": "succeeded", "clean": "succeeded"}.get(found.status, found.status)
    error = found.error if found.status not in ("drifted", "clean") else None
    deleted = sum(1 for f in found.findings if f.op == "delete")  # gone from the cloud: `-` in the counts
    changes = {"update": found.resources - deleted, "delete": deleted} if found.status == "drifted" else {}
    return Outcome(found.stack, status, error=error, log_path=found.log_path, changes=changes)  # type: ignore[arg-type]


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


__all__ = ["DriftOptions", "DriftPlan", "DriftReport", "StackDrift", "check_drift", "plan_drift"]
