"""Fleet status: per stack, the release it runs and its last result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tenantwave.config.models import Project
from tenantwave.ledger.driftreads import DriftMark
from tenantwave.planning.inventory import build_inventory

if TYPE_CHECKING:
    from tenantwave.ledger import Ledger


@dataclass(frozen=True)
class StackState:
    name: str
    environment: str
    kind: str
    tier: str
    tenants: tuple[str, ...]
    current_release: str | None
    last_release: str | None
    last_operation: str | None
    last_status: str | None
    last_at: str | None
    last_error: str | None
    in_config: bool  # False: the ledger knows the stack but the configuration no longer has it
    current_revision: str | None = None  # the revision it runs (release+digest), when recorded
    drift: DriftMark | None = None  # drift found since its deployment (`platform drift`), if any

    @property
    def retired(self) -> bool:
        """Gone for good: no longer in the configuration, and its last operation destroyed it.
        (A stack out of the configuration that still runs something is not retired: it needs care.)"""
        return not self.in_config and self.last_operation == "destroy" and self.last_status == "succeeded"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "environment": self.environment,
            "kind": self.kind,
            "tier": self.tier,
            "tenants": list(self.tenants),
            "current_release": self.current_release,
            "current_revision": self.current_revision,
            "last": None
            if self.last_status is None
            else {
                "release": self.last_release,
                "operation": self.last_operation,
                "status": self.last_status,
                "at": self.last_at,
                "error": self.last_error,
            },
            "in_config": self.in_config,
            "drift": self.drift.to_json() if self.drift is not None else None,
        }


def fleet_status(project: Project, ledger: Ledger) -> list[StackState]:
    recorded = {status.stack: status for status in ledger.status()}
    drift = ledger.drift_marks()
    states: list[StackState] = []
    for stack in build_inventory(project):
        status = recorded.pop(stack.name, None)
        last = status.last if status else None
        states.append(
            StackState(
                name=stack.name,
                environment=stack.environment,
                kind=stack.kind,
                tier=stack.tier,
                tenants=stack.tenants,
                current_release=status.current_release if status else None,
                last_release=last.release if last else None,
                last_operation=last.operation if last else None,
                last_status=last.status if last else None,
                last_at=_when(last.ended_at or last.started_at) if last else None,
                last_error=last.error if last else None,
                in_config=True,
                current_revision=status.current_revision if status else None,
                drift=drift.get(stack.name),
            )
        )
    for name, status in sorted(recorded.items()):
        last = status.last
        assert last is not None
        states.append(
            StackState(
                name=name,
                environment=last.environment,
                kind=last.kind,
                tier=last.tier,
                tenants=last.tenants,
                current_release=status.current_release,
                last_release=last.release,
                last_operation=last.operation,
                last_status=last.status,
                last_at=_when(last.ended_at or last.started_at),
                last_error=last.error,
                in_config=False,
                current_revision=status.current_revision,
                drift=drift.get(name),
            )
        )
    return states


def _when(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None
