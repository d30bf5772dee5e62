"""The ledger: every run and stack deployment, on SQLite (default) or PostgreSQL."""

from tenantwave.ledger.records import (
    Approval,
    Claim,
    DeploymentRecord,
    RunRecord,
    StackStatus,
)
from tenantwave.ledger.store import Ledger, resolve_url

__all__ = [
    "Approval",
    "Claim",
    "DeploymentRecord",
    "Ledger",
    "RunRecord",
    "StackStatus",
    "resolve_url",
]
