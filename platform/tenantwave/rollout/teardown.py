"""Which stacks `platform destroy` tears down, in what order, and what it refuses.

Order: the latest phase first (production before staging before testing), so a tenant stops
being served before its lower environments go; one stack at a time.

A pool stack that still serves tenants is refused without `--force`. Who it serves is read from
the configuration and from the ledger (the tenants its current deployment served): a tenant whose
file was deleted without redeploying the pool (`tenant remove X` without --deploy) is still served.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tenantwave.config.suggestions import did_you_mean
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
            hint = did_you_mean(tenant_id, project.tenants)
            raise UsageError(f"--tenant {tenant_id}: no such tenant in tenants/{hint}")
        if project.tiers[tenant.tier].model == "pool":
            raise UsageError(
                f"--tenant {tenant_id}: tier {tenant.tier} is a pool, so the tenant has no stacks of its own; "
                "remove it from tenants/ and deploy its pool stacks instead"
            )
        chosen.update({s.name: s for s in inventory.values() if s.tenant == tenant_id})
    if not force:
        _refuse_serving_pools(workspace, list(chosen.values()))
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


def _refuse_serving_pools(workspace: Workspace, stacks: Sequence[Stack]) -> None:
    """UsageError for the first pool stack that serves tenants, per the configuration or the ledger."""
    for stack in stacks:
        if stack.kind != "pool":
            continue
        served = _served(workspace, stack.name)
        tenants = list(dict.fromkeys([*stack.tenants, *served]))
        if not tenants:
            continue
        extra = [t for t in served if t not in stack.tenants]
        source = (
            " (the ledger says so: its current deployment serves them, though tenants/ no longer lists them all)"
            if extra else ""
        )
        hint = " (`platform tenant remove ID --deploy`)" if extra else ""
        raise UsageError(
            f"{stack.name} still serves {', '.join(tenants)}{source}: move or remove those tenants first{hint}, "
            "or pass --force to destroy it anyway"
        )


def _served(workspace: Workspace, name: str) -> tuple[str, ...]:
    """The tenants the stack's current deployment serves: its last successful up or rollback,
    unless a successful destroy came after it."""
    for record in reversed(workspace.ledger.deployments(stack=name)):
        if record.status == "succeeded":
            return record.tenants if record.operation in ("up", "rollback") else ()
    return ()


def _recorded_stack(workspace: Workspace, name: str, recorded: Mapping[str, StackStatus]) -> Stack:
    """A stack the ledger knows but the configuration no longer has (e.g. a removed tenant)."""
    status = recorded.get(name)
    last = status.last if status else None
    if last is None:
        known = {s.name for s in build_inventory(workspace.project)} | set(recorded)
        raise UsageError(f"--stack {name}: no such stack in the configuration or the ledger{did_you_mean(name, known)}")
    return recorded_stack(workspace.project, name, last)
