"""The wave gate: may wave N of a release start? (docs/design.md#the-wave-gate)

Wave N starts only when wave N-1 is complete for the release (every stack on it, failures within
the failure budget), its bake time has passed since it finished, and, where the policy of wave
N's phase asks for one, an approval covers what the wave deploys now.

Approvals bind to what they cover: the stacks of the wave and the revision each was to deploy
(`platform approve` records them). An approval counts while every stack of wave N still to deploy
is in it with the same revision; a stack whose revision changed since, or a stack that joined the
wave since (wave numbers move when the configuration adds a wave), needs a new approval, and the
reason says which.

Health checks: an `unhealthy` stack (a check failed after it deployed, or at a later `verify`)
counts as failed, and the reason names the check. When wave N-1's phase has checks and a bake
time, its checks must also have passed again after the bake: a `platform verify` of wave N-1 that
succeeded and started after the bake ended.

Pure: the facts come from `ReleaseHistory.gate` (one read of the ledger).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from tenantwave.config.models import Project
from tenantwave.ledger.history import GateFacts
from tenantwave.ledger.records import Approval, DeploymentRecord, RunRecord

if TYPE_CHECKING:
    from tenantwave.planning.plan import WavePlan

FAILED = ("failed", "unhealthy", "cancelled", "abandoned")


@dataclass(frozen=True)
class GateVerdict:
    wave: int
    open: bool
    reasons: tuple[str, ...]
    approval: Approval | None = None  # the approval that covers the wave, if one does

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    @property
    def state(self) -> Literal["open", "closed"]:
        return "open" if self.open else "closed"

    def to_json(self) -> dict[str, object]:
        document: dict[str, object] = {"state": self.state, "reasons": list(self.reasons)}
        if self.approval is not None:
            a = self.approval
            document["approval"] = {
                "by": a.approved_by,
                "at": a.approved_at.isoformat(timespec="seconds") + "Z",
                "comment": a.comment,
            }
        return document


def evaluate_gate(
    project: Project,
    release: str,
    wave: WavePlan,
    previous: WavePlan | None,
    facts: GateFacts | None,
    now: datetime,
) -> GateVerdict:
    """Wave `wave`'s gate, with `previous` the plan of the wave before it (None for wave 1)."""
    facts = facts or GateFacts()
    number = wave.wave.number
    reasons: list[str] = []
    # at a ring boundary (rollout.rings), the reasons name the rings on either side of it
    crossing = wave.wave.ring is not None and (previous is None or previous.wave.ring != wave.wave.ring)
    if previous is not None:
        recorded = facts.results
        results = {name: recorded[name] for name in [p.stack.name for p in previous.stacks] if name in recorded}
        reasons.extend(_previous_wave(project, release, previous, results, now, named=crossing))
        if not reasons:
            verification = facts.verifications.get(previous.wave.number)
            reasons.extend(_verified(project, release, previous, results, verification, named=crossing))
    approval: Approval | None = None
    if project.platform.rollout.for_phase(wave.wave.phase, wave.wave.ring).approval:
        approval, missing = _approval(release, wave, facts.approvals_of(number), named=crossing)
        reasons.extend(missing)
    return GateVerdict(wave=number, open=not reasons, reasons=tuple(reasons), approval=approval)


def approval_scope(wave: WavePlan) -> dict[str, str]:
    """What approving the wave now covers: each of its stacks and the revision it deploys."""
    return {p.stack.name: p.revision for p in wave.stacks if p.revision is not None}


def _approval(
    release: str, wave: WavePlan, approvals: Sequence[Approval], *, named: bool = False
) -> tuple[Approval | None, list[str]]:
    """The approval covering what the wave still deploys (the latest that does), or why none does."""
    number = wave.wave.number
    command = f"`platform approve --release {release} --wave {number}`"
    if not approvals:
        ring = f", ring {wave.wave.ring}" if named else ""
        return None, [f"wave {number} (phase {wave.wave.phase}{ring}) needs an approval: run {command}"]
    pending = {p.stack.name: p.revision for p in wave.stacks if p.state != "done" and p.revision is not None}
    for approval in reversed(approvals):
        scope = approval.scope
        if scope is not None and all(scope.get(name) == revision for name, revision in pending.items()):
            return approval, []
    latest = approvals[-1]
    by = f"the approval by {latest.approved_by} at {latest.approved_at:%H:%M}Z"
    if latest.scope is None:
        return None, [
            f"{by} was recorded before approvals named the stacks and revisions they cover: "
            f"approve what wave {number} deploys now with {command}"
        ]
    scope = latest.scope
    reasons: list[str] = []
    changed = {name: revision for name, revision in pending.items() if name in scope and scope[name] != revision}
    if changed:
        was = sorted({scope[name] for name in changed})
        now = sorted(set(changed.values()))
        which = "" if len(changed) == len(pending) else f" ({_names(sorted(changed))})"
        reasons.append(f"{by} was for {', '.join(was)}; wave {number} now deploys {', '.join(now)}{which}")
    joined = sorted(name for name in pending if name not in scope)
    reasons.extend(f"{name} joined wave {number} after it was approved" for name in joined[:5])
    if len(joined) > 5:
        reasons.append(f"and {len(joined) - 5} more stacks joined wave {number} after it was approved")
    reasons.append(f"approve what wave {number} deploys now with {command}")
    return None, reasons


def _previous_wave(
    project: Project,
    release: str,
    previous: WavePlan,
    results: dict[str, DeploymentRecord],
    now: datetime,
    *,
    named: bool = False,
) -> list[str]:
    number = previous.wave.number
    name = _wave_name(previous, named)
    policy = project.platform.rollout.for_phase(previous.wave.phase, previous.wave.ring)
    # a stack deployed again only because drift was found on it is complete (StackPlan.complete)
    incomplete = [p.stack.name for p in previous.stacks if not p.complete]
    failed = [name for name in incomplete if _failed(results.get(name))]
    failing = set(failed)
    missing = [name for name in incomplete if name not in failing]
    reasons: list[str] = []
    if missing:
        reasons.append(
            f"{name} is not complete: {len(missing)} of {len(previous.stacks)} stacks "
            f"not on {release} yet ({_names(missing)}); run `platform up --release {release} --wave {number}`"
        )
    if len(failed) > policy.failure_budget:
        reasons.append(
            f"{name} has {len(failed)} failed stack{'s' if len(failed) != 1 else ''} "
            f"({_names(failed)}), over its failure budget of {policy.failure_budget}: "
            f"fix and rerun wave {number}"
            + _unhealthy(failed, results)
        )
    if not reasons and policy.bake_minutes > 0:
        finished = [r.ended_at for r in results.values() if r.status == "succeeded" and r.ended_at]
        if finished:
            ready_at = max(finished) + timedelta(minutes=policy.bake_minutes)
            if ready_at > now:
                left = ready_at - now
                reasons.append(
                    f"{name} finished at {max(finished):%H:%M:%S}Z and bakes for "
                    f"{policy.bake_minutes:g} min: wave {number + 1} may start at {ready_at:%H:%M:%S}Z "
                    f"(in {_duration(left)})"
                )
    return reasons


def _verified(
    project: Project,
    release: str,
    previous: WavePlan,
    results: dict[str, DeploymentRecord],
    verification: RunRecord | None,
    *,
    named: bool = False,
) -> list[str]:
    """After the bake of a phase with checks, a passing `verify` of the wave must follow it."""
    number = previous.wave.number
    policy = project.platform.rollout.for_wave(previous.wave.phase, previous.wave.tier_wave, previous.wave.ring)
    finished = [r.ended_at for r in results.values() if r.status == "succeeded" and r.ended_at]
    if not policy.checks or policy.bake_minutes <= 0 or not finished:
        return []
    baked_at = max(finished) + timedelta(minutes=policy.bake_minutes)
    command = f"`platform verify --release {release} --wave {number}`"
    if verification is None or verification.started_at < baked_at:
        return [
            f"{_wave_name(previous, named)} has baked since {baked_at:%H:%M:%S}Z; its health checks must pass again "
            f"after the bake: run {command}"
        ]
    if verification.status != "succeeded":
        return [
            f"the health checks of wave {number} failed at {verification.started_at:%H:%M:%S}Z "
            f"({verification.detail or verification.status}): fix and run {command} again"
        ]
    return []


def _wave_name(wave: WavePlan, named: bool) -> str:
    """`wave 5`, or `wave 5 (ring early)` when `named` (a ring boundary)."""
    ring = wave.wave.ring
    return f"wave {wave.wave.number}" + (f" (ring {ring})" if named and ring is not None else "")


def _unhealthy(failed: list[str], results: dict[str, DeploymentRecord]) -> str:
    """Which check failed where, for the stacks among `failed` that are unhealthy."""
    details = [
        f"{name}: {results[name].error or 'a health check failed'}"
        for name in failed
        if results[name].status == "unhealthy"
    ]
    if not details:
        return ""
    shown = "; ".join(details[:3]) + (f"; and {len(details) - 3} more" if len(details) > 3 else "")
    return f"; unhealthy: {shown}"


def _failed(record: DeploymentRecord | None) -> bool:
    return record is not None and record.status in FAILED


def _names(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _duration(delta: timedelta) -> str:
    seconds = max(1, int(delta.total_seconds()))
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
