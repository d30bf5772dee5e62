"""`platform tenant list`: each tenant with its tier, environments, the release it runs in each
(that of the stack serving it there, from the ledger), whether drift was found on that stack, and
its last result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tenantwave.ledger import DeploymentRecord
from tenantwave.ledger.driftreads import DriftMark
from tenantwave.planning.inventory import Stack, build_inventory
from tenantwave.planning.workspace import Workspace
from tenantwave.tenants.execution import read_move_marker

LIST_FORMAT_VERSION = 1


@dataclass(frozen=True)
class TenantEnvironment:
    environment: str
    stack: str
    release: str | None  # what the serving stack runs, None if nothing yet
    last: DeploymentRecord | None  # the serving stack's last attempt
    drift: DriftMark | None = None  # drift found on the serving stack since its deployment


@dataclass(frozen=True)
class TenantRow:
    id: str
    name: str | None
    tier: str
    model: str
    environments: tuple[TenantEnvironment, ...]
    moving_to: str | None  # a move to this tier is in progress

    @property
    def drifted(self) -> list[TenantEnvironment]:
        """The environments where a stack serving the tenant drifted (`platform drift`)."""
        return [env for env in self.environments if env.drift is not None]

    @property
    def last(self) -> DeploymentRecord | None:
        """The most recent attempt on any stack serving the tenant."""
        records = [env.last for env in self.environments if env.last is not None]
        return max(records, key=lambda r: (r.started_at, r.id)) if records else None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "tier": self.tier,
            "model": self.model,
            "moving_to": self.moving_to,
            "environments": [
                {"environment": e.environment, "stack": e.stack, "release": e.release, "last": _last_json(e.last),
                 "drift": e.drift.to_json() if e.drift is not None else None}
                for e in self.environments
            ],
            "last": _last_json(self.last),
        }


def tenant_rows(workspace: Workspace) -> list[TenantRow]:
    project = workspace.project
    statuses = {status.stack: status for status in workspace.ledger.status()}
    drift = workspace.ledger.drift_marks()
    serving: dict[str, dict[str, Stack]] = {tenant_id: {} for tenant_id in project.tenants}
    for stack in build_inventory(project):  # once: thousands of tenants stay linear
        for tenant_id in stack.tenants:
            serving[tenant_id][stack.environment] = stack
    rows = []
    for tenant_id, tenant in sorted(project.tenants.items()):
        envs = []
        for env in project.environments:
            served_by = serving[tenant_id].get(env)
            if served_by is None:
                continue
            status = statuses.get(served_by.name)
            envs.append(
                TenantEnvironment(
                    environment=env,
                    stack=served_by.name,
                    release=status.current_release if status else None,
                    last=status.last if status else None,
                    drift=drift.get(served_by.name),
                )
            )
        marker = read_move_marker(workspace.state_dir, tenant_id)
        moving = marker["to"] if marker is not None and marker["to"] != tenant.tier else None
        rows.append(
            TenantRow(
                id=tenant_id,
                name=tenant.config.name,
                tier=tenant.tier,
                model=project.tiers[tenant.tier].model,
                environments=tuple(envs),
                moving_to=moving,
            )
        )
    return rows


def describe_last(record: DeploymentRecord | None) -> str:
    if record is None:
        return "-"
    return f"{record.operation} {record.release} {record.status} ({record.stack})"


def _last_json(record: DeploymentRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    when = record.ended_at or record.started_at
    return {
        "stack": record.stack,
        "operation": record.operation,
        "release": record.release,
        "status": record.status,
        "at": when.isoformat(timespec="seconds") + "Z",
        "error": record.error,
    }
