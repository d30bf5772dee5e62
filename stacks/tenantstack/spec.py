"""The typed model of a stack's config (namespace `tenantwave`, written by the tool on every run).

Keys (see tenantwave/planning/stackconfig.py): `kind`, `tier`, `environment`, `stack`, `release`,
`tenant` (silo), `parameters` (JSON), `members` (pool, JSON list of {id, parameters}), `target`
(JSON: where the environment deploys, the model of platform.yaml `targets.<env>`), `cluster_name`
(its EKS cluster: Pod Identity associations), and the optional `retain_data` (default true). There is
no default target: a stack config without one is refused, never deployed with ambient settings.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tenantstack.parameters import TierParameters
from tenantwave.config.ids import ID_PATTERN
from tenantwave.config.targets import Target

NAMESPACE = "tenantwave"

Id = Annotated[str, Field(pattern=rf"^{ID_PATTERN}$")]
Release = Annotated[str, Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$")]
StackName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
ClusterName = Annotated[str, Field(pattern=r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")]


class SpecError(ValueError):
    """The stack config is missing a key or holds a value the program cannot use."""


class Member(BaseModel):
    """A tenant served by a pool stack, with its effective parameters (tier + its overrides)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Id
    parameters: TierParameters


class StackSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["pool", "silo"]
    tier: Id
    environment: Id
    stack: StackName
    release: Release
    tenant: Id | None = None
    parameters: TierParameters
    members: tuple[Member, ...] = ()
    retain_data: bool = True
    target: Target
    cluster_name: ClusterName

    @model_validator(mode="after")
    def _identity(self) -> StackSpec:
        if self.cluster_name != self.target.cluster.name:
            raise ValueError(
                f"cluster_name {self.cluster_name!r} is not the target's cluster {self.target.cluster.name!r}"
            )
        if self.kind == "silo" and (self.tenant is None or self.members):
            raise ValueError("a silo stack needs `tenant` and has no `members`")
        if self.kind == "pool" and self.tenant is not None:
            raise ValueError("a pool stack has `members`, not `tenant`")
        ids = [member.id for member in self.members]
        if len(ids) != len(set(ids)):
            raise ValueError("`members` lists a tenant twice")
        return self

    @property
    def unit(self) -> str:
        """The tenant of a silo stack, the tier of a pool stack."""
        return self.tenant if self.tenant is not None else self.tier

    @property
    def tenants(self) -> tuple[str, ...]:
        return (self.tenant,) if self.tenant is not None else tuple(m.id for m in self.members)


_JSON_KEYS = ("parameters", "members", "target")
_BOOL_KEYS = ("retain_data",)
_KEYS = ("kind", "tier", "environment", "stack", "release", "tenant", "cluster_name", *_JSON_KEYS, *_BOOL_KEYS)


def _decode(key: str, raw: str) -> object:
    if key in _BOOL_KEYS:
        if raw.lower() not in ("true", "false"):
            raise SpecError(f"{NAMESPACE}:{key}: expected true or false, got {raw!r}")
        return raw.lower() == "true"
    if key in _JSON_KEYS:
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SpecError(f"{NAMESPACE}:{key}: not valid JSON ({exc.msg})") from None
    return raw


def spec_from_lookup(get: Callable[[str], str | None]) -> StackSpec:
    """Parse the spec from `get(key)` (a key without namespace -> its raw string value, or None)."""
    values = {key: _decode(key, raw) for key in _KEYS if (raw := get(key)) is not None}
    try:
        return StackSpec.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "config"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise SpecError(f"stack config {NAMESPACE}:{where}: {first['msg']}{more}") from None


def spec_from_config(config: Mapping[str, str]) -> StackSpec:
    """Parse the spec from a `namespace:key -> value` mapping (as `stack_config` produces it)."""
    return spec_from_lookup(lambda key: config.get(f"{NAMESPACE}:{key}"))


def load_spec() -> StackSpec:
    """Parse the spec from the running stack's Pulumi config."""
    import pulumi

    config = pulumi.Config(NAMESPACE)
    return spec_from_lookup(config.get)
