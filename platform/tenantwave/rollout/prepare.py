"""Preparing a run of `platform up`: which stacks, in what state, and the wave gate's verdict.

Pure over the project and what the ledger says; nothing here deploys anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tenantwave.ledger.history import ReleaseHistory
from tenantwave.ledger.store import utcnow
from tenantwave.planning.gate import GateVerdict, evaluate_gate
from tenantwave.planning.inventory import build_inventory
from tenantwave.planning.plan import StackPlan, WavePlan, check_wave, evaluate
from tenantwave.planning.selection import Shard, Targets, check_targets, select
from tenantwave.planning.waves import Wave, build_waves
from tenantwave.planning.workspace import Workspace


@dataclass(frozen=True)
class RolloutPlan:
    release: str
    wave: int | None
    targets: Targets
    shard: Shard | None
    stacks: tuple[StackPlan, ...]
    gate: GateVerdict | None  # None: no gate applies (targeted run or wave 1)
    total_waves: int

    def with_state(self, state: str) -> list[StackPlan]:
        return [p for p in self.stacks if p.state == state]

    @property
    def runnable(self) -> list[StackPlan]:
        if self.gate is not None and not self.gate.open:
            return []
        return self.with_state("eligible")


def prepare_rollout(
    workspace: Workspace,
    release: str,
    *,
    wave: int | None,
    targets: Targets,
    shard: Shard | None = None,
    force: bool = False,
    now: datetime | None = None,
) -> RolloutPlan:
    project, ledger = workspace.project, workspace.ledger
    stacks = build_inventory(project)
    waves = build_waves(project, stacks)
    check_targets(project, targets, stacks)
    history = ledger.release_history(release)
    if wave is not None:
        check_wave(wave, len(waves))
        chosen = list(waves[wave - 1].stacks)
    else:
        chosen = list(stacks)
    chosen = select(chosen, targets)
    if shard is not None:
        chosen = shard.take(chosen)
    plans = evaluate(project, history, tuple(chosen))
    if force:
        plans = tuple(_forced(p, release) for p in plans)
    gate = None
    if wave is not None and not targets:
        previous = waves[wave - 2] if wave > 1 else None
        gate = _gate(workspace, history, waves[wave - 1], previous, now or utcnow())
    return RolloutPlan(
        release=release,
        wave=wave,
        targets=targets,
        shard=shard,
        stacks=plans,
        gate=gate,
        total_waves=len(waves),
    )


def _gate(
    workspace: Workspace, history: ReleaseHistory, wave: Wave, previous: Wave | None, now: datetime
) -> GateVerdict:
    project, ledger, release = workspace.project, workspace.ledger, history.release
    wave_plan = WavePlan(wave, evaluate(project, history, wave.stacks))
    previous_plan = None
    results = {}
    if previous is not None:
        previous_plan = WavePlan(previous, evaluate(project, history, previous.stacks))
        results = ledger.stack_results(release, [s.name for s in previous.stacks])
    approval = ledger.approval(release, wave.number)
    verification = ledger.last_run(release=release, command="verify", wave=previous.number) if previous else None
    return evaluate_gate(project, release, wave_plan, previous_plan, results, approval, now, verification)


def _forced(plan: StackPlan, release: str) -> StackPlan:
    if plan.state != "done":
        return plan
    return StackPlan(
        stack=plan.stack,
        state="eligible",
        reason=f"already on {release}; redeploy forced with --force",
        current=plan.current,
        running=plan.running,
    )
