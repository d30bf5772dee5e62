"""The Pulumi stack config the tool derives for each stack, and its fingerprint.

The stack program in stacks/ reads exactly these keys (namespace `tenantwave`). They are written
by the tool on every run and never edited by hand. The fingerprint (a hash of everything but the
release) tells whether a stack already on a release still needs an update because its
configuration changed since.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tenantwave.config import Project
from tenantwave.inventory import Stack

NAMESPACE = "tenantwave"


def stack_settings(project: Project, stack: Stack) -> dict[str, Any]:
    """Identity and parameters of `stack`, as plain JSON-able data (no release)."""
    settings: dict[str, Any] = {
        "kind": stack.kind,
        "tier": stack.tier,
        "environment": stack.environment,
        "stack": stack.name,
    }
    if stack.kind == "silo":
        assert stack.tenant is not None
        settings["tenant"] = stack.tenant
        settings["parameters"] = project.tenants[stack.tenant].parameters.model_dump(mode="json")
    else:
        settings["parameters"] = project.tiers[stack.tier].config.parameters.model_dump(mode="json")
        settings["members"] = [
            {"id": tenant_id, "parameters": project.tenants[tenant_id].parameters.model_dump(mode="json")}
            for tenant_id in stack.tenants
        ]
    return settings


def stack_config(project: Project, stack: Stack, release: str) -> dict[str, str]:
    """`namespace:key` -> string value, as the engine sets them on the Pulumi stack."""
    settings = stack_settings(project, stack)
    settings["release"] = release
    return {
        f"{NAMESPACE}:{key}": value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        for key, value in settings.items()
    }


def fingerprint(project: Project, stack: Stack) -> str:
    canonical = json.dumps(stack_settings(project, stack), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
