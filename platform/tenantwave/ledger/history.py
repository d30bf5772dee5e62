"""What the ledger says about one release, reduced to the facts the lifecycle rules read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tenantwave.ledger import frozen
from tenantwave.ledger.driftreads import DriftMark
from tenantwave.ledger.records import Approval, DeploymentRecord, RunRecord


@dataclass(frozen=True, slots=True)
class Deployed:
    """The last successful deployment of a stack (what it runs now)."""

    release: str
    fingerprint: str | None
    ended_at: str | None = None
    revision: str | None = None  # None: recorded before revisions were
    config: str | None = None  # JSON of the revision's configuration (planning/revision.py)
    tenants: tuple[str, ...] = ()  # the tenants that deployment served


_UnfrozenDeployed = frozen.unfrozen(Deployed)


def deployed(
    release: str,
    fingerprint: str | None,
    ended_at: str | None,
    revision: str | None,
    config: str | None,
    tenants: tuple[str, ...],
) -> Deployed:
    """Deployed(release, fingerprint, ended_at, revision, config, tenants), the same instance, at a
    fraction of the cost (ledger.frozen.unfrozen): the planning read builds one per stack ever deployed."""
    instance = _UnfrozenDeployed()
    instance.release = release
    instance.fingerprint = fingerprint
    instance.ended_at = ended_at
    instance.revision = revision
    instance.config = config
    instance.tenants = tenants
    instance.__class__ = Deployed
    built: Deployed = instance
    return built


@dataclass(frozen=True, slots=True)
class Success:
    """One successful deployment of the release under consideration."""

    stack: str
    environment: str
    tenants: tuple[str, ...]
    fingerprint: str | None = None
    config: str | None = None  # JSON of the revision's configuration; None before revisions were recorded


_UnfrozenSuccess = frozen.unfrozen(Success)


def success(
    stack: str, environment: str, tenants: tuple[str, ...], fingerprint: str | None, config: str | None
) -> Success:
    """Success(stack, environment, tenants, fingerprint, config), the same instance, built like
    `deployed` (one per success of the release: 6,000 for a plan of 10,000 tenants)."""
    instance = _UnfrozenSuccess()
    instance.stack = stack
    instance.environment = environment
    instance.tenants = tenants
    instance.fingerprint = fingerprint
    instance.config = config
    instance.__class__ = Success
    built: Success = instance
    return built


@dataclass(frozen=True)
class ReleaseHistory:
    release: str
    environments: frozenset[str] = frozenset()  # environments where any stack deployed it
    tenant_environments: frozenset[tuple[str, str]] = frozenset()  # (tenant, environment)
    current: dict[str, Deployed] = field(default_factory=dict)  # stack -> what it runs now
    running: dict[str, str] = field(default_factory=dict)  # stack -> run id holding it
    successes: tuple[Success, ...] = ()  # every successful deployment of the release
    gate: GateFacts | None = None  # what the wave gates read; None: not read (an empty ledger)
    drift: dict[str, DriftMark] = field(default_factory=dict)  # stack -> drift standing on it (driftreads)

    @classmethod
    def from_records(
        cls,
        release: str,
        successes: Iterable[Success],
        current: dict[str, Deployed],
        running: dict[str, str] | None = None,
        gate: GateFacts | None = None,
        drift: dict[str, DriftMark] | None = None,
    ) -> ReleaseHistory:
        successes = tuple(successes)
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
            successes=successes,
            gate=gate,
            drift=drift or {},
        )


@dataclass(frozen=True)
class GateFacts:
    """What the wave gates of one release read from the ledger."""

    results: dict[str, DeploymentRecord] = field(default_factory=dict)  # stack -> last up/rollback of R
    approvals: tuple[Approval, ...] = ()  # every approval of R, oldest first
    verifications: dict[int, RunRecord] = field(default_factory=dict)  # wave -> its last finished verify

    def approvals_of(self, wave: int) -> list[Approval]:
        return [a for a in self.approvals if a.wave == wave]
