"""The stacks a project consists of, derived from configuration alone.

Naming scheme (stable, documented in docs/configuration.md), always a valid Pulumi stack name:

    <environment>.pool.<tier>     one per pool tier and environment where the tier is offered
    <environment>.silo.<tenant>   one per silo tenant and environment it is connected to
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from tenantwave.config.models import Project
from tenantwave.ledger import frozen
from tenantwave.ledger.records import DeploymentRecord
from tenantwave.planning.rings import RingOf

Kind = Literal["pool", "silo"]


@dataclass(frozen=True, slots=True)
class Stack:
    name: str
    environment: str
    phase: str
    phase_index: int
    kind: Kind
    tier: str
    tenant: str | None  # the silo tenant; None for a pool stack
    tenants: tuple[str, ...]  # tenants this stack serves in its environment, sorted
    wave_key: tuple[int, int]  # (phase index, tier wave or tenant override)
    ring: str | None = None  # its ring (planning/rings.py); None without rollout.rings
    ring_rank: int = 0  # the ring's position in rollout.rings

    @property
    def untenanted(self) -> bool:
        return not self.tenants

    @property
    def order_key(self) -> tuple[int, int, int]:
        """(phase index, ring rank, tier wave): the wave this stack is in."""
        return self.wave_key[0], self.ring_rank, self.wave_key[1]


_SET_STACK = frozen.setters(Stack)
_new = object.__new__


def new_stack(
    name: str,
    environment: str,
    phase: str,
    phase_index: int,
    kind: Kind,
    tier: str,
    tenant: str | None,
    tenants: tuple[str, ...],
    wave_key: tuple[int, int],
    ring: str | None,
    ring_rank: int,
) -> Stack:
    """Stack(...) with every field in order, the same instance at a fraction of the cost of the
    frozen dataclass's __init__ (ledger.frozen): the inventory builds one per stack."""
    stack = _new(Stack)
    (set_name, set_environment, set_phase, set_phase_index, set_kind, set_tier, set_tenant, set_tenants,
     set_wave_key, set_ring, set_ring_rank) = _SET_STACK  # fmt: skip
    set_name(stack, name)
    set_environment(stack, environment)
    set_phase(stack, phase)
    set_phase_index(stack, phase_index)
    set_kind(stack, kind)
    set_tier(stack, tier)
    set_tenant(stack, tenant)
    set_tenants(stack, tenants)
    set_wave_key(stack, wave_key)
    set_ring(stack, ring)
    set_ring_rank(stack, ring_rank)
    return stack


def stack_name(environment: str, kind: str, unit: str) -> str:
    return f"{environment}.{kind}.{unit}"


def build_inventory(project: Project) -> list[Stack]:
    """Every stack of the project, in plan order: phase, ring, wave, environment order, name."""
    phase_of = project.phase_of
    members: dict[tuple[str, str], list[str]] = defaultdict(list)  # (tier, env) -> pool tenants
    ring_of = RingOf(project)
    pools = {tier.id for tier in project.tiers.values() if tier.model == "pool"}
    tier_waves = {tier.id: tier.wave for tier in project.tiers.values()}
    phases = {env: (index, phase.phase) for env, (index, phase) in phase_of.items()}
    stacks: list[Stack] = []
    for tenant in project.tenants.values():
        config = tenant.config
        tier_id, tenant_id = config.tier, tenant.id
        if tier_id in pools:
            for env in config.environments:
                members[(tier_id, env)].append(tenant_id)
            continue
        wave = config.wave if config.wave is not None else tier_waves[tier_id]
        ring, rank = ring_of.stack((tenant_id,))
        for env in config.environments:
            index, phase = phases[env]
            stacks.append(
                new_stack(
                    stack_name(env, "silo", tenant_id),
                    env,
                    phase,
                    index,
                    "silo",
                    tier_id,
                    tenant_id,
                    (tenant_id,),
                    (index, wave),
                    ring,
                    rank,
                )
            )
    for tier in project.tiers.values():
        if tier.model != "pool":
            continue
        for env in tier.environments:
            index, phase = phases[env]
            served = tuple(sorted(members.get((tier.id, env), ())))
            ring, rank = ring_of.stack(served)
            stacks.append(
                Stack(
                    name=stack_name(env, "pool", tier.id),
                    environment=env,
                    phase=phase,
                    phase_index=index,
                    kind="pool",
                    tier=tier.id,
                    tenant=None,
                    tenants=served,
                    wave_key=(index, tier.wave),
                    ring=ring,
                    ring_rank=rank,
                )
            )
    env_order = {env: position for position, env in enumerate(project.environments)}
    stacks.sort(key=lambda s: (s.order_key, env_order[s.environment], s.kind, s.name))
    return stacks


def recorded_stack(project: Project, name: str, last: DeploymentRecord) -> Stack:
    """A stack the ledger knows but the configuration no longer has (a removed tenant, a moved
    one), rebuilt from its last deployment record; an environment no longer in the lifecycle
    sorts after every phase."""
    index, phase = project.phase_of.get(last.environment, (len(project.platform.lifecycle), None))
    return Stack(
        name=name,
        environment=last.environment,
        phase=phase.phase if phase else "?",
        phase_index=index,
        kind="silo" if last.kind == "silo" else "pool",
        tier=last.tier,
        tenant=last.tenants[0] if last.kind == "silo" and last.tenants else None,
        tenants=last.tenants,
        wave_key=(index, 0),
    )
