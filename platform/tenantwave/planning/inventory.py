"""The stacks a project consists of, derived from configuration alone.

Naming scheme (stable, documented in docs/configuration.md), always a valid Pulumi stack name:

    <environment>.pool.<tier>     one per pool tier and environment where the tier is offered
    <environment>.silo.<tenant>   one per silo tenant and environment it is connected to
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
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


_Unfrozen = frozen.unfrozen(Stack)  # Stack's slots, not frozen: filled, then made a Stack (ledger.frozen)
_name = attrgetter("name")


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
    """Stack(...) with every field in order, the same instance at a quarter of the cost of the frozen
    dataclass's __init__ (which sets each field through object.__setattr__): the fields are stored
    in a plain object with the same slots, which then becomes a Stack. The inventory builds one per
    stack (tests/core/test_plan_memo.py holds it equal to the constructor's)."""
    stack = _Unfrozen()
    stack.name = name
    stack.environment = environment
    stack.phase = phase
    stack.phase_index = phase_index
    stack.kind = kind
    stack.tier = tier
    stack.tenant = tenant
    stack.tenants = tenants
    stack.wave_key = wave_key
    stack.ring = ring
    stack.ring_rank = ring_rank
    stack.__class__ = Stack
    built: Stack = stack
    return built


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
    return in_plan_order(stacks, project.environments)


def in_plan_order(stacks: Iterable[Stack], environments: Sequence[str]) -> list[Stack]:
    """`stacks` sorted by (order_key, environment order, kind, name): grouped by all but the name
    (a few dozen groups), then the groups in order, each sorted by name. The same order as one sort
    by that key, without building and comparing a key of four parts for each of 25,000 stacks."""
    env_order = {env: position for position, env in enumerate(environments)}
    groups: dict[tuple[tuple[int, int, int], int, Kind], list[Stack]] = {}
    for stack in stacks:
        key = (stack.order_key, env_order[stack.environment], stack.kind)
        group = groups.get(key)
        if group is None:
            groups[key] = [stack]
        else:
            group.append(stack)
    ordered: list[Stack] = []
    for key in sorted(groups):
        group = groups[key]
        group.sort(key=_name)
        ordered += group
    return ordered


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
