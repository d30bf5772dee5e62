"""Rings and the blast radius counted in tenants: their configuration types and cross-file checks.

Documented in docs/lifecycle.md ("Rings" and "Blast radius in tenants").

- `rollout.rings` lists the rings in order (e.g. `[internal, early, general]`); a tenant joins one with
  the tag `ring: NAME` (`tags` in its file); a tenant without one is in the last ring. No `rings`:
  one ring, no tag may name one.
- A tenant count (`max_tenants_in_flight`) is a whole number >= 1 or a percentage `"N%"` (0 < N <= 100)
  of the tenants a phase serves; `tenant_limit` turns it into a number of tenants (at least 1).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field

from tenantwave.config.ids import id_problem
from tenantwave.errors import Problem

if TYPE_CHECKING:
    from tenantwave.config.models import Project

RING_TAG = "ring"
PLATFORM_FILE = "platform.yaml"
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")

TagKey = Annotated[str, Field(min_length=1, max_length=63, pattern=r"^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$")]
TagValue = Annotated[str, Field(min_length=1, max_length=63)]


def _tenant_count(value: Any) -> int | str:
    """A whole number >= 1, or a percentage "N%" with 0 < N <= 100 (kept as written)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"expected a number of tenants or a percentage like \"10%\", got {value!r}")
    if isinstance(value, int):
        if value < 1:
            raise ValueError(f"{value} tenants would let nothing deploy: give at least 1, or a percentage like \"10%\"")
        return value
    match = _PERCENT.match(value)
    if match is None:
        raise ValueError(f"{value!r} is neither a number of tenants nor a percentage like \"10%\"")
    percent = float(match.group(1))
    if not 0 < percent <= 100:
        raise ValueError(f"{value!r}: a percentage must be above 0% and at most 100%")
    return f"{match.group(1)}%"


TenantCount = Annotated[int | str, BeforeValidator(_tenant_count)]


def tenant_limit(count: int | str, tenants: int) -> int:
    """How many tenants `count` allows among `tenants`: the number itself, or the percentage of
    `tenants` rounded down, and never less than 1 (a percentage always lets one tenant through)."""
    if isinstance(count, int):
        return count
    percent = float(count.rstrip("%"))
    return max(1, math.floor(tenants * percent / 100 + 1e-9))


def unique_rings(rings: list[str] | None) -> list[str] | None:
    """`rollout.rings`: not empty, each ring once."""
    if rings is None:
        return None
    if not rings:
        raise ValueError("no rings listed: list at least one, or remove `rings` for a single ring")
    seen: set[str] = set()
    for ring in rings:
        if ring in seen:
            raise ValueError(f"ring {ring!r} is listed twice")
        seen.add(ring)
    return rings


def ring_problems(project: Project) -> list[Problem]:
    """Rings named where none is defined: `rollout.phases.P.rings.R` and each tenant's `tags.ring`."""
    rollout = project.platform.rollout
    phase_rings = {name: list(policy.rings) for name, policy in rollout.phases.items()}
    tags = {tenant.id: tenant.config.tags for tenant in project.tenants.values() if tenant.config.tags}  # others: none
    return _ring_problems(project.root, rollout.rings, phase_rings, tags)


def _ring_problems(
    root: Path,
    rings: Sequence[str] | None,
    phase_rings: Mapping[str, Sequence[str]],
    tags: Mapping[str, Mapping[str, str]],
) -> list[Problem]:
    known = list(rings or ())
    problems = [
        Problem(PLATFORM_FILE, f"rollout.rings[{index}]", why)
        for index, ring in enumerate(known)
        if (why := id_problem(ring)) is not None
    ]
    problems += [
        Problem(PLATFORM_FILE, f"rollout.phases.{phase}.rings.{ring}", _unknown(ring, known))
        for phase, configured in phase_rings.items()
        for ring in configured
        if ring not in known
    ]
    for tenant, tenant_tags in tags.items():
        ring = tenant_tags.get(RING_TAG)
        if ring is not None and ring not in known:
            problems.append(Problem(_tenant_file(root, tenant), f"tags.{RING_TAG}", _unknown(ring, known)))
    return problems


def _unknown(ring: str, known: list[str]) -> str:
    if not known:
        return (
            f"unknown ring {ring!r}: {PLATFORM_FILE} defines no rings; list them in order in rollout.rings "
            f"(e.g. [{ring}, general]) or remove this"
        )
    return (
        f"unknown ring {ring!r} (rollout.rings: {', '.join(known)}); use one of them "
        f"or add {ring!r} to rollout.rings in {PLATFORM_FILE}"
    )


def _tenant_file(root: Path, tenant: str) -> str:
    """The tenant's file as the other problems name it (`.yaml`, or `.yml` where that is the one)."""
    if (root / "tenants" / f"{tenant}.yml").is_file() and not (root / "tenants" / f"{tenant}.yaml").is_file():
        return f"tenants/{tenant}.yml"
    return f"tenants/{tenant}.yaml"
