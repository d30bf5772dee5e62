"""Typed configuration: platform.yaml, tiers/<id>.yaml, tenants/<id>.yaml, and the whole project.

These are the file formats documented in docs/configuration.md. Unknown keys are an error, never ignored.
Cross-file rules (a tenant's tier exists, its environments are in the lifecycle...) live in
`loader`, which collects every problem before reporting them together.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tenantwave.config.checks import CommandCheck, HealthCheck, Hook, HttpCheck, unique_names
from tenantwave.config.notify import Webhook, unique_labels
from tenantwave.config.program import DEFAULT_PARAMETER_MODEL, check_model_name
from tenantwave.config.rings import RING_TAG, TagKey, TagValue, TenantCount, unique_rings
from tenantwave.config.schedule import Freeze, Window
from tenantwave.config.targets import Target, Targets

DEFAULT_LEDGER_URL = "sqlite:///.platform/ledger.db"
DEFAULT_CONCURRENCY = 8

Id = Annotated[str, Field(min_length=1, max_length=32)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)  # "1" is not a wave, "yes" not a bool


class Phase(_Strict):
    phase: Id
    environments: list[Id]
    optional: bool = False
    minimum: Annotated[int, Field(ge=1)] | None = None

    @property
    def required_count(self) -> int:
        """How many environments of the phase must have the release for the phase to be complete."""
        return self.minimum if self.minimum is not None else len(self.environments)


class WavePolicy(_Strict):
    """Health rules for the stacks of one tier wave of a phase (overrides the phase's)."""

    checks: list[HealthCheck] | None = None  # None: the phase's checks; []: none
    auto_rollback: bool | None = None

    _unique_checks = field_validator("checks")(unique_names)


class RingPolicy(_Strict):
    """Gate and health rules for the waves of one ring of a phase (override the phase's)."""

    approval: bool | None = None
    bake_minutes: Annotated[float, Field(ge=0, le=10_080)] | None = None
    failure_budget: Annotated[int, Field(ge=0)] | None = None
    checks: list[HealthCheck] | None = None
    auto_rollback: bool | None = None

    _unique_checks = field_validator("checks")(unique_names)


class PhasePolicy(_Strict):
    """Rollout rules for the waves of one phase."""

    approval: bool = False
    bake_minutes: Annotated[float, Field(ge=0, le=10_080)] | None = None
    failure_budget: Annotated[int, Field(ge=0)] | None = None
    checks: list[HealthCheck] | None = None  # None: the rollout's checks; []: none
    auto_rollback: bool | None = None
    waves: dict[Annotated[int, Field(ge=1, le=1000)], WavePolicy] = Field(default_factory=dict)  # by tier wave
    rings: dict[Id, RingPolicy] = Field(default_factory=dict)  # by ring (config/rings.py)
    max_tenants_in_flight: TenantCount | None = None  # None: the rollout's

    _unique_checks = field_validator("checks")(unique_names)


class Rollout(_Strict):
    """How waves follow each other (used by `platform up`)."""

    failure_budget: Annotated[int, Field(ge=0)] = 0
    bake_minutes: Annotated[float, Field(ge=0, le=10_080)] = 0
    concurrency: Annotated[int, Field(ge=1, le=256)] = DEFAULT_CONCURRENCY
    phases: dict[Id, PhasePolicy] = Field(default_factory=dict)
    checks: list[HealthCheck] = Field(default_factory=list)  # health checks of every phase
    auto_rollback: bool = False  # roll a wave's failed or unhealthy stacks back after the wave
    rings: list[Id] | None = None  # in order; None: one ring (config/rings.py)
    max_tenants_in_flight: TenantCount | None = None  # None: no cap
    max_tenants_per_run: Annotated[int, Field(ge=1)] | None = None  # None: no cap

    _unique_checks = field_validator("checks")(unique_names)
    _unique_rings = field_validator("rings")(unique_rings)

    def for_phase(self, phase: str, ring: str | None = None) -> ResolvedPolicy:
        """The phase's policy, with what ring `ring` of the phase sets over it."""
        own = self.phases.get(phase, PhasePolicy())
        policy = ResolvedPolicy(
            approval=own.approval,
            bake_minutes=own.bake_minutes if own.bake_minutes is not None else self.bake_minutes,
            failure_budget=(
                own.failure_budget if own.failure_budget is not None else self.failure_budget
            ),
            checks=tuple(own.checks if own.checks is not None else self.checks),
            auto_rollback=own.auto_rollback if own.auto_rollback is not None else self.auto_rollback,
            max_tenants_in_flight=(
                own.max_tenants_in_flight if own.max_tenants_in_flight is not None else self.max_tenants_in_flight
            ),
        )
        ring_policy = own.rings.get(ring) if ring is not None else None
        if ring_policy is None:
            return policy
        overrides = ring_policy.model_dump(exclude_none=True, exclude={"checks"})
        if ring_policy.checks is not None:
            overrides["checks"] = tuple(ring_policy.checks)
        return replace(policy, **overrides)

    def for_wave(self, phase: str, tier_wave: int, ring: str | None = None) -> ResolvedPolicy:
        """The phase's (and ring's) policy with the checks and auto_rollback of its tier wave, where it sets them."""
        policy = self.for_phase(phase, ring)
        own = self.phases.get(phase, PhasePolicy()).waves.get(tier_wave)
        if own is None:
            return policy
        return replace(
            policy,
            checks=tuple(own.checks) if own.checks is not None else policy.checks,
            auto_rollback=own.auto_rollback if own.auto_rollback is not None else policy.auto_rollback,
        )


@dataclass(frozen=True)
class ResolvedPolicy:
    approval: bool
    bake_minutes: float
    failure_budget: int
    checks: tuple[HttpCheck | CommandCheck, ...] = ()
    auto_rollback: bool = False
    max_tenants_in_flight: int | str | None = None  # a number or "N%" of the phase's tenants (config/rings.py)


class ProgramConfig(_Strict):
    """The stack program: the pydantic model (`module:Class`, importable from the program directory)
    that tiers/*.yaml `parameters` and tenant overrides are validated against."""

    parameters: str = DEFAULT_PARAMETER_MODEL

    _name = field_validator("parameters")(check_model_name)


class PlatformConfig(_Strict):
    lifecycle: list[Phase]
    require_tenant: bool = False
    rollout: Rollout = Rollout()
    ledger: str = DEFAULT_LEDGER_URL
    engine: str = "pulumi"
    backend: str | None = Field(None, description="Pulumi backend URL; default: file backend in .platform/state")
    program: ProgramConfig = ProgramConfig()
    targets: Targets = Field(default_factory=dict)  # environment -> where it deploys (config/targets.py)
    freezes: dict[Id, Freeze] = Field(default_factory=dict)  # name -> no deployment inside it (config/schedule.py)
    notify: list[Webhook] = Field(default_factory=list)  # webhooks told about runs (config/notify.py)

    _unique_webhooks = field_validator("notify")(unique_labels)

    @field_validator("lifecycle")
    @classmethod
    def _non_empty(cls, lifecycle: list[Phase]) -> list[Phase]:
        if not lifecycle:  # reported on the `lifecycle` field, not on the file as a whole
            raise ValueError("the lifecycle is empty: list at least one phase")
        return lifecycle


class TierConfig(_Strict):
    model: Literal["pool", "silo"]
    wave: Annotated[int, Field(ge=1, le=1000)]
    environments: list[Id] | None = None
    overridable: list[str] = Field(default_factory=list, description="parameters a tenant may override")
    # An instance of the program's parameter model: the loader validates tiers with a subclass of
    # TierConfig whose `parameters` is that model (tenantwave.config.parameters.tier_config_model).
    parameters: BaseModel
    description: str | None = None
    before_deploy: Hook | None = None  # runs before each stack of the tier is updated
    windows: list[Window] = Field(default_factory=list)  # its tenants' default maintenance windows (config/schedule.py)


class TenantConfig(_Strict):
    tier: Id
    environments: list[Id]
    wave: Annotated[int, Field(ge=1, le=1000)] | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    name: str | None = Field(None, max_length=200, description="display name")
    windows: list[Window] | None = None  # maintenance windows; None: the tier's, []: any time (config/schedule.py)
    tags: dict[TagKey, TagValue] = Field(default_factory=dict)  # e.g. {ring: early} (config/rings.py)


@dataclass(frozen=True)
class Tier:
    id: str
    config: TierConfig
    environments: tuple[str, ...]  # resolved: the tier's own list, or every environment

    @property
    def model(self) -> str:
        return self.config.model

    @property
    def wave(self) -> int:
        return self.config.wave


@dataclass(frozen=True)
class Tenant:
    id: str
    config: TenantConfig
    parameters: BaseModel  # effective: tier parameters with the tenant's overrides (the program's model)

    @property
    def tier(self) -> str:
        return self.config.tier

    @property
    def environments(self) -> tuple[str, ...]:
        return tuple(self.config.environments)

    @property
    def ring_tag(self) -> str | None:
        """The ring its tags name, if any."""
        return self.config.tags.get(RING_TAG)


@dataclass(frozen=True)
class Project:
    """A whole, valid project: everything the planning path needs, read once."""

    root: Path
    platform: PlatformConfig
    tiers: dict[str, Tier]
    tenants: dict[str, Tenant]
    warnings: tuple[str, ...] = field(default=())

    @cached_property
    def environments(self) -> tuple[str, ...]:
        return tuple(env for phase in self.platform.lifecycle for env in phase.environments)

    @cached_property
    def phase_of(self) -> dict[str, tuple[int, Phase]]:
        """environment -> (phase index, phase)."""
        return {
            env: (index, phase)
            for index, phase in enumerate(self.platform.lifecycle)
            for env in phase.environments
        }

    @cached_property
    def phase_by_name(self) -> dict[str, Phase]:
        return {phase.phase: phase for phase in self.platform.lifecycle}

    def target(self, environment: str) -> Target:
        """Where `environment` deploys. Every environment with a stack has one (the loader checks it)."""
        return self.platform.targets[environment]

    @cached_property
    def environments_in_use(self) -> tuple[str, ...]:
        """Environments with at least one stack: a pool tier offered there or a silo tenant connected."""
        used = {env for tier in self.tiers.values() if tier.model == "pool" for env in tier.environments}
        models = {name: tier.model for name, tier in self.tiers.items()}
        every = set(self.environments)
        for tenant in self.tenants.values():
            if models[tenant.config.tier] == "silo":
                used.update(tenant.config.environments)
                if len(used) >= len(every) and used >= every:
                    break  # every environment is in use: no other tenant changes the answer
        return tuple(env for env in self.environments if env in used)
