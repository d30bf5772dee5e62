"""Which ring each stack is in (docs/lifecycle.md, "Rings").

`rollout.rings` lists the rings in order. A tenant is in the ring its `ring` tag names, else in the
last ring. A silo stack is in its tenant's ring. A pool stack exposes every member at once, so it
goes with the latest ring among its members: it never runs ahead of a tenant that asked to wait,
and the earlier rings never hold a late tenant. A pool stack that serves nobody (a testing pool)
exposes no one and goes in the first ring. Without `rings`, every stack is in no ring (None, rank 0)
and the plan is what it was before rings existed.
"""

from __future__ import annotations

from collections.abc import Sequence

from tenantwave.config.models import Project


def tenant_ring(project: Project, tenant: str) -> str | None:
    """The ring of `tenant`: its tag, else the last ring; None without rings."""
    rings = project.platform.rollout.rings
    if not rings:
        return None
    return project.tenants[tenant].ring_tag or rings[-1]


def stack_ring(project: Project, tenants: Sequence[str]) -> tuple[str | None, int]:
    """(ring, rank) of a stack serving `tenants`: the latest of their rings (the first ring when it
    serves nobody); (None, 0) without rings."""
    rings = project.platform.rollout.rings
    if not rings:
        return None, 0
    rank = max((rings.index(ring) for t in tenants if (ring := tenant_ring(project, t)) is not None), default=0)
    return rings[rank], rank
