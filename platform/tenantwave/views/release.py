"""The release view: a release's waves in order, each with its progress, its gate (open, or every
reason it is closed), the approvals recorded for it (who, when, comment) and, while the wave before
it bakes, when it may start.

Pure: built from the plan (planning.plan, gates included), the gate's facts read from the ledger and
the ledger's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tenantwave.config.models import Project
from tenantwave.ledger.history import GateFacts
from tenantwave.planning.gate import FAILED
from tenantwave.planning.plan import Plan, WavePlan
from tenantwave.views.outside import shown


@dataclass(frozen=True, slots=True)
class ApprovalRow:
    by: str
    at: str  # ISO 8601 UTC
    comment: str  # redacted, capped
    covers: bool  # the approval that opens the gate now


@dataclass(frozen=True, slots=True)
class Bake:
    ready_at: str  # ISO 8601 UTC: when the wave may start
    seconds_left: int  # at the moment the view was built


@dataclass(frozen=True, slots=True)
class WaveRow:
    number: int
    phase: str
    tier_wave: int
    ring: str | None  # None without rollout.rings
    environments: tuple[str, ...]
    stacks: int
    done: int
    eligible: int
    blocked: int
    deferred: int  # eligible but held by a maintenance window or a freeze
    failed: int  # of the stacks not done: those whose last attempt at the release failed or is unhealthy
    gate_open: bool
    reasons: tuple[str, ...]  # every reason the gate is closed (redacted)
    needs_approval: bool
    approvals: tuple[ApprovalRow, ...]
    bake: Bake | None

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.stacks) if self.stacks else 100


@dataclass(frozen=True)
class ReleaseView:
    release: str
    waves: tuple[WaveRow, ...]
    now: str  # the ledger's time the view was built at

    @property
    def done(self) -> int:
        return sum(wave.done for wave in self.waves)

    @property
    def stacks(self) -> int:
        return sum(wave.stacks for wave in self.waves)


def release_view(project: Project, plan: Plan, facts: GateFacts | None, now: datetime) -> ReleaseView:
    facts = facts or GateFacts()
    rows: list[WaveRow] = []
    previous: WavePlan | None = None
    for wave in plan.waves:
        rows.append(_wave_row(project, wave, previous, facts, now))
        previous = wave
    return ReleaseView(release=plan.release, waves=tuple(rows), now=_iso(now))


def _wave_row(project: Project, wave: WavePlan, previous: WavePlan | None, facts: GateFacts, now: datetime) -> WaveRow:
    gate = wave.gate
    covering = gate.approval if gate is not None else None
    approvals = tuple(
        ApprovalRow(by=shown(a.approved_by, 200), at=_iso(a.approved_at), comment=shown(a.comment, 500),
                    covers=covering is not None and a == covering)
        for a in facts.approvals_of(wave.wave.number)
    )
    return WaveRow(
        number=wave.wave.number,
        phase=wave.wave.phase,
        tier_wave=wave.wave.tier_wave,
        ring=wave.wave.ring,
        environments=wave.wave.environments,
        stacks=len(wave.stacks),
        done=wave.count("done"),
        eligible=wave.count("eligible"),
        blocked=wave.count("blocked"),
        deferred=wave.count("deferred"),
        failed=sum(
            1
            for plan in wave.stacks
            if plan.state != "done"
            and (record := facts.results.get(plan.stack.name)) is not None
            and record.status in FAILED
        ),
        gate_open=gate.open if gate is not None else True,
        reasons=tuple(shown(reason) for reason in gate.reasons) if gate is not None else (),
        needs_approval=project.platform.rollout.for_phase(wave.wave.phase, wave.wave.ring).approval,
        approvals=approvals,
        bake=_bake(project, previous, facts, now),
    )


def _bake(project: Project, previous: WavePlan | None, facts: GateFacts, now: datetime) -> Bake | None:
    """While the wave before bakes: when this one may start and how long that is from `now`."""
    if previous is None:
        return None
    minutes = project.platform.rollout.for_phase(previous.wave.phase, previous.wave.ring).bake_minutes
    finished = [
        record.ended_at
        for plan in previous.stacks
        if (record := facts.results.get(plan.stack.name)) is not None
        and record.status == "succeeded"
        and record.ended_at is not None
    ]
    if minutes <= 0 or not finished:
        return None
    ready_at = max(finished) + timedelta(minutes=minutes)
    if ready_at <= now:
        return None
    return Bake(ready_at=_iso(ready_at), seconds_left=max(1, int((ready_at - now).total_seconds())))


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds") + "Z"
