"""The rollout plan of a release: its waves with each one's gate, each stack's state, the revision it
deploys and the reason for its state.

`Plan.to_json()` is a documented, stable contract (docs/commands.md, "plan --json"): fields are only added.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tenantwave.config.models import Project
from tenantwave.errors import UsageError
from tenantwave.ledger import frozen
from tenantwave.ledger.driftreads import DriftMark
from tenantwave.ledger.history import ReleaseHistory
from tenantwave.planning.deferral import Timing, could_hold, hold
from tenantwave.planning.gate import GateVerdict, evaluate_gate
from tenantwave.planning.inventory import Stack, build_inventory
from tenantwave.planning.lifecycle import Lifecycle, State
from tenantwave.planning.records import RecordTexts
from tenantwave.planning.removal import removals
from tenantwave.planning.stackrecords import stack_records, stack_texts
from tenantwave.planning.waves import Wave, build_waves

PLAN_FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class StackPlan:
    stack: Stack
    state: State
    reason: str
    current: str | None  # the release the stack runs now, if any
    running: str | None = None  # the run that holds the stack right now, if any
    revision: str | None = None  # the revision it deploys (release+digest)
    current_revision: str | None = None  # the revision it runs now, when recorded
    removes: tuple[str, ...] = ()  # tenants it serves now that deploying it would take out
    drift: DriftMark | None = None  # drift found since its deployment (`platform drift`), if any
    redeploy: bool = False  # deployed again only because of that drift (lifecycle.Verdict.redeploy)
    until: datetime | None = None  # deferred: when no window or freeze holds it any more (naive UTC), if known

    @property
    def complete(self) -> bool:
        """The release completed on this stack: done, or to deploy again only because drift was found
        (drift does not reopen its wave for the gates of later waves)."""
        return self.state == "done" or self.redeploy

    def to_json(self) -> dict[str, Any]:
        """Its record in `plan --json` (the keys and their order: planning/stackrecords.py)."""
        return stack_records((self,))[0]


_Unfrozen = frozen.unfrozen(StackPlan)  # its slots, not frozen: filled, then made a StackPlan (ledger.frozen)


def stack_plan(
    stack: Stack,
    state: State,
    reason: str,
    current: str | None,
    running: str | None,
    revision: str | None,
    current_revision: str | None,
    removes: tuple[str, ...],
    drift: DriftMark | None,
    redeploy: bool,
    until: datetime | None,
) -> StackPlan:
    """StackPlan(...) with every field in order, the same instance at a quarter of the cost of the
    frozen dataclass's __init__ (which sets each field through object.__setattr__): the fields are
    stored in a plain object with the same slots, which then becomes a StackPlan. A plan builds one
    per stack, 25,000 at 10k tenants (tests/core/test_plan_memo.py holds it equal to the constructor's)."""
    plan = _Unfrozen()
    plan.stack = stack
    plan.state = state
    plan.reason = reason
    plan.current = current
    plan.running = running
    plan.revision = revision
    plan.current_revision = current_revision
    plan.removes = removes
    plan.drift = drift
    plan.redeploy = redeploy
    plan.until = until
    plan.__class__ = StackPlan
    built: StackPlan = plan
    return built


@dataclass(frozen=True, slots=True)
class WavePlan:
    wave: Wave
    stacks: tuple[StackPlan, ...]
    gate: GateVerdict | None = None

    def count(self, state: State) -> int:
        return sum(1 for plan in self.stacks if plan.state == state)

    def to_json(self) -> dict[str, Any]:
        """Its object in `plan --json`: plain dicts and lists, its stacks' records included."""
        return self._document(stack_records(self.stacks))

    def printable_json(self) -> dict[str, Any]:
        """`to_json()` with its stacks as their texts only (planning/records.py), for printing at once."""
        return self._document(stack_texts(self.stacks))

    def _document(self, stacks: list[dict[str, Any]] | RecordTexts) -> dict[str, Any]:
        return {
            "number": self.wave.number,
            "phase": self.wave.phase,
            "tier_wave": self.wave.tier_wave,
            "ring": self.wave.ring,
            "environments": list(self.wave.environments),
            "counts": {state: self.count(state) for state in ("eligible", "deferred", "blocked", "done")},
            "gate": self.gate.to_json() if self.gate is not None else None,
            "stacks": stacks,
        }


@dataclass(frozen=True, slots=True)
class Plan:
    release: str
    waves: tuple[WavePlan, ...]
    total_waves: int

    def to_json(self) -> dict[str, Any]:
        """The `plan --json` document (docs/commands.md): plain dicts and lists, to read or change."""
        return {
            "format": PLAN_FORMAT_VERSION,
            "release": self.release,
            "total_waves": self.total_waves,
            "waves": [wave.to_json() for wave in self.waves],
        }

    def printable_json(self) -> dict[str, Any]:
        """The same document with each wave's stacks as their JSON texts only (planning/records.py:
        nothing in them to change), for cli.jsonout to print at once; json.dumps refuses it."""
        return {
            "format": PLAN_FORMAT_VERSION,
            "release": self.release,
            "total_waves": self.total_waves,
            "waves": [wave.printable_json() for wave in self.waves],
        }


_cached: tuple[Project, ReleaseHistory, Lifecycle] | None = None


def lifecycle_of(project: Project, history: ReleaseHistory, stacks: Sequence[Stack] | None = None) -> Lifecycle:
    """The Lifecycle of this project and history: the last one made while both are the same objects
    (both are immutable once read), so that the stacks of several waves are judged on one set of facts."""
    global _cached
    cached = _cached
    if cached is not None and cached[0] is project and cached[1] is history:
        return cached[2]
    lifecycle = Lifecycle(project, history, stacks)
    _cached = (project, history, lifecycle)
    return lifecycle


def evaluate(
    project: Project,
    history: ReleaseHistory,
    stacks: tuple[Stack, ...],
    *,
    allow_removal: bool = False,
    offboarding: Collection[str] = (),
    timing: Timing | None = None,
) -> tuple[StackPlan, ...]:
    """Each stack's state. A stack whose deployment would take out a tenant it serves now is
    blocked, unless that tenant is being offboarded or moved (`offboarding`) or `allow_removal`.
    With `timing`, an eligible stack outside its maintenance window or inside a freeze is deferred."""
    lifecycle = lifecycle_of(project, history)
    current_of, running_of, drift_of = history.current.get, history.running.get, history.drift.get
    plans = []
    judge = lifecycle.judge
    for stack in stacks:
        name = stack.name
        current = current_of(name)
        verdict, revision = judge(stack, current)
        state, reasons = verdict.state, verdict.reasons
        moved = state != "done" and current is not None and current.tenants != stack.tenants  # members changed
        taken = removals(project, stack, current) if moved else ()
        if taken:
            unplanned = [r for r in taken if r.tenant not in offboarding]
            if unplanned and not allow_removal:
                state = "blocked"
                reasons = (*(() if verdict.state == "eligible" else reasons), *(r.reason for r in unplanned))
            elif state == "eligible":
                how = "--allow-removal" if unplanned else "offboarding"
                reasons = (*reasons, f"takes out {', '.join(r.tenant for r in taken)} ({how})")
        until = None
        if state == "eligible" and timing is not None:
            state, reasons, until = _timed(project, stack, timing, reasons)
        plans.append(
            stack_plan(
                stack,
                state,
                "; ".join(reasons),
                current.release if current else None,
                running_of(name),
                revision,
                current.revision if current else None,
                tuple(r.tenant for r in taken) if taken else (),
                drift_of(name),
                verdict.redeploy,
                until,
            )
        )
    return tuple(plans)


def _timed(
    project: Project, stack: Stack, timing: Timing, reasons: tuple[str, ...]
) -> tuple[State, tuple[str, ...], datetime | None]:
    """An eligible stack held by a window or a freeze is deferred (planning/deferral.py), with when
    no hold applies any more; what an override waived is added to its reasons."""
    held = hold(project, stack, timing)
    if held.reasons:
        return "deferred", held.reasons, held.until
    return "eligible", (*reasons, *(f"deploys despite: {waived}" for waived in held.waived)), None


def utc_iso(instant: datetime | None) -> str | None:
    """A naive UTC instant as `2026-11-28T01:00:00Z` (the JSON documents' times of holds)."""
    return f"{instant:%Y-%m-%dT%H:%M:%S}Z" if instant is not None else None


def build_plan(
    project: Project,
    history: ReleaseHistory,
    wave: int | None = None,
    *,
    now: datetime | None = None,
) -> Plan:
    """The plan of `history.release` with each wave's gate; only wave `wave` when given (numbers
    stay the full plan's)."""
    stacks = build_inventory(project)
    waves = build_waves(project, stacks)
    lifecycle_of(project, history, stacks)
    if wave is not None:
        check_wave(wave, len(waves))
    moment = now or datetime.now(UTC).replace(tzinfo=None)
    timing = Timing(moment)  # one instant for every wave: what holds at it is worked out once
    held = timing if could_hold(project, timing) else None  # no freeze and no window: nothing to check
    plans: list[WavePlan] = []
    previous: WavePlan | None = None
    first = wave - 1 if wave is not None else 0
    if first > 0:
        previous = WavePlan(waves[first - 1], evaluate(project, history, waves[first - 1].stacks))
    for chosen in waves[first : wave if wave is not None else len(waves)]:
        wave_plan = WavePlan(chosen, evaluate(project, history, chosen.stacks, timing=held))
        gate = evaluate_gate(project, history.release, wave_plan, previous, history.gate, moment)
        wave_plan = WavePlan(chosen, wave_plan.stacks, gate)
        plans.append(wave_plan)
        previous = wave_plan
    return Plan(release=history.release, waves=tuple(plans), total_waves=len(waves))


def wave_gate(
    project: Project, history: ReleaseHistory, waves: Sequence[Wave], number: int, now: datetime
) -> tuple[WavePlan, GateVerdict]:
    """Wave `number`'s plan and gate (`up --wave N`)."""
    wave_plan = WavePlan(waves[number - 1], evaluate(project, history, waves[number - 1].stacks))
    previous = None
    if number > 1:
        previous = WavePlan(waves[number - 2], evaluate(project, history, waves[number - 2].stacks))
    return wave_plan, evaluate_gate(project, history.release, wave_plan, previous, history.gate, now)


def check_wave(wave: int, total: int) -> None:
    if not 1 <= wave <= total:
        raise UsageError(f"--wave {wave}: this project has waves 1 to {total}")
