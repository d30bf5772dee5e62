"""Cross-file rules about deployment targets (platform.yaml `targets`), used by the loader.

- Every key of `targets` is an environment of the lifecycle.
- Every environment with a stack (a pool tier offered there, a silo tenant connected) has a target:
  the stack program has no ambient default, so a stack without one is a validation error.
- An environment of the lifecycle with no stack and no target is a warning: the first tier or tenant
  there will need one.
- An environment id never holds the word `pool` or `silo` between its '-': resource names are
  `tw-<env>-<kind>-<unit>`, unambiguous only while the first such word after the prefix is the kind.
"""

from __future__ import annotations

from collections.abc import Collection

from tenantwave.config.models import PlatformConfig, Project
from tenantwave.errors import Problem

PLATFORM_FILE = "platform.yaml"
RESERVED_ENVIRONMENT_WORDS = frozenset({"pool", "silo"})
TARGET_FIELDS = "aws.region, aws.role_arn and cluster.name"


def reserved_word_problem(environment: str) -> str | None:
    """Why a (valid) environment id cannot be used in resource names, or None."""
    reserved = sorted(RESERVED_ENVIRONMENT_WORDS.intersection(environment.split("-")))
    if not reserved:
        return None
    return (
        f"environment {environment!r} holds the word {reserved[0]!r}, reserved in environment ids "
        "(resource names tw-<environment>-<pool|silo>-<unit> would be ambiguous): rename it"
    )


def unknown_targets(config: PlatformConfig, environments: Collection[str]) -> list[Problem]:
    known = ", ".join(environments)
    return [
        Problem(PLATFORM_FILE, f"targets.{name}", f"no environment {name!r} in the lifecycle ({known})")
        for name in config.targets
        if name not in environments
    ]


def missing_targets(project: Project) -> list[Problem]:
    """An environment with stacks must say where it deploys."""
    return [
        Problem(
            PLATFORM_FILE,
            f"targets.{env}",
            f"missing: environment {env!r} has stacks but no target; add targets.{env} with {TARGET_FIELDS} "
            '(see docs/targets.md)',
        )
        for env in project.environments_in_use
        if env not in project.platform.targets
    ]


def untargeted_warnings(project: Project) -> list[str]:
    in_use = set(project.environments_in_use)
    return [
        f"{PLATFORM_FILE}: targets.{env}: environment {env!r} has no target; it has no stacks now, but the "
        f"first tier or tenant there will need one ({TARGET_FIELDS})"
        for env in project.environments
        if env not in in_use and env not in project.platform.targets
    ]
