"""The tenant-aware lifecycle: may this stack deploy this release now? (docs/design.md#lifecycle-and-promotion)

A stack S in environment E (phase p) is eligible for release R when:
1. every earlier non-optional phase is complete for R (at least `minimum` of its environments,
   default all, have a successful deployment of R by any stack, tenanted or not);
2. every tenant S serves has deployed R to each environment it is connected to in an earlier phase;
3. S serves a tenant, when `require_tenant` is set;
4. S is not already on R with the same configuration (then it is done).
Every stack that is not eligible carries reasons an operator can act on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from tenantwave.config.models import Project
from tenantwave.ledger.history import Deployed, ReleaseHistory
from tenantwave.planning.inventory import Stack

State = Literal["eligible", "blocked", "done"]


@dataclass(frozen=True, slots=True)
class Verdict:
    state: State
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


class Lifecycle:
    """The rules of one project applied to the history of one release."""

    def __init__(self, project: Project, history: ReleaseHistory) -> None:
        self.project = project
        self.history = history
        self._phase_gaps = self._incomplete_phases()

    def _incomplete_phases(self) -> list[str | None]:
        """For each phase index: why the phases before it are not complete, or None."""
        gaps: list[str | None] = []
        blocking: str | None = None
        release = self.history.release
        for phase in self.project.platform.lifecycle:
            gaps.append(blocking)
            if blocking is not None or phase.optional:
                continue
            done = [env for env in phase.environments if env in self.history.environments]
            if len(done) < phase.required_count:
                missing = [env for env in phase.environments if env not in self.history.environments]
                blocking = (
                    f"release {release} has not completed phase {phase.phase}: "
                    f"{len(done)} of {phase.required_count} required environment"
                    f"{'s' if phase.required_count != 1 else ''} "
                    f"(still to deploy: {', '.join(missing)})"
                )
        return gaps

    def verdict(self, stack: Stack, fingerprint: str | Callable[[], str] | None = None) -> Verdict:
        """`fingerprint`: the stack's configuration now, or a function that computes it (called only
        when the stack already runs this release, to tell done from changed)."""
        release = self.history.release
        current = self.history.current.get(stack.name)
        if current is not None and current.release == release:
            now = fingerprint() if callable(fingerprint) else fingerprint
            if now is None or current.fingerprint in (None, now):
                return Verdict("done", (f"already on {release}",))
        reasons: list[str] = []
        gap = self._phase_gaps[stack.phase_index]
        if gap is not None:
            reasons.append(gap)
        reasons.extend(self._tenant_gaps(stack))
        if self.project.platform.require_tenant and stack.untenanted:
            reasons.append(
                f"serves no tenant in {stack.environment} and require_tenant is set: "
                f"connect a tenant to {stack.environment} or turn require_tenant off"
            )
        if reasons:
            return Verdict("blocked", tuple(reasons))
        return Verdict("eligible", (self._why_eligible(stack, current),))

    def _tenant_gaps(self, stack: Stack) -> list[str]:
        release = self.history.release
        phase_of = self.project.phase_of
        gaps: list[str] = []
        for tenant_id in stack.tenants:
            tenant = self.project.tenants[tenant_id]
            missing = [
                env
                for env in tenant.environments
                if phase_of[env][0] < stack.phase_index
                and (tenant_id, env) not in self.history.tenant_environments
            ]
            if missing:
                gaps.append(f"tenant {tenant_id} has not deployed {release} to {', '.join(missing)}")
        return gaps

    def _why_eligible(self, stack: Stack, current: Deployed | None) -> str:
        if current is None:
            return "not deployed yet"
        if current.release == self.history.release:
            return f"on {current.release} but its configuration changed since (tier parameters or members)"
        return f"on {current.release}"
