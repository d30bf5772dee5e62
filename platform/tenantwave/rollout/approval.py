"""`platform approve`: record who let a wave of a release go ahead, and exactly for what.

The approval covers the wave as it is now: each of its stacks and the revision it deploys
(`planning.gate.approval_scope`). The gate of the wave counts it while what the wave still deploys
is in it unchanged; a changed revision, or a stack that joined the wave, needs a new approval.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenantwave.ledger.records import Approval
from tenantwave.planning.gate import approval_scope
from tenantwave.planning.inventory import build_inventory
from tenantwave.planning.plan import WavePlan, check_wave, evaluate
from tenantwave.planning.waves import build_waves
from tenantwave.planning.workspace import Workspace


@dataclass(frozen=True)
class ApprovalResult:
    approval: Approval
    phase: str
    needed: bool  # the phase's policy asks for an approval

    @property
    def revisions(self) -> list[str]:
        """The revisions the approval covers, each once, sorted."""
        return sorted(set((self.approval.scope or {}).values()))

    def describe(self) -> str:
        """One line: who approved what, and when."""
        a = self.approval
        covered = self.revisions
        stacks = len(a.scope or {})
        what = f"{stacks} stack{'s' if stacks != 1 else ''}" + (f" at {', '.join(covered)}" if covered else "")
        note = "" if self.needed else f" (note: phase {self.phase} does not require an approval)"
        return (
            f"wave {a.wave} of {a.release} approved by {a.approved_by} at {a.approved_at:%Y-%m-%d %H:%M:%S}Z "
            f"for {what}{note}"
        )


def approve_wave(
    workspace: Workspace, release: str, wave: int, approved_by: str, comment: str | None
) -> ApprovalResult:
    """Record an approval of `wave` of `release` for what it deploys now (the first approval of the
    same content stands)."""
    project = workspace.project
    waves = build_waves(project, build_inventory(project))
    check_wave(wave, len(waves))
    chosen = waves[wave - 1]
    history = workspace.ledger.release_history(release)
    scope = approval_scope(WavePlan(chosen, evaluate(project, history, chosen.stacks)))
    approval = workspace.ledger.approve(release, wave, approved_by, comment, scope=scope)
    needed = project.platform.rollout.for_phase(chosen.phase, chosen.ring).approval
    return ApprovalResult(approval, chosen.phase, needed)
