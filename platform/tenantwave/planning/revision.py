"""Revisions: what the lifecycle promotes is a release *and* the configuration that produces a stack.

A stack's revision is its release plus, as content digests:
- `program`: the stack program's source (`Pulumi.yaml` and every file under `stacks/`);
- `tier`, `tier_config`: its tier and the tier's parameters;
- `overrides`: each tenant it serves that overrides tier parameters, with the digest of its overrides.

Pool membership is not part of a revision: a tenant joining a pool is governed by that tenant's own
progression (the fingerprint still tells a stack whose members changed from one that is done).

Printable id: `<release>+<8 hex digits>` (e.g. `2.0.0+c3f9a2c1`). Derived views of the same
revision, with the same kind of id:
- the *tier revision* (no overrides): what a tier's stacks are promoted at, phase after phase;
- a *tenant revision* (its own overrides only): what a tenant goes through, environment after
  environment. A silo stack's revision is its tenant's revision; a pool stack whose members override
  nothing has its tier's revision.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenantwave.config.models import Project
from tenantwave.planning.inventory import Stack

PROGRAM_FILES = ("Pulumi.yaml",)
PROGRAM_DIR = "stacks"
_SKIPPED_DIRS = frozenset({"__pycache__"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")

TierKey = tuple[str, str, str]  # (program, tier, tier_config)
TenantKey = tuple[str, str, str, str]  # (program, tier, tier_config, overrides digest or "")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _digest(text: str, size: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:size]


@dataclass(frozen=True, slots=True)
class Revision:
    release: str
    program: str
    tier: str
    tier_config: str
    overrides: tuple[tuple[str, str], ...] = ()  # (tenant, digest of its overrides), sorted by tenant

    @property
    def digest(self) -> str:
        """8 hex digits of sha256 over the digests, in a fixed order (ids and digests hold no `|`,
        `,` or `=`): one per revision and stack, so it is kept cheap."""
        overrides = ",".join(f"{tenant}={digest}" for tenant, digest in self.overrides)
        return _digest(f"{self.program}|{self.tier}|{self.tier_config}|{overrides}", 8)

    @property
    def id(self) -> str:
        return f"{self.release}+{self.digest}"

    def config(self) -> dict[str, Any]:
        """The configuration part, as recorded in the ledger (`tw_deployments.config`)."""
        return {
            "program": self.program,
            "tier": self.tier,
            "tier_config": self.tier_config,
            "overrides": dict(self.overrides),
        }

    def config_json(self) -> str:
        """`config()` as recorded in the ledger."""
        return _canonical(self.config())

    @property
    def tier_key(self) -> TierKey:
        return (self.program, self.tier, self.tier_config)

    def tenant_key(self, tenant: str) -> TenantKey:
        return (self.program, self.tier, self.tier_config, dict(self.overrides).get(tenant, ""))

    def of_tier(self) -> Revision:
        return Revision(self.release, self.program, self.tier, self.tier_config)

    def of_tenant(self, tenant: str) -> Revision:
        own = tuple(item for item in self.overrides if item[0] == tenant)
        return Revision(self.release, self.program, self.tier, self.tier_config, own)

    def changes_since(self, earlier: Revision) -> list[str]:
        """What differs from `earlier`, in words ("the stack program", "tier basic's parameters"...)."""
        what: list[str] = []
        if earlier.program != self.program:
            what.append("the stack program")
        if earlier.tier != self.tier or earlier.tier_config != self.tier_config:
            what.append(f"tier {self.tier}'s parameters")
        before, after = dict(earlier.overrides), dict(self.overrides)
        changed = sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))
        if changed:
            what.append(f"the overrides of {_names(changed)}")
        return what

    @classmethod
    def from_config(cls, release: str, config: Mapping[str, Any]) -> Revision | None:
        """The revision recorded as `config` (see `config()`); None if it is not one."""
        try:
            overrides = config.get("overrides") or {}
            return cls(
                release,
                str(config["program"]),
                str(config["tier"]),
                str(config["tier_config"]),
                tuple(sorted((str(t), str(d)) for t, d in overrides.items())),
            )
        except (KeyError, AttributeError, TypeError):
            return None

    @classmethod
    def from_json(cls, release: str, text: str | None) -> Revision | None:
        if not text:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            return None
        return cls.from_config(release, data) if isinstance(data, dict) else None


class Revisions:
    """The revision each stack of a project would deploy at a release (digests computed once)."""

    def __init__(self, project: Project, release: str, program: str | None = None) -> None:
        self.project = project
        self.release = release
        self.program = program if program is not None else program_digest(project.root)
        self._tiers: dict[str, str] = {}
        self._tenants: dict[str, str] = {}
        self._serving: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[Revision, str]] = {}
        self._by_tier: dict[str, dict[tuple[str, ...], tuple[Revision, str]]] = {}  # tier -> tenants -> serving

    def tier_config(self, tier: str) -> str:
        digest = self._tiers.get(tier)
        if digest is None:
            parameters = self.project.tiers[tier].config.parameters.model_dump(mode="json")
            digest = _digest(_canonical(parameters), 16)
            self._tiers[tier] = digest
        return digest

    def overrides(self, tenant: str) -> str:
        """The digest of the tenant's overrides; "" when it overrides nothing."""
        digest = self._tenants.get(tenant)
        if digest is None:
            overrides = self.project.tenants[tenant].config.parameters
            digest = _digest(_canonical(overrides), 16) if overrides else ""
            self._tenants[tenant] = digest
        return digest

    def of(self, stack: Stack) -> Revision:
        return self.serving(stack.tier, stack.tenants)[0]

    def serving(self, tier: str, tenants: tuple[str, ...]) -> tuple[Revision, str]:
        """The revision of a stack of `tier` serving `tenants`, and its id. Stacks with the same
        tier and overrides (most silo tenants override nothing) share one, its digest computed once;
        the answer for a tier and a list of tenants is worked out once (a silo tenant has a stack in
        each of its environments)."""
        by_tenants = self._by_tier.get(tier)
        if by_tenants is None:
            by_tenants = self._by_tier[tier] = {}
        found = by_tenants.get(tenants)
        if found is None:
            found = by_tenants[tenants] = self._shared(tier, tenants)
        return found

    def _shared(self, tier: str, tenants: Sequence[str]) -> tuple[Revision, str]:
        known = self.project.tenants
        if len(tenants) == 1:  # a silo stack: its tenant's overrides, if any
            only = tenants[0]
            digest = self.overrides(only) if only in known else ""
            overrides: tuple[tuple[str, str], ...] = ((only, digest),) if digest else ()
        else:
            overrides = tuple(sorted((t, d) for t in tenants if t in known and (d := self.overrides(t))))
        found = self._serving.get((tier, overrides))
        if found is None:
            revision = Revision(self.release, self.program, tier, self.tier_config(tier), overrides)
            found = self._serving[(tier, overrides)] = (revision, revision.id)
        return found

    def of_tier(self, tier: str) -> Revision:
        return Revision(self.release, self.program, tier, self.tier_config(tier))

    def tenant_key(self, tenant: str) -> TenantKey:
        tier = self.project.tenants[tenant].tier
        return (self.program, tier, self.tier_config(tier), self.overrides(tenant))

    def of_tenant(self, tenant: str) -> Revision:
        program, tier, config, overrides = self.tenant_key(tenant)
        return Revision(self.release, program, tier, config, ((tenant, overrides),) if overrides else ())


_program_cache: dict[Path, tuple[tuple[tuple[str, int, int], ...], str]] = {}


def program_digest(root: Path) -> str:
    """sha256 (16 hex digits) of the stack program's source: Pulumi.yaml and the files under
    stacks/ (not __pycache__ or compiled files), by relative path and content. Recomputed only when
    a file's size or modification time changed."""
    files = _program_files(root)
    signature = tuple((relative, stat.st_size, stat.st_mtime_ns) for relative, _, stat in files)
    cached = _program_cache.get(root)
    if cached is not None and cached[0] == signature:
        return cached[1]
    digest = hashlib.sha256()
    for relative, path, _ in files:
        try:
            content = path.read_bytes()
        except OSError:
            content = b""
        digest.update(relative.encode() + b"\0" + hashlib.sha256(content).digest())
    value = digest.hexdigest()[:16]
    _program_cache[root] = (signature, value)
    return value


def _program_files(root: Path) -> list[tuple[str, Path, os.stat_result]]:
    found: list[tuple[str, Path, os.stat_result]] = []
    for name in PROGRAM_FILES:
        path = root / name
        if path.is_file():
            found.append((name, path, path.stat()))
    base = root / PROGRAM_DIR
    for directory, subdirectories, names in os.walk(base):
        subdirectories[:] = sorted(d for d in subdirectories if d not in _SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(names):
            if name.endswith(_SKIPPED_SUFFIXES) or name.startswith("."):
                continue
            path = Path(directory) / name
            try:
                stat = path.stat()
            except OSError:
                continue
            found.append((path.relative_to(root).as_posix(), path, stat))
    return sorted(found, key=lambda item: item[0])


def _names(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
