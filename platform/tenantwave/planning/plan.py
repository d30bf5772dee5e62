"""The rollout plan of a release: its waves, each stack's state and the reason for it.

`Plan.to_json()` is a documented, stable contract (README, "plan --json").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from tenantwave.config.models import Project
from tenantwave.errors import UsageError
from tenantwave.ledger.history import ReleaseHistory
from tenantwave.planning.inventory import Stack, build_inventory
from tenantwave.planning.lifecycle import Lifecycle, State
from tenantwave.planning.stackconfig import fingerprint
from tenantwave.planning.waves import Wave, build_waves

PLAN_FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class StackPlan:
    stack: Stack
    state: State
    reason: str
    current: str | None  # the release the stack runs now, if any
    running: str | None = None  # the run that holds the stack right now, if any

    def to_json(self) -> dict[str, Any]:
        s = self.stack
        return {
            "name": s.name,
            "environment": s.environment,
            "phase": s.phase,
            "kind": s.kind,
            "tier": s.tier,
            "tenants": list(s.tenants),
            "state": self.state,
            "reason": self.reason,
            "current_release": self.current,
            "running_in": self.running,
        }


@dataclass(frozen=True, slots=True)
class WavePlan:
    wave: Wave
    stacks: tuple[StackPlan, ...]

    def count(self, state: State) -> int:
        return sum(1 for plan in self.stacks if plan.state == state)

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.wave.number,
            "phase": self.wave.phase,
            "tier_wave": self.wave.tier_wave,
            "environments": list(self.wave.environments),
            "counts": {state: self.count(state) for state in ("eligible", "blocked", "done")},
            "stacks": [plan.to_json() for plan in self.stacks],
        }


@dataclass(frozen=True, slots=True)
class Plan:
    release: str
    waves: tuple[WavePlan, ...]
    total_waves: int

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT_VERSION,
            "release": self.release,
            "total_waves": self.total_waves,
            "waves": [wave.to_json() for wave in self.waves],
        }


def evaluate(project: Project, history: ReleaseHistory, stacks: tuple[Stack, ...]) -> tuple[StackPlan, ...]:
    lifecycle = Lifecycle(project, history)
    plans = []
    for stack in stacks:
        verdict = lifecycle.verdict(stack, partial(fingerprint, project, stack))
        current = history.current.get(stack.name)
        plans.append(
            StackPlan(
                stack=stack,
                state=verdict.state,
                reason=verdict.reason,
                current=current.release if current else None,
                running=history.running.get(stack.name),
            )
        )
    return tuple(plans)


def build_plan(project: Project, history: ReleaseHistory, wave: int | None = None) -> Plan:
    """The plan of `history.release`; only wave `wave` when given (numbers stay the full plan's)."""
    waves = build_waves(project, build_inventory(project))
    if wave is not None:
        check_wave(wave, len(waves))
        selected = [waves[wave - 1]]
    else:
        selected = waves
    return Plan(
        release=history.release,
        waves=tuple(WavePlan(w, evaluate(project, history, w.stacks)) for w in selected),
        total_waves=len(waves),
    )


def check_wave(wave: int, total: int) -> None:
    if not 1 <= wave <= total:
        raise UsageError(f"--wave {wave}: this project has waves 1 to {total}")
