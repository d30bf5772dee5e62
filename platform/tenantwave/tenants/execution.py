"""Carrying out a tenant plan (`tenants.operations`): the file change and the stack steps, in order, through
the runner and the ledger like any deployment.

Each step is one run of one stack. A deploy step goes through the lifecycle (`prepare_rollout`
with the stack as target, on the project as it is after the change): a stack that is blocked stops
the operation with the lifecycle's reason. A destroy step goes through `plan_teardown`. The first
step that does not succeed stops the operation; nothing after it runs, and the file change that
comes last (remove, move) is not made. Rerunning the same command recomputes the plan from the
ledger and resumes.

A move in progress also leaves a marker, `.platform/tenant-moves/<id>.json` ({"from", "to"}), so
that `platform tenant list` can say so. It is informational: progress is always read from the
ledger, and a marker left by a crash is cleared by the next move or removal of that tenant.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tenantwave.engine.base import CancelToken, Engine
from tenantwave.engine.registry import opened_engine
from tenantwave.planning.release import source_commit
from tenantwave.planning.selection import Targets
from tenantwave.planning.workspace import Workspace
from tenantwave.privacy import files
from tenantwave.rollout.prepare import prepare_rollout
from tenantwave.rollout.report import RunReport, RunStatus
from tenantwave.rollout.runner import RunListener, Runner, RunOptions
from tenantwave.rollout.teardown import plan_teardown
from tenantwave.tenants.files import write_atomically
from tenantwave.tenants.operations import StackStep, TenantPlan

StepStatus = Literal["succeeded", "done", "later", "blocked", "failed", "cancelled", "not-started"]
MOVES_DIR = "tenant-moves"


@dataclass(frozen=True)
class StepOutcome:
    step: StackStep
    status: StepStatus
    detail: str = ""
    report: RunReport | None = None


@dataclass(frozen=True)
class TenantResult:
    plan: TenantPlan
    outcomes: tuple[StepOutcome, ...]
    file_changed: bool
    deployed: bool  # the stack steps were asked for (--deploy)

    @property
    def stopped_at(self) -> StepOutcome | None:
        return next((o for o in self.outcomes if o.status in ("blocked", "failed", "cancelled")), None)

    @property
    def status(self) -> RunStatus:
        """succeeded (every step done), blocked (the lifecycle stopped a step) or failed."""
        stop = self.stopped_at
        if stop is None:
            return "succeeded"
        return "blocked" if stop.status == "blocked" else "failed"

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


@dataclass
class TenantExecutor:
    """Runs the steps of tenant plans with one engine, one listener and one cancel token."""

    workspace: Workspace
    engine: Engine
    listener: RunListener | None = None
    cancel: CancelToken = field(default_factory=CancelToken)
    retain_data: bool = True
    commit: str | None = None
    on_step: Callable[[StackStep], None] | None = None

    def execute(self, plan: TenantPlan) -> TenantResult:
        file_changed = False
        if plan.file is not None and plan.file.first:
            apply_file_change(plan)
            file_changed = True
        if plan.operation == "move" and plan.pending:
            write_move_marker(self.workspace.state_dir, plan)
        outcomes: list[StepOutcome] = []
        for step in plan.steps:
            if outcomes and outcomes[-1].status in ("blocked", "failed", "cancelled", "not-started"):
                outcomes.append(StepOutcome(step, "not-started", "an earlier step did not succeed"))
                continue
            outcomes.append(self._step(plan, step))
        result = TenantResult(plan, tuple(outcomes), file_changed, deployed=True)
        if result.stopped_at is None:
            if plan.file is not None and not plan.file.first:
                apply_file_change(plan)
                file_changed = True
            clear_move_marker(self.workspace.state_dir, plan.tenant)
        return TenantResult(plan, tuple(outcomes), file_changed, deployed=True)

    def _step(self, plan: TenantPlan, step: StackStep) -> StepOutcome:
        if step.done:
            return StepOutcome(step, "done", "already done")
        if step.release is None:
            return StepOutcome(step, "later", "no release in that environment yet")
        if self.cancel.is_set():
            return StepOutcome(step, "cancelled", "cancelled before it started")
        if self.on_step is not None:
            self.on_step(step)
        if step.action == "destroy":
            return self._destroy(plan, step)
        return self._deploy(plan, step)

    def _deploy(self, plan: TenantPlan, step: StackStep) -> StepOutcome:
        assert step.release is not None
        workspace = Workspace(project=plan.after, ledger=self.workspace.ledger, engine=self.workspace.engine)
        leaving = (plan.tenant,) if plan.operation in ("remove", "move") else ()  # taken out deliberately
        rollout = prepare_rollout(
            workspace, step.release, wave=None, targets=Targets(stacks=(step.stack.name,)), offboarding=leaving
        )
        verdict = rollout.stacks[0]
        if verdict.state == "done":
            return StepOutcome(step, "done", verdict.reason)
        if verdict.state == "blocked":
            return StepOutcome(step, "blocked", verdict.reason)
        options = RunOptions(concurrency=1, commit=self.commit)
        report = Runner(workspace, self.engine, rollout, options, self.listener, self.cancel).run(_command(plan))
        return _from_report(step, report)

    def _destroy(self, plan: TenantPlan, step: StackStep) -> StepOutcome:
        workspace = Workspace(project=plan.before, ledger=self.workspace.ledger, engine=self.workspace.engine)
        teardown = plan_teardown(workspace, [step.stack.name], [], force=False)
        options = RunOptions(concurrency=1, operation="destroy", retain_data=self.retain_data, commit=self.commit)
        report = Runner(workspace, self.engine, teardown, options, self.listener, self.cancel).run(_command(plan))
        return _from_report(step, report)


def execute_tenant_plan(
    workspace: Workspace,
    plan: TenantPlan,
    listener: RunListener | None = None,
    cancel: CancelToken | None = None,
    *,
    retain_data: bool = True,
) -> TenantResult:
    """Carry a tenant plan out with the engine the workspace names, at the project's source commit."""
    with opened_engine(workspace) as engine:
        executor = TenantExecutor(
            workspace, engine, listener, cancel or CancelToken(), retain_data, source_commit(workspace.root)
        )
        return executor.execute(plan)


def apply_file_change(plan: TenantPlan) -> None:
    change = plan.file
    if change is None:
        return
    if change.action == "delete":
        change.path.unlink(missing_ok=True)
    else:
        assert change.text is not None
        write_atomically(change.path, change.text)


def _from_report(step: StackStep, report: RunReport) -> StepOutcome:
    outcome = next((o for o in report.outcomes if o.stack == step.stack.name), None)
    if outcome is None or outcome.status == "not-started":
        return StepOutcome(step, "cancelled" if report.cancelled else "not-started", "did not start", report)
    if outcome.status in ("succeeded", "skipped"):
        return StepOutcome(step, "succeeded", outcome.status, report)
    if outcome.status == "held":
        return StepOutcome(step, "blocked", outcome.error or "held by another run", report)
    status: StepStatus = "cancelled" if outcome.status == "cancelled" else "failed"
    return StepOutcome(step, status, outcome.error or outcome.status, report)


def _command(plan: TenantPlan) -> str:
    return f"tenant {plan.operation} {plan.tenant}"


# -- the move marker -------------------------------------------------------------------------------


def _marker(state_dir: Path, tenant_id: str) -> Path:
    return state_dir / MOVES_DIR / f"{tenant_id}.json"


def write_move_marker(state_dir: Path, plan: TenantPlan) -> None:
    source = plan.before.tenants.get(plan.tenant)
    data = {"tenant": plan.tenant, "from": source.tier if source else None, "to": plan.tier}
    files.write_text(_marker(state_dir, plan.tenant), json.dumps(data, sort_keys=True) + "\n", within=state_dir)


def clear_move_marker(state_dir: Path, tenant_id: str) -> None:
    _marker(state_dir, tenant_id).unlink(missing_ok=True)


def read_move_marker(state_dir: Path, tenant_id: str) -> dict[str, str] | None:
    """The move in progress for the tenant ({"from", "to"}), or None."""
    path = _marker(state_dir, tenant_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("to"), str):
        return None
    return {"from": str(data.get("from")), "to": data["to"]}
