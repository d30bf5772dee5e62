"""Preparing a run of `platform up`: which stacks, in what state, and the wave gate's verdict.

Pure over the project and what the ledger says; nothing here deploys anything.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tenantwave.config.models import Project
from tenantwave.planning.deferral import Override, Timing, hold
from tenantwave.planning.gate import GateVerdict
from tenantwave.planning.inventory import build_inventory
from tenantwave.planning.plan import StackPlan, check_wave, evaluate, lifecycle_of, wave_gate
from tenantwave.planning.selection import Shard, Targets, check_targets, select
from tenantwave.planning.waves import build_waves
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
    timing: Timing | None = None  # windows and freezes applied at timing.now (None: not applied)

    def with_state(self, state: str) -> list[StackPlan]:
        return [p for p in self.stacks if p.state == state]

    @property
    def runnable(self) -> list[StackPlan]:
        if self.gate is not None and not self.gate.open:
            return []
        return self.with_state("eligible")

    def waives(self, override: Override) -> bool:
        """Whether `override` lets an eligible stack deploy that its kind of hold would defer (the
        stack's reason says `deploys despite: ... (--ignore-windows)`, planning/plan.py)."""
        marker = f"({override.flag})"
        return any(marker in p.reason for p in self.with_state("eligible"))

    def override_note(self, override: Override) -> str:
        """Whether `override` is recorded (only on a run that starts) and whether it waives anything."""
        if not self.runnable:
            return "not recorded: nothing ran"
        if self.waives(override):
            return "recorded on the run"
        held = "inside a freeze" if override.what == "freeze" else "outside its maintenance window"
        return f"recorded on the run; it waives nothing now: no selected stack is {held}"


def prepare_rollout(
    workspace: Workspace,
    release: str,
    *,
    wave: int | None,
    targets: Targets,
    shard: Shard | None = None,
    force: bool = False,
    now: datetime | None = None,
    allow_removal: bool = False,
    offboarding: Collection[str] = (),
    timing: Timing | None = None,
) -> RolloutPlan:
    """`allow_removal` (`up --allow-removal`): a stack may stop serving tenants its current
    deployment serves; `offboarding`: tenants a tenant operation takes out deliberately; `timing`
    (`up`): maintenance windows and freezes at `timing.now`, with its overrides (eligible stacks
    they hold are deferred; the gate is judged at that instant too)."""
    project, ledger = workspace.project, workspace.ledger
    stacks = build_inventory(project)
    waves = build_waves(project, stacks)
    check_targets(project, targets, stacks)
    history = ledger.release_history(release)
    lifecycle_of(project, history, stacks)
    if wave is not None:
        check_wave(wave, len(waves))
        chosen = list(waves[wave - 1].stacks)
    else:
        chosen = list(stacks)
    chosen = select(chosen, targets)
    if shard is not None:
        chosen = shard.take(chosen)
    plans = evaluate(
        project, history, tuple(chosen), allow_removal=allow_removal, offboarding=offboarding, timing=timing
    )
    if force:
        plans = tuple(_forced(p, release, project, timing) for p in plans)
    gate = None
    if wave is not None and not (targets.stacks or targets.tenants or targets.tiers):
        # a wave split by environment (--env, like --shard) is still that wave: its gate applies
        moment = now or (timing.now if timing is not None else ledger.now())  # the ledger's clock
        _, gate = wave_gate(project, history, waves, wave, moment)
    return RolloutPlan(
        release=release,
        wave=wave,
        targets=targets,
        shard=shard,
        stacks=plans,
        gate=gate,
        total_waves=len(waves),
        timing=timing,
    )


def _forced(plan: StackPlan, release: str, project: Project, timing: Timing | None) -> StackPlan:
    """A done stack redeployed by --force: eligible, unless a window or a freeze holds it (then
    deferred, like any deployment); what an override waived is added to its reason."""
    if plan.state != "done":
        return plan
    reasons = [f"already on {release}; redeploy forced with --force"]
    state: Literal["eligible", "deferred"] = "eligible"
    until = None
    if timing is not None:
        held = hold(project, plan.stack, timing)
        if held.reasons:
            state, reasons, until = "deferred", list(held.reasons), held.until
        else:
            reasons += [f"deploys despite: {waived}" for waived in held.waived]
    return StackPlan(
        stack=plan.stack,
        state=state,
        reason="; ".join(reasons),
        current=plan.current,
        running=plan.running,
        revision=plan.revision,
        current_revision=plan.current_revision,
        removes=plan.removes,
        until=until,
    )
