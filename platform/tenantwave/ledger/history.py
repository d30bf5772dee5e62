"""What the ledger says about one release, reduced to the facts the lifecycle rules read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Deployed:
    """The last successful deployment of a stack (what it runs now)."""

    release: str
    fingerprint: str | None
    ended_at: str | None = None


@dataclass(frozen=True, slots=True)
class Success:
    """One successful deployment of the release under consideration."""

    stack: str
    environment: str
    tenants: tuple[str, ...]


@dataclass(frozen=True)
class ReleaseHistory:
    release: str
    environments: frozenset[str] = frozenset()  # environments where any stack deployed it
    tenant_environments: frozenset[tuple[str, str]] = frozenset()  # (tenant, environment)
    current: dict[str, Deployed] = field(default_factory=dict)  # stack -> what it runs now
    running: dict[str, str] = field(default_factory=dict)  # stack -> run id holding it

    @classmethod
    def from_records(
        cls,
        release: str,
        successes: Iterable[Success],
        current: dict[str, Deployed],
        running: dict[str, str] | None = None,
    ) -> ReleaseHistory:
        envs: set[str] = set()
        tenant_envs: set[tuple[str, str]] = set()
        for success in successes:
            envs.add(success.environment)
            tenant_envs.update((tenant, success.environment) for tenant in success.tenants)
        return cls(
            release=release,
            environments=frozenset(envs),
            tenant_environments=frozenset(tenant_envs),
            current=current,
            running=running or {},
        )
