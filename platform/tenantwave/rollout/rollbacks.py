"""Carrying out a rollback plan, and the automatic rollback after `up`.

A rollback plan (`rollback.plan_rollback`) makes one run per target release. Each run is a normal
deployment recorded as `rollback`: every runnable stack is tried (one stack failing to go back
never stops the others) and redeployed even when the ledger already sees it on the target (an
unhealthy update). The status of the whole rollback:

- `failed`    a run failed (or was cancelled);
- `succeeded` some stack went back, or nothing needed to;
- `blocked`   nothing went back and some stack was skipped or blocked by the lifecycle.

After `up`, the stacks of that run that failed or are unhealthy are rolled back automatically when
their phase (or tier wave) sets `auto_rollback`; never after a cancelled run, never another run's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tenantwave.planning.selection import Targets
from tenantwave.planning.workspace import Workspace
from tenantwave.rollout.prepare import RolloutPlan
from tenantwave.rollout.report import FAILED_OUTCOMES, RunReport, RunStatus
from tenantwave.rollout.rollback import RollbackPlan, plan_rollback
from tenantwave.rollout.runner import RunOptions

# runs one rollout plan (with the front end's progress and cancellation) and returns its report
RunPlan = Callable[[RolloutPlan, RunOptions], RunReport]


@dataclass(frozen=True)
class Rollbacks:
    plan: RollbackPlan
    reports: tuple[RunReport, ...]

    @property
    def status(self) -> RunStatus:
        if any(r.status in ("failed", "cancelled") for r in self.reports):
            return "failed"
        if any(r.count("succeeded") for r in self.reports):
            return "succeeded"
        blocked = self.plan.skipped or any(run.with_state("blocked") for run in self.plan.runs)
        return "blocked" if blocked else "succeeded"

    def to_json(self) -> dict[str, Any]:
        return {
            "stacks": [
                {"name": c.stack.name, "running": c.running, "target": c.target, "reason": c.reason}
                for c in self.plan.choices
            ],
            "runs": [r.to_json() for r in self.reports],
            "blocked": [
                {"name": p.stack.name, "reason": p.reason} for run in self.plan.runs for p in run.with_state("blocked")
            ],
        }


def execute_rollback(
    workspace: Workspace,
    plan: RollbackPlan,
    run: RunPlan,
    *,
    concurrency: int | None = None,
    skip_hooks: bool = False,
) -> Rollbacks:
    """Run each of the plan's runs that has runnable stacks, in order, through `run`."""
    reports = []
    for rollout in plan.runs:
        if not rollout.runnable:
            continue
        options = RunOptions(
            concurrency=concurrency or workspace.project.platform.rollout.concurrency,
            operation="rollback",
            failure_budget=len(rollout.runnable),  # one stack failing to go back never stops the others
            force=True,  # the ledger may already see the stack on the target (an unhealthy update)
            skip_hooks=skip_hooks,
        )
        reports.append(run(rollout, options))
    return Rollbacks(plan, tuple(reports))


def auto_rollback_stacks(workspace: Workspace, report: RunReport) -> tuple[str, ...]:
    """The stacks of a run that failed or are unhealthy, where their phase asks for auto_rollback."""
    rollout = workspace.project.platform.rollout
    stacks = {p.stack.name: p.stack for p in report.plan.stacks}
    return tuple(
        o.stack
        for o in report.outcomes
        if o.status in FAILED_OUTCOMES
        and o.stack in stacks
        and rollout.for_wave(stacks[o.stack].phase, stacks[o.stack].wave_key[1], stacks[o.stack].ring).auto_rollback
    )


def plan_auto_rollback(workspace: Workspace, report: RunReport) -> RollbackPlan | None:
    """The rollback an `up` run calls for; None when there is nothing to do (or the run was cancelled)."""
    names = auto_rollback_stacks(workspace, report)
    if report.cancelled or not names:
        return None
    return plan_rollback(workspace, targets=Targets(stacks=names))
