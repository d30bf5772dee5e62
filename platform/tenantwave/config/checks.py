"""The configuration of health checks (rollout policy) and before-deploy hooks (tiers).

Documented in docs/health.md. Like the rest of the config:
strict types, unknown keys are errors. A check URL may use the placeholders `{outputs.KEY}`,
`{stack}`, `{environment}`, `{release}`, `{tier}` and `{kind}`; nothing else is expanded.

A command check or hook runs with a minimal environment (`tenantwave.rollout.checkenv`); `pass_env`
names the variables of the tool's environment it gets on top (`AWS_PROFILE`, a token), each once.
The stack's facts (`PLATFORM_*`) are the tool's to set: they cannot be named.
"""

from __future__ import annotations

import re
import string
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CheckName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Argv = Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
EnvName = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
PassEnv = Annotated[list[EnvName], Field(max_length=100)]
FACTS_PREFIX = "PLATFORM_"
URL_FIELDS = frozenset({"stack", "environment", "release", "tier", "kind"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class HttpCheck(_Strict):
    """GET a URL built from the stack's outputs; pass on the expected status (and body match)."""

    kind: Literal["http"]
    name: CheckName
    url: Annotated[str, Field(min_length=1)]
    expect_status: Annotated[int, Field(ge=100, le=599)] = 200
    body_contains: str | None = None
    body_regex: str | None = None
    timeout_seconds: Annotated[float, Field(gt=0, le=300)] = 10
    retries: Annotated[int, Field(ge=0, le=100)] = 0
    retry_delay_seconds: Annotated[float, Field(ge=0, le=600)] = 5

    @field_validator("url")
    @classmethod
    def _known_placeholders(cls, url: str) -> str:
        for field in url_fields(url):
            if field not in URL_FIELDS and not re.fullmatch(r"outputs\.[A-Za-z0-9_-]+", field):
                raise ValueError(
                    f"unknown placeholder {{{field}}} (use {{outputs.KEY}}, "
                    + ", ".join(f"{{{name}}}" for name in sorted(URL_FIELDS))
                    + ")"
                )
        return url

    @field_validator("body_regex")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return pattern


class CommandCheck(_Strict):
    """Run a command (an argv list, no shell) with the stack's facts; pass on exit 0."""

    kind: Literal["command"]
    name: CheckName
    command: Argv
    timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 300
    pass_env: PassEnv = Field(default_factory=list)

    @field_validator("pass_env")
    @classmethod
    def _passable(cls, names: list[str]) -> list[str]:
        return passable(names)


HealthCheck = Annotated[HttpCheck | CommandCheck, Field(discriminator="kind")]


class Hook(_Strict):
    """A command run before a stack of the tier is updated (a backup, a snapshot)."""

    command: Argv
    timeout_seconds: Annotated[float, Field(gt=0, le=86_400)] = 1800
    pass_env: PassEnv = Field(default_factory=list)

    @field_validator("pass_env")
    @classmethod
    def _passable(cls, names: list[str]) -> list[str]:
        return passable(names)


def passable(names: list[str]) -> list[str]:
    """`pass_env` names: each once, none of the stack's facts (PLATFORM_*)."""
    seen: set[str] = set()
    for name in names:
        if name.upper().startswith(FACTS_PREFIX):
            raise ValueError(f"cannot pass {name}: {FACTS_PREFIX}* are the stack's facts, set by the tool")
        if name in seen:
            raise ValueError(f"names {name} twice")
        seen.add(name)
    return names


def url_fields(template: str) -> list[str]:
    """The placeholders of a URL template; a malformed template raises ValueError."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"malformed URL template: {exc} (write a literal brace as {{{{ or }}}})") from None
    return [field for _text, field, _spec, _conv in parsed if field is not None]


def unique_names(checks: list[HttpCheck | CommandCheck] | None) -> list[HttpCheck | CommandCheck] | None:
    """Check names identify results in logs and gate reasons: no two alike in one list."""
    if checks:
        seen: set[str] = set()
        for check in checks:
            if check.name in seen:
                raise ValueError(f"check name {check.name!r} appears twice")
            seen.add(check.name)
    return checks
