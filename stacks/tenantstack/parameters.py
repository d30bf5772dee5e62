"""The technical parameters of a tier (and what a tenant may override): this program's parameter model.

platform.yaml names it (`program: {parameters: "tenantstack.parameters:TierParameters"}`, the default);
the tool imports it from here to validate tiers/*.yaml `parameters`, `overridable` and tenant overrides,
and the program gets the validated, effective parameters back through stack config (`spec`). The tool
loads this module on its planning path (validate, plan), so it imports only pydantic, never pulumi, and
the package's `__init__` stays empty.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_CPU_RE = re.compile(r"\A([1-9][0-9]{0,5}m|[1-9][0-9]{0,2}(\.[0-9]{1,3})?|0\.[0-9]{1,3})\Z")
_MEMORY_RE = re.compile(r"\A[1-9][0-9]{0,6}(Mi|Gi)\Z")
_IMAGE_RE = re.compile(r"\A[a-z0-9]([a-z0-9._/-]{0,200}[a-z0-9])?(:[0-9]{1,5}/[a-z0-9._/-]+)?\Z")

MAX_CPU_MILLICORES = 64_000
MAX_MEMORY_MIB = 262_144


def cpu_millicores(value: str) -> int:
    """'500m' -> 500, '2' -> 2000, '0.25' -> 250."""
    if value.endswith("m"):
        return int(value[:-1])
    return round(float(value) * 1000)


def memory_mib(value: str) -> int:
    """'512Mi' -> 512, '2Gi' -> 2048."""
    number = int(value[:-2])
    return number * 1024 if value.endswith("Gi") else number


class _Strict(BaseModel):
    # strict: `replicas: "3"` or `dedicated: "no"` are type errors, not silently converted
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Resources(_Strict):
    """Requests and limits of one replica (Kubernetes quantities)."""

    cpu: str = Field("250m", description="CPU per replica, e.g. 250m or 1.5")
    memory: str = Field("256Mi", description="memory per replica, e.g. 512Mi or 2Gi")

    @field_validator("cpu", mode="before")
    @classmethod
    def _cpu_number(cls, value: object) -> object:
        """`cpu: 1` or `cpu: 0.5` in YAML are numbers; they are valid CPU quantities too."""
        if isinstance(value, bool):
            return value
        return str(value) if isinstance(value, int | float) else value

    @field_validator("cpu")
    @classmethod
    def _cpu(cls, value: str) -> str:
        if not _CPU_RE.match(value) or not 0 < cpu_millicores(value) <= MAX_CPU_MILLICORES:
            raise ValueError(f"{value!r} is not a CPU quantity between 1m and 64 (e.g. 250m, 2)")
        return value

    @field_validator("memory")
    @classmethod
    def _memory(cls, value: str) -> str:
        if not _MEMORY_RE.match(value) or not 0 < memory_mib(value) <= MAX_MEMORY_MIB:
            raise ValueError(f"{value!r} is not a memory quantity up to 256Gi (e.g. 512Mi, 2Gi)")
        return value


class Autoscaling(_Strict):
    min_replicas: Annotated[int, Field(ge=1, le=200)] = 1
    max_replicas: Annotated[int, Field(ge=1, le=200)] = 3
    target_cpu_percent: Annotated[int, Field(ge=10, le=95)] = 70

    @model_validator(mode="after")
    def _bounds(self) -> Autoscaling:
        if self.max_replicas < self.min_replicas:
            raise ValueError(
                f"max_replicas ({self.max_replicas}) is below min_replicas ({self.min_replicas})"
            )
        return self


class Storage(_Strict):
    """Where the tenant data lives. `dedicated: false` means a table shared by the pool."""

    engine: Literal["dynamodb", "aurora-postgresql"] = "dynamodb"
    dedicated: bool = False
    billing_mode: Literal["PAY_PER_REQUEST", "PROVISIONED"] = "PAY_PER_REQUEST"
    read_capacity: Annotated[int, Field(ge=1, le=40_000)] | None = None
    write_capacity: Annotated[int, Field(ge=1, le=40_000)] | None = None
    point_in_time_recovery: bool = True
    deletion_protection: bool = True

    @model_validator(mode="after")
    def _capacity(self) -> Storage:
        provisioned = self.billing_mode == "PROVISIONED"
        has_capacity = self.read_capacity is not None and self.write_capacity is not None
        if provisioned and not has_capacity:
            raise ValueError("billing_mode PROVISIONED needs read_capacity and write_capacity")
        if not provisioned and (self.read_capacity or self.write_capacity):
            raise ValueError("read_capacity/write_capacity only apply to billing_mode PROVISIONED")
        if self.engine == "aurora-postgresql" and not self.dedicated:
            raise ValueError("an aurora-postgresql database is always dedicated: set dedicated: true")
        return self


class Queue(_Strict):
    enabled: bool = True
    visibility_timeout_seconds: Annotated[int, Field(ge=0, le=43_200)] = 60
    max_receive_count: Annotated[int, Field(ge=1, le=1000)] = 5


class RateLimit(_Strict):
    requests_per_second: Annotated[int, Field(ge=1, le=1_000_000)] = 50
    burst: Annotated[int, Field(ge=1, le=1_000_000)] = 100

    @model_validator(mode="after")
    def _burst(self) -> RateLimit:
        if self.burst < self.requests_per_second:
            raise ValueError("burst must be at least requests_per_second")
        return self


FeatureName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")]


class TierParameters(_Strict):
    """Everything the stack program needs to know about a tier. Unknown keys are an error."""

    image: str = Field("ghcr.io/example/tenantwave-app", description="container image, tag = release")
    replicas: Annotated[int, Field(ge=1, le=200)] = 2
    resources: Resources = Resources()
    autoscaling: Autoscaling = Autoscaling()
    storage: Storage = Storage()
    queue: Queue = Queue()
    rate_limit: RateLimit = RateLimit()
    features: dict[FeatureName, bool] = Field(default_factory=dict)

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if ":" in value.rsplit("/", 1)[-1] or "@" in value:
            raise ValueError("the image has no tag: the release is its tag")
        if not _IMAGE_RE.match(value):
            raise ValueError(f"{value!r} is not an image repository (e.g. ghcr.io/acme/app)")
        return value

    @model_validator(mode="after")
    def _replicas_within_autoscaling(self) -> TierParameters:
        a = self.autoscaling
        if not a.min_replicas <= self.replicas <= a.max_replicas:
            raise ValueError(
                f"replicas ({self.replicas}) must lie within autoscaling "
                f"min_replicas..max_replicas ({a.min_replicas}..{a.max_replicas})"
            )
        return self
