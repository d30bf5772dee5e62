"""Which lifecycle phases tenants can reach under `require_tenant`, from configuration alone.

`platform validate` warns about both kinds of phase (see `loader`): a phase no tenant is connected to,
and a phase tenants reach in fewer environments than it requires.
"""

from __future__ import annotations

from tenantwave.config.models import Project


def unreachable_phases(project: Project) -> list[str]:
    """Phases no tenant is connected to: with require_tenant, no deployment can reach them."""
    if not project.platform.require_tenant:
        return []
    connected = {env for tenant in project.tenants.values() for env in tenant.environments}
    return [
        phase.phase
        for phase in project.platform.lifecycle
        if not phase.optional and not connected.intersection(phase.environments)
    ]


def uncompletable_phases(project: Project) -> list[tuple[str, int, tuple[str, ...]]]:
    """Phases before the last that tenants reach, but in fewer environments than the phase requires:
    with require_tenant they never complete, so no later phase ever opens.

    Each as (phase, environments it requires, its environments no tenant is connected to).
    """
    if not project.platform.require_tenant:
        return []
    connected = {env for tenant in project.tenants.values() for env in tenant.environments}
    found = []
    for phase in project.platform.lifecycle[:-1]:
        reached = [env for env in phase.environments if env in connected]
        if phase.optional or not reached or len(reached) >= phase.required_count:
            continue  # optional, unreachable (reported on its own) or able to complete
        unconnected = tuple(env for env in phase.environments if env not in connected)
        found.append((phase.phase, phase.required_count, unconnected))
    return found
