"""Which stacks a run works on: a wave, targets (--stack/--tenant/--tier/--env), a shard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tenantwave.config.models import Project
from tenantwave.config.suggestions import did_you_mean
from tenantwave.errors import UsageError
from tenantwave.planning.inventory import Stack


@dataclass(frozen=True)
class Targets:
    stacks: tuple[str, ...] = ()
    tenants: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.stacks or self.tenants or self.tiers or self.environments)

    def describe(self) -> str:
        parts = [
            f"{flag} {value}"
            for flag, values in (
                ("--stack", self.stacks),
                ("--tenant", self.tenants),
                ("--tier", self.tiers),
                ("--env", self.environments),
            )
            for value in values
        ]
        return " ".join(parts)


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        try:
            left, right = text.split("/")
            shard = cls(int(left), int(right))
        except ValueError:
            raise UsageError(f"--shard {text!r}: write k/n, e.g. 2/4 for the second of four shards") from None
        if not 1 <= shard.index <= shard.count <= 1000:
            raise UsageError(f"--shard {text}: k must be between 1 and n (n at most 1000)")
        return shard

    def take(self, stacks: Sequence[Stack]) -> list[Stack]:
        """A deterministic share: every n-th stack of the names in sorted order, from the k-th."""
        ordered = sorted(stacks, key=lambda s: s.name)
        mine = {s.name for s in ordered[self.index - 1 :: self.count]}
        return [s for s in stacks if s.name in mine]


def check_targets(project: Project, targets: Targets, stacks: Sequence[Stack]) -> None:
    """Unknown names in targets are usage errors, not silent no-ops."""
    names = {s.name for s in stacks}
    checks = (
        ("--stack", targets.stacks, names),
        ("--tenant", targets.tenants, set(project.tenants)),
        ("--tier", targets.tiers, set(project.tiers)),
        ("--env", targets.environments, set(project.environments)),
    )
    for flag, values, known in checks:
        for value in values:
            if value not in known:
                raise UsageError(f"{flag} {value}: no such name{did_you_mean(value, known)}")


def select(stacks: Sequence[Stack], targets: Targets) -> list[Stack]:
    if not targets:
        return list(stacks)
    return [
        s
        for s in stacks
        if (not targets.stacks or s.name in targets.stacks)
        and (not targets.tenants or any(t in s.tenants for t in targets.tenants))
        and (not targets.tiers or s.tier in targets.tiers)
        and (not targets.environments or s.environment in targets.environments)
    ]
