"""Nothing leaves by accident: the tenants a deployment of a stack would stop serving.

A pool stack serves the tenants its configuration lists now. The ledger says which tenants its
current deployment serves. A tenant in the second list and not in the first would be removed from
the stack by the next deployment (its IAM role, its configuration, its partition's access): that
happens only when the tenant is offboarded or moved deliberately (`platform tenant remove`,
`platform tenant move`), or when the operator says so (`up --allow-removal`). Anything else (a
tenant file deleted, renamed to `.YAML`, moved into a subdirectory, an environment dropped from it)
is refused with what to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenantwave.config.models import Project
from tenantwave.ledger.history import Deployed
from tenantwave.planning.inventory import Stack


@dataclass(frozen=True, slots=True)
class Removal:
    tenant: str
    why: str  # what the configuration says now
    fix: str  # how to do it deliberately

    @property
    def reason(self) -> str:
        return f"would remove tenant {self.tenant}: {self.why}; {self.fix}"


def removals(project: Project, stack: Stack, current: Deployed | None) -> list[Removal]:
    """The tenants the stack's current deployment serves that its configuration no longer lists."""
    if current is None or not current.tenants or current.tenants == stack.tenants:
        return []
    serving = set(stack.tenants)
    return [_removal(project, stack, tenant) for tenant in current.tenants if tenant not in serving]


def _removal(project: Project, stack: Stack, tenant_id: str) -> Removal:
    tenant = project.tenants.get(tenant_id)
    path = f"tenants/{tenant_id}.yaml"
    if tenant is None:
        return Removal(
            tenant_id, f"no {path}", f"offboard deliberately with `platform tenant remove {tenant_id}`"
        )
    if tenant.tier != stack.tier:
        return Removal(
            tenant_id,
            f"{path} puts it on tier {tenant.tier}",
            f"move it deliberately with `platform tenant move {tenant_id} --tier {tenant.tier} --deploy`",
        )
    return Removal(
        tenant_id,
        f"{path} does not connect it to {stack.environment}",
        "pass --allow-removal to disconnect it",
    )
