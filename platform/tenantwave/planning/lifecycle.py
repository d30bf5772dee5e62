"""The tenant-aware lifecycle: may this stack deploy this revision now? (docs/design.md#lifecycle-and-promotion)

What is promoted is a revision (revision.py): the release R plus the configuration that produces the
stack (stack program P, tier parameters X, tenant overrides). A stack S of tier T in environment E
(phase p) is eligible for R when:
1. release progression: every earlier non-optional phase is complete for R with program P (at least
   `minimum` of its environments, default all, have a successful deployment of R with P by any
   stack, tenanted or not): a new release or a stack program change goes through every phase;
2. tier progression: every earlier non-optional phase where tier T has stacks is complete for T's
   revision (R, P, X): at least `minimum` (at most the number of T's environments there) of T's
   environments of that phase have a successful deployment of it: a tier change goes through the
   phases of that tier's stacks;
3. tenant progression: every tenant S serves has deployed its own revision (R, P, its tier's X, its
   overrides) to each environment it is connected to in an earlier phase: an override change follows
   the tenant's environments, and a tenant's membership of a pool depends on its own progression only;
4. S serves a tenant, when `require_tenant` is set;
5. S is not already on R with the same revision and fingerprint (then it is done), unless drift was
   found on S since that deployment (`platform drift`): then S deploys R again, under rules 1 to 4
   like a configuration change, but the release still counts as complete on S (`Verdict.redeploy`:
   the gates of later waves stay open; drift is an out-of-band change, not a step of the rollout).
Every stack that is not eligible carries reasons an operator can act on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from tenantwave.config.models import Project
from tenantwave.ledger.history import Deployed, ReleaseHistory
from tenantwave.planning.inventory import Stack, build_inventory
from tenantwave.planning.promotion import Promotion
from tenantwave.planning.revision import Revision, Revisions
from tenantwave.planning.stackconfig import fingerprint

State = Literal["eligible", "blocked", "deferred", "done"]  # deferred: planning/deferral.py


@dataclass(frozen=True, slots=True)
class Verdict:
    state: State
    reasons: tuple[str, ...]
    redeploy: bool = False  # deployed again only because drift was found: the release did complete on it

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


class Lifecycle:
    """The rules of one project applied to the history of one release."""

    def __init__(
        self,
        project: Project,
        history: ReleaseHistory,
        stacks: Sequence[Stack] | None = None,
        revisions: Revisions | None = None,
    ) -> None:
        """`stacks`: the project's inventory, if already built."""
        self.project = project
        self.history = history
        self.stacks = list(stacks) if stacks is not None else build_inventory(project)
        self.revisions = revisions or Revisions(project, history.release)
        self.promotion = Promotion.of(project, history, self.revisions, self.stacks)
        self._phase_gaps = self._incomplete_phases()
        self._tier_phases = self._phases_of_tiers()
        self._tier_gaps: dict[tuple[str, int], str | None] = {}
        self._tenant_gap: dict[tuple[str, int], str | None] = {}  # (tenant, phase index) -> rule 3's reason
        self._phase_index = {env: index for env, (index, _) in project.phase_of.items()}
        self._done = Verdict("done", (f"already on {history.release}",))
        self._require_tenant = project.platform.require_tenant
        self._release = history.release
        self._progressions: dict[tuple[int, str, tuple[str, ...]], tuple[str, ...]] = {}
        self._blocked: dict[tuple[str, ...], Verdict] = {}  # reasons -> the verdict (shared: frozen)
        self._eligible: dict[str, Verdict] = {}  # reason -> the verdict (shared: frozen)

    # -- rule 1 -------------------------------------------------------------------------------

    def _incomplete_phases(self) -> list[str | None]:
        """For each phase index: why the phases before it are not complete, or None."""
        gaps: list[str | None] = []
        blocking: str | None = None
        release = self.history.release
        program = self.promotion.program_environments.get(self.revisions.program, set())
        for phase in self.project.platform.lifecycle:
            gaps.append(blocking)
            if blocking is not None or phase.optional:
                continue
            done = [env for env in phase.environments if env in program]
            if len(done) < phase.required_count:
                missing = ", ".join(env for env in phase.environments if env not in program)
                reached = sum(1 for env in phase.environments if env in self.history.environments)
                what = f"{len(done)} of {phase.required_count} required environment{_s(phase.required_count)}"
                if reached < phase.required_count:
                    blocking = (
                        f"release {release} has not completed phase {phase.phase}: {what} (still to deploy: {missing})"
                    )
                else:
                    blocking = (
                        f"the stack program changed since release {release} went through phase {phase.phase}: "
                        f"{what} deployed the program as it is now (still to deploy: {missing})"
                    )
        return gaps

    # -- rule 2 -------------------------------------------------------------------------------

    def _phases_of_tiers(self) -> dict[str, dict[int, list[str]]]:
        """tier -> phase index -> the environments of that phase where the tier has a stack that
        may deploy (untenanted stacks do not count under require_tenant)."""
        untenanted_ok = not self.project.platform.require_tenant
        phases: dict[str, dict[int, list[str]]] = {}
        for stack in self.stacks:
            if stack.untenanted and not untenanted_ok:
                continue
            envs = phases.setdefault(stack.tier, {}).setdefault(stack.phase_index, [])
            if stack.environment not in envs:
                envs.append(stack.environment)
        return phases

    def _tier_gap(self, tier: str, phase_index: int) -> str | None:
        key = (tier, phase_index)
        if key not in self._tier_gaps:
            self._tier_gaps[key] = self._first_tier_gap(tier, phase_index)
        return self._tier_gaps[key]

    def _first_tier_gap(self, tier: str, phase_index: int) -> str | None:
        if tier not in self.project.tiers:
            return None
        revision = self.revisions.of_tier(tier)
        deployed = self.promotion.tier_environments.get(revision.tier_key, set())
        order = {env: i for i, env in enumerate(self.project.environments)}
        for index, envs in sorted(self._tier_phases.get(tier, {}).items()):
            phase = self.project.platform.lifecycle[index]
            if index >= phase_index or phase.optional:
                continue
            required = min(phase.required_count, len(envs))
            done = [env for env in envs if env in deployed]
            if len(done) < required:
                missing = ", ".join(sorted((env for env in envs if env not in deployed), key=order.__getitem__))
                return (
                    f"tier {tier}'s revision {revision.id} has not completed phase {phase.phase}: "
                    f"{len(done)} of {required} required environment{_s(required)} (still to deploy: {missing})"
                )
        return None

    # -- rule 3 -------------------------------------------------------------------------------

    def _tenant_gaps(self, stack: Stack) -> list[str]:
        gaps: list[str] = []
        for tenant_id in stack.tenants:
            key = (tenant_id, stack.phase_index)
            if key not in self._tenant_gap:  # the same for every stack of the tenant in that phase
                self._tenant_gap[key] = self._first_tenant_gap(tenant_id, stack.phase_index)
            gap = self._tenant_gap[key]
            if gap is not None:
                gaps.append(gap)
        return gaps

    def _first_tenant_gap(self, tenant_id: str, phase_index: int) -> str | None:
        """Why `tenant_id` may not yet deploy in phase `phase_index`: the environments of earlier
        phases it is connected to that have not deployed its revision; None when there are none."""
        tenant = self.project.tenants.get(tenant_id)
        if tenant is None:
            return None
        index_of = self._phase_index
        earlier = [env for env in tenant.config.environments if index_of[env] < phase_index]
        if not earlier:
            return None
        key = self.revisions.tenant_key(tenant_id)
        missing: list[str] = []
        changed = False
        for env in earlier:
            if key in self.promotion.tenant_revisions.get((tenant_id, env), ()):
                continue
            missing.append(env)
            changed = changed or (tenant_id, env) in self.history.tenant_environments
        if not missing:
            return None
        what = self.revisions.of_tenant(tenant_id).id if changed else self.history.release
        return f"tenant {tenant_id} has not deployed {what} to {', '.join(missing)}"

    # -- the verdict ----------------------------------------------------------------------------

    def revision(self, stack: Stack) -> Revision:
        """The revision `stack` deploys at this release with the configuration as it is."""
        return self._target(stack)[0]

    def revision_id(self, stack: Stack) -> str:
        return self._target(stack)[1]

    def _target(self, stack: Stack) -> tuple[Revision, str]:
        """(revision, its id): Revisions.serving works each out once per tier and tenants."""
        return self.revisions.serving(stack.tier, stack.tenants)

    def verdict(self, stack: Stack, fingerprint: str | Callable[[], str] | None = None) -> Verdict:
        """`fingerprint`: the stack's configuration now, or a function that computes it (called only
        when the stack already runs this release, to tell done from changed)."""
        current = self.history.current.get(stack.name)
        target, target_id = self._target(stack)
        if current is not None and current.release == self.history.release and current.revision in (None, target_id):
            now = fingerprint() if callable(fingerprint) else fingerprint
            return self._on_release(stack, current, target, now)
        return self._judged(stack, None, current, target)

    def judge(self, stack: Stack, current: Deployed | None) -> tuple[Verdict, str]:
        """`verdict(stack, its fingerprint now)` and `revision_id(stack)` in one call, for a plan's
        loop (plan.evaluate) that has looked up `current`, the stack's entry in `history.current`."""
        target, target_id = self.revisions.serving(stack.tier, stack.tenants)
        if current is not None and current.release == self._release and current.revision in (None, target_id):
            return self._on_release(stack, current, target, fingerprint(self.project, stack)), target_id
        return self._judged(stack, None, current, target), target_id

    def _on_release(self, stack: Stack, current: Deployed, target: Revision, now: str | None) -> Verdict:
        """A stack whose deployment is of this release at the revision it would deploy now, with its
        fingerprint `now` (None: not compared): done, deployed again because of drift, or changed."""
        if now is None or current.fingerprint in (None, now):
            drifted = self.history.drift.get(stack.name)
            if drifted is None:
                return self._done
            # drift found since its deployment: deployed again like a changed configuration
            reason = (f"on {current.revision or self.history.release}; drift found since its deployment "
                      f"({_count(drifted.resources, 'resource')}): deploys it again")
            return replace(self._judged(stack, reason), redeploy=True)
        return self._judged(stack, None, current, target)

    def _judged(self, stack: Stack, eligible_because: str | None, current: Deployed | None = None,
                target: Revision | None = None) -> Verdict:
        """Rules 1 to 4 for a stack that is not done: blocked with every reason, or eligible (with
        `eligible_because`, else why it is not done). Equal verdicts are one object (frozen)."""
        reasons = self._progression(stack)
        if self._require_tenant and stack.untenanted:
            reasons = (
                *reasons,
                f"serves no tenant in {stack.environment} and require_tenant is set: "
                f"connect a tenant to {stack.environment} or turn require_tenant off",
            )
        if reasons:
            blocked = self._blocked.get(reasons)
            if blocked is None:
                blocked = self._blocked[reasons] = Verdict("blocked", reasons)
            return blocked
        if eligible_because is None:
            assert target is not None
            eligible_because = self._why_eligible(stack, current, target)
        eligible = self._eligible.get(eligible_because)
        if eligible is None:
            eligible = self._eligible[eligible_because] = Verdict("eligible", (eligible_because,))
        return eligible

    def _progression(self, stack: Stack) -> tuple[str, ...]:
        """Rules 1 to 3: why the phase, tier and tenants of `stack` may not deploy yet (empty: they
        may), worked out once for each phase, tier and set of tenants (a silo tenant's stacks of one
        phase ask the same)."""
        key = (stack.phase_index, stack.tier, stack.tenants)
        reasons = self._progressions.get(key)
        if reasons is None:
            gap = self._phase_gaps[stack.phase_index]
            if gap is None:
                gap = self._tier_gap(stack.tier, stack.phase_index)
            reasons = self._progressions[key] = (*(() if gap is None else (gap,)), *self._tenant_gaps(stack))
        return reasons

    def _why_eligible(self, stack: Stack, current: Deployed | None, target: Revision) -> str:
        if current is None:
            return "not deployed yet"
        if current.release != self._release:
            return f"on {current.revision or current.release}"
        earlier = Revision.from_json(current.release, current.config)
        if earlier is None or current.revision is None:
            return f"on {current.release} but its configuration changed since (tier parameters, members or target)"
        what = target.changes_since(earlier)
        members = _member_changes(current.tenants, stack.tenants)
        if members:
            what.append(members)
        if not what:  # same revision, same members: what else the fingerprint covers is the target
            what.append(f"the target of {stack.environment} (platform.yaml targets)")
        changed = f"; changed since: {'; '.join(what)}"
        deploys = f"; deploys {target.id}" if target.id != current.revision else ""
        return f"on {current.revision}{changed}{deploys}"


def _member_changes(before: Sequence[str], after: Sequence[str]) -> str:
    joined = sorted(set(after) - set(before))
    left = sorted(set(before) - set(after))
    parts = ([f"joins {_few(joined)}"] if joined else []) + ([f"leaves {_few(left)}"] if left else [])
    return f"members ({', '.join(parts)})" if parts else ""


def _few(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}{_s(count)}"


def _s(count: int) -> str:
    return "s" if count != 1 else ""

