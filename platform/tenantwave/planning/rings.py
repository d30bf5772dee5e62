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


class RingOf:
    """The ring of each tenant of `project` (worked out once), and of a stack serving some of them."""

    def __init__(self, project: Project) -> None:
        self.rings = tuple(project.platform.rollout.rings or ())
        rank = {ring: index for index, ring in enumerate(self.rings)}
        last = len(self.rings) - 1  # an untagged tenant's (the loader refuses a tag naming no ring)
        self._ranks = {t.id: rank.get(t.ring_tag or "", last) for t in project.tenants.values()} if self.rings else {}

    def stack(self, tenants: Sequence[str]) -> tuple[str | None, int]:
        """(ring, rank) of a stack serving `tenants`: the latest of their rings (the first ring when it
        serves nobody); (None, 0) without rings."""
        if not self.rings:
            return None, 0
        ranks = self._ranks
        rank = ranks[tenants[0]] if len(tenants) == 1 else max(map(ranks.__getitem__, tenants), default=0)
        return self.rings[rank], rank
