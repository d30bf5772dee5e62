"""The stack program: read the stack config, build a pool or silo stack, export its outputs.

Outputs (what onboarding and a status page need): `endpoint` (in-cluster service address),
`namespace`, `table_name`/`table_arn` (or `database_endpoint`/`database_arn` for Aurora),
`role_arns` (tenant -> IAM role ARN), `region` (the target's), `queue_url` when the tier has a
queue; a pool also exports `members` and `workload_role_arn`.

Every resource is declared with the explicit providers built from the stack's target (providers.py).
"""

from __future__ import annotations

from typing import Any

import pulumi

from tenantstack.pool import build_pool
from tenantstack.providers import build_providers
from tenantstack.silo import build_silo
from tenantstack.spec import StackSpec, load_spec


def build(spec: StackSpec) -> dict[str, Any]:
    """Declare the resources of the stack `spec` describes; returns its outputs."""
    providers = build_providers(spec)
    return build_silo(spec, providers) if spec.kind == "silo" else build_pool(spec, providers)


def main() -> None:
    for name, value in build(load_spec()).items():
        pulumi.export(name, value)
