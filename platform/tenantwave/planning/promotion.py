"""What a release's successes promoted, by revision: the facts the lifecycle reads (lifecycle.py).

From every successful deployment of release R (`ReleaseHistory.successes`):
- `program_environments[P]`: the environments where some stack deployed R with stack program P;
- `tier_environments[(P, T, X)]`: the environments where a stack of tier T deployed R with program P
  and tier parameters X (the tier's revision);
- `tenant_revisions[(t, E)]`: the tenant revisions (P, tier, X, t's overrides) tenant t was served
  in environment E.

A success recorded before revisions were (schema 1: no `config`) is taken to be at the revision the
stack would deploy now when its fingerprint, which covers every parameter and member, equals the
stack's fingerprint now (or was not recorded): the stack program's source is the one thing it
cannot vouch for. Otherwise it promotes the release alone, never a configuration.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from tenantwave.config.models import Project
from tenantwave.ledger.history import ReleaseHistory, Success
from tenantwave.planning.inventory import Stack
from tenantwave.planning.revision import Revision, Revisions, TenantKey, TierKey
from tenantwave.planning.stackconfig import fingerprint


@dataclass
class Promotion:
    program_environments: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    tier_environments: dict[TierKey, set[str]] = field(default_factory=lambda: defaultdict(set))
    tenant_revisions: dict[tuple[str, str], set[TenantKey]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def of(
        cls, project: Project, history: ReleaseHistory, revisions: Revisions, stacks: Sequence[Stack]
    ) -> Promotion:
        promotion = cls()
        by_name: dict[str, Stack] | None = None
        for success in history.successes:
            revision = Revision.from_json(history.release, success.config)
            if revision is None:
                if by_name is None:
                    by_name = {stack.name: stack for stack in stacks}
                revision = _legacy(project, success, revisions, by_name.get(success.stack))
            if revision is not None:
                promotion.add(success, revision)
        return promotion

    def add(self, success: Success, revision: Revision) -> None:
        env = success.environment
        self.program_environments[revision.program].add(env)
        self.tier_environments[revision.tier_key].add(env)
        for tenant in success.tenants:
            self.tenant_revisions[(tenant, env)].add(revision.tenant_key(tenant))


def _legacy(project: Project, success: Success, revisions: Revisions, stack: Stack | None) -> Revision | None:
    """The revision a success recorded without one is taken to be at, if its fingerprint vouches."""
    if stack is None:
        return None
    if success.fingerprint is not None and success.fingerprint != fingerprint(project, stack):
        return None
    return revisions.serving(stack.tier, success.tenants)[0]  # tenants no longer configured count for nothing
