"""The wave gate: may wave N of a release start? (DESIGN.md §5)

Wave N starts only when wave N-1 is complete for the release (every stack on it, failures within
the failure budget), its bake time has passed since it finished, and, where the policy of wave
N's phase asks for one, an approval was recorded with `platform approve`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tenantwave.config import Project
from tenantwave.ledger.records import Approval, DeploymentRecord
from tenantwave.plan import WavePlan

FAILED = ("failed", "cancelled", "abandoned")


@dataclass(frozen=True)
class GateVerdict:
    wave: int
    open: bool
    reasons: tuple[str, ...]
    approval: Approval | None = None

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def evaluate_gate(
    project: Project,
    release: str,
    wave: WavePlan,
    previous: WavePlan | None,
    previous_results: dict[str, DeploymentRecord],
    approval: Approval | None,
    now: datetime,
) -> GateVerdict:
    number = wave.wave.number
    reasons: list[str] = []
    if previous is not None:
        reasons.extend(_previous_wave(project, release, previous, previous_results, now))
    policy = project.platform.rollout.for_phase(wave.wave.phase)
    if policy.approval and approval is None:
        reasons.append(
            f"wave {number} (phase {wave.wave.phase}) needs an approval: "
            f"run `platform approve --release {release} --wave {number}`"
        )
    return GateVerdict(wave=number, open=not reasons, reasons=tuple(reasons), approval=approval)


def _previous_wave(
    project: Project,
    release: str,
    previous: WavePlan,
    results: dict[str, DeploymentRecord],
    now: datetime,
) -> list[str]:
    number = previous.wave.number
    policy = project.platform.rollout.for_phase(previous.wave.phase)
    failed = [p.stack.name for p in previous.stacks if p.state != "done" and _failed(results.get(p.stack.name))]
    missing = [
        p.stack.name for p in previous.stacks if p.state != "done" and p.stack.name not in failed
    ]
    reasons: list[str] = []
    if missing:
        reasons.append(
            f"wave {number} is not complete: {len(missing)} of {len(previous.stacks)} stacks "
            f"not on {release} yet ({_names(missing)}); run `platform up --release {release} --wave {number}`"
        )
    if len(failed) > policy.failure_budget:
        reasons.append(
            f"wave {number} has {len(failed)} failed stack{'s' if len(failed) != 1 else ''} "
            f"({_names(failed)}), over its failure budget of {policy.failure_budget}: "
            f"fix and rerun wave {number}"
        )
    if not reasons and policy.bake_minutes > 0:
        finished = [r.ended_at for r in results.values() if r.status == "succeeded" and r.ended_at]
        if finished:
            ready_at = max(finished) + timedelta(minutes=policy.bake_minutes)
            if ready_at > now:
                left = ready_at - now
                reasons.append(
                    f"wave {number} finished at {max(finished):%H:%M:%S}Z and bakes for "
                    f"{policy.bake_minutes:g} min: wave {number + 1} may start at {ready_at:%H:%M:%S}Z "
                    f"(in {_duration(left)})"
                )
    return reasons


def _failed(record: DeploymentRecord | None) -> bool:
    return record is not None and record.status in FAILED


def _names(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _duration(delta: timedelta) -> str:
    seconds = max(1, int(delta.total_seconds()))
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
