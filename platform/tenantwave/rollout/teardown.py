"""Which stacks `platform destroy` tears down, in what order, and what it refuses.

Order: the latest phase first (production before staging before testing), so a tenant stops
being served before its lower environments go; one stack at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tenantwave.errors import UsageError
from tenantwave.ledger import StackStatus
from tenantwave.planning.inventory import Stack, build_inventory, recorded_stack
from tenantwave.planning.plan import StackPlan
from tenantwave.planning.selection import Targets
from tenantwave.planning.workspace import Workspace
from tenantwave.rollout.prepare import RolloutPlan


def plan_teardown(
    workspace: Workspace, stack_names: Sequence[str], tenant_ids: Sequence[str], *, force: bool
) -> RolloutPlan:
    project = workspace.project
    inventory = {s.name: s for s in build_inventory(project)}
    recorded = {status.stack: status for status in workspace.ledger.status()}
    chosen: dict[str, Stack] = {}
    for name in stack_names:
        chosen[name] = inventory.get(name) or _recorded_stack(workspace, name, recorded)
    for tenant_id in tenant_ids:
        tenant = project.tenants.get(tenant_id)
        if tenant is None:
            raise UsageError(f"--tenant {tenant_id}: no such tenant in tenants/")
        if project.tiers[tenant.tier].model == "pool":
            raise UsageError(
                f"--tenant {tenant_id}: tier {tenant.tier} is a pool, so the tenant has no stacks of its own; "
                "remove it from tenants/ and deploy its pool stacks instead"
            )
        chosen.update({s.name: s for s in inventory.values() if s.tenant == tenant_id})
    refused = [s for s in chosen.values() if s.kind == "pool" and s.tenants and not force]
    if refused:
        first = refused[0]
        raise UsageError(
            f"{first.name} still serves {', '.join(first.tenants)}: move or remove those tenants first, "
            "or pass --force to destroy it anyway"
        )
    ordered = sorted(chosen.values(), key=lambda s: (-s.phase_index, s.name))
    plans = []
    for stack in ordered:
        status = recorded.get(stack.name)
        current = status.current_release if status else None
        reason = f"runs {current}" if current else "no successful deployment recorded"
        plans.append(StackPlan(stack=stack, state="eligible", reason=reason, current=current))
    return RolloutPlan(
        release=next((p.current for p in plans if p.current), "none"),
        wave=None,
        targets=Targets(stacks=tuple(chosen)),
        shard=None,
        stacks=tuple(plans),
        gate=None,
        total_waves=0,
    )


def _recorded_stack(workspace: Workspace, name: str, recorded: Mapping[str, StackStatus]) -> Stack:
    """A stack the ledger knows but the configuration no longer has (e.g. a removed tenant)."""
    status = recorded.get(name)
    last = status.last if status else None
    if last is None:
        raise UsageError(f"--stack {name}: no such stack in the configuration or the ledger")
    return recorded_stack(workspace.project, name, last)
