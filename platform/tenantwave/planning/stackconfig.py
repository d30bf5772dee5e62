"""The Pulumi stack config the tool derives for each stack, and its fingerprint.

The stack program in stacks/ reads exactly these keys (namespace `tenantwave`): its identity (`kind`,
`tier`, `environment`, `stack`, `tenant` or `members`), `parameters`, `release`, and where it deploys:
`target` (the environment's target from platform.yaml, JSON) and `cluster_name` (its EKS cluster, for
Pod Identity). `pulumi:disable-default-providers` is `["*"]`: a resource the program declared without
its explicit provider fails instead of deploying with ambient credentials or region. They are written
by the tool on every run and never edited by hand. The fingerprint (a hash of everything but the
release) tells whether a stack already on a release still needs an update because its configuration
(target included) changed since.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from typing import Any

from tenantwave.config.models import Project
from tenantwave.config.targets import stack_target
from tenantwave.planning.inventory import Stack

NAMESPACE = "tenantwave"
DISABLE_DEFAULT_PROVIDERS = ("pulumi:disable-default-providers", '["*"]')


def stack_settings(project: Project, stack: Stack) -> dict[str, Any]:
    """Identity and parameters of `stack`, as plain JSON-able data (no release)."""
    target = project.target(stack.environment)
    settings: dict[str, Any] = {
        "kind": stack.kind,
        "tier": stack.tier,
        "environment": stack.environment,
        "stack": stack.name,
        "target": stack_target(target),
        "cluster_name": target.cluster.name,
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
    config = {
        f"{NAMESPACE}:{key}": value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        for key, value in settings.items()
    }
    key, value = DISABLE_DEFAULT_PROVIDERS
    config[key] = value
    return config


def fingerprint(project: Project, stack: Stack) -> str:
    """sha256 of the canonical JSON of `stack_settings` (sorted keys, no spaces), shortened.

    Built from each tenant's and tier's parameters encoded once per project (a pool stack lists
    every member's parameters, a silo tenant has a stack per environment): the same text, byte
    for byte, as encoding `stack_settings` whole, in time linear in the fleet."""
    return _encoder(project).fingerprint(stack)


_string: Callable[[str], str] = encode_basestring_ascii  # what json.dumps does with a str


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class _Encoder:
    """Canonical JSON of stack settings for one project, with each parameter set encoded once."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._parameters: dict[int, str] = {}  # id of a TierParameters the project holds -> JSON
        self._tiers: dict[str, str] = {}
        self._targets: dict[str, str] = {}
        self._fingerprints: dict[str, tuple[Stack, str]] = {}  # name -> (the stack, kept alive; fingerprint)

    def target(self, environment: str) -> str:
        text = self._targets.get(environment)
        if text is None:
            text = _canonical(stack_target(self.project.target(environment)))
            self._targets[environment] = text
        return text

    def tenant_parameters(self, tenant_id: str) -> str:
        parameters = self.project.tenants[tenant_id].parameters
        text = self._parameters.get(id(parameters))  # tenants without overrides share the tier's
        if text is None:
            text = _canonical(parameters.model_dump(mode="json"))
            self._parameters[id(parameters)] = text
        return text

    def tier_parameters(self, tier_id: str) -> str:
        text = self._tiers.get(tier_id)
        if text is None:
            text = _canonical(self.project.tiers[tier_id].config.parameters.model_dump(mode="json"))
            self._tiers[tier_id] = text
        return text

    def canonical(self, stack: Stack) -> str:
        """`_canonical(stack_settings(project, stack))`, keys in sorted order."""
        cluster = self.project.target(stack.environment).cluster.name
        head = (
            f'{{"cluster_name":{_string(cluster)},"environment":{_string(stack.environment)},'
            f'"kind":{_string(stack.kind)},'
        )
        tail = f'"stack":{_string(stack.name)},"target":{self.target(stack.environment)},'
        if stack.kind == "silo":
            assert stack.tenant is not None
            return (
                f'{head}"parameters":{self.tenant_parameters(stack.tenant)},{tail}'
                f'"tenant":{_string(stack.tenant)},"tier":{_string(stack.tier)}}}'
            )
        members = ",".join(
            f'{{"id":{_string(tenant_id)},"parameters":{self.tenant_parameters(tenant_id)}}}'
            for tenant_id in stack.tenants
        )
        return (
            f'{head}"members":[{members}],"parameters":{self.tier_parameters(stack.tier)},{tail}'
            f'"tier":{_string(stack.tier)}}}'
        )

    def fingerprint(self, stack: Stack) -> str:
        """Once per stack object: a plan asks for a stack's twice (a success recorded without its
        revision, then whether the stack is done)."""
        known = self._fingerprints.get(stack.name)
        if known is not None and known[0] is stack:
            return known[1]
        value = hashlib.sha256(self.canonical(stack).encode()).hexdigest()[:16]
        self._fingerprints[stack.name] = (stack, value)
        return value


_last: _Encoder | None = None


def _encoder(project: Project) -> _Encoder:
    """The encoder of `project`: the last one made, while the project is the same object
    (projects are immutable once loaded)."""
    global _last
    encoder = _last
    if encoder is None or encoder.project is not project:
        encoder = _Encoder(project)
        _last = encoder
    return encoder
