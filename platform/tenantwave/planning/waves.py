"""Waves: the rollout order of a release, computed from configuration alone.

Stacks are grouped by (phase, ring, wave), where the wave is the tier's, or a silo tenant's override,
and the ring is the stack's (planning/rings.py; one ring without `rollout.rings`). The groups are
numbered from 1 in that order, so wave numbers stay stable from one CI stage to the
next whatever has been deployed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter

from tenantwave.config.models import Project
from tenantwave.planning.inventory import Stack


@dataclass(frozen=True)
class Wave:
    number: int
    phase: str
    tier_wave: int
    stacks: tuple[Stack, ...]
    ring: str | None = None  # None without rollout.rings

    @property
    def environments(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(stack.environment for stack in self.stacks))


_order_key = attrgetter("order_key")


def build_waves(project: Project, stacks: Sequence[Stack]) -> list[Wave]:
    """`stacks` grouped into numbered waves (stacks keep their inventory order inside a wave)."""
    groups: dict[tuple[int, int, int], list[Stack]] = {}
    for key, run in groupby(stacks, key=_order_key):  # runs of one wave (the inventory comes in waves)
        groups.setdefault(key, []).extend(run)
    lifecycle = project.platform.lifecycle
    return [
        Wave(
            number=number,
            phase=lifecycle[key[0]].phase,
            tier_wave=key[2],
            stacks=tuple(groups[key]),
            ring=groups[key][0].ring,
        )
        for number, key in enumerate(sorted(groups), start=1)
    ]
