"""Which stacks a change affects, and why: from the changed files and both revisions' configuration.

Rules (paths relative to the project root):

- `tiers/<id>.yaml`: every stack of tier <id>, in the base and in the head (pool and silo);
- `tenants/<id>.yaml`: every stack that serves tenant <id> in the base or in the head: its silo
  stacks, and the pool stacks it is a member of, including the ones it leaves (it moves to another
  tier, or disconnects from an environment) and the ones it joins;
- `platform.yaml`, `Pulumi.yaml`, anything under `stacks/` (the program) or a dependency file
  (`pyproject.toml`, `requirements*.txt`, lock files...): every stack of either revision;
- anything else (README, the tool's own source, tests) affects no stack.

A stack exists in the base, the head, or both; one that exists only in the base is removed by the
change, one only in the head is added. Pure: no git, no pulumi.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from tenantwave.config.models import Project
from tenantwave.planning.inventory import Stack, build_inventory

GLOBAL_FILES = {"platform.yaml": "platform.yaml changed", "Pulumi.yaml": "Pulumi.yaml changed"}
PROGRAM_DIR = "stacks"
DEPENDENCY_PATTERNS = (
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "requirements*.txt",
    "constraints*.txt",
    "uv.lock",
    "poetry.lock",
    "Pipfile",
    "Pipfile.lock",
)
CONFIG_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class AffectedStack:
    """A stack the change touches: its definition in each revision (None where it does not exist)."""

    name: str
    base: Stack | None
    head: Stack | None
    reasons: tuple[str, ...]

    @property
    def stack(self) -> Stack:
        stack = self.head or self.base
        assert stack is not None
        return stack

    @property
    def presence(self) -> str:
        """`both`, `added` (only in the head) or `removed` (only in the base)."""
        if self.base is None:
            return "added"
        return "removed" if self.head is None else "both"


@dataclass
class _Reasons:
    order: list[str] = field(default_factory=list)
    by_stack: dict[str, list[str]] = field(default_factory=dict)

    def add(self, stack: str, reason: str) -> None:
        if stack not in self.by_stack:
            self.order.append(stack)
            self.by_stack[stack] = []
        if reason not in self.by_stack[stack]:
            self.by_stack[stack].append(reason)


def global_reasons(paths: Iterable[str]) -> list[str]:
    """The reasons that affect every stack: platform.yaml, Pulumi.yaml, the program, dependencies."""
    reasons: list[str] = []
    program = sorted(p for p in paths if PurePosixPath(p).parts[:1] == (PROGRAM_DIR,))
    for path in sorted(paths):
        if path in GLOBAL_FILES:
            reasons.append(GLOBAL_FILES[path])
        elif any(fnmatch.fnmatchcase(path, pattern) for pattern in DEPENDENCY_PATTERNS):
            reasons.append(f"dependencies changed ({path})")
    if program:
        shown = ", ".join(program[:3]) + (f" and {len(program) - 3} more" if len(program) > 3 else "")
        reasons.append(f"the stack program changed ({shown})")
    return reasons


def _config_id(path: str, folder: str) -> str | None:
    parts = PurePosixPath(path).parts
    if len(parts) == 2 and parts[0] == folder and parts[1].endswith(CONFIG_SUFFIXES):
        return PurePosixPath(parts[1]).stem
    return None


def _serves(stack: Stack, tenant: str) -> bool:
    return tenant in stack.tenants


def _tier_reason(tier: str, path: str, base: Project | None, head: Project | None) -> str:
    in_base = base is not None and tier in base.tiers
    in_head = head is not None and tier in head.tiers
    verb = "changed" if in_base and in_head else ("added" if in_head else "removed")
    return f"tier {tier} {verb} ({path})"


def _tenant_move(tenant: str, base: Project | None, head: Project | None) -> str:
    """How the tenant's placement changed: a tier move, environments connected or disconnected."""
    old = base.tenants.get(tenant) if base is not None else None
    new = head.tenants.get(tenant) if head is not None else None
    if old is None or new is None:
        return "added" if old is None else "removed"
    if old.tier != new.tier:
        return f"moves from tier {old.tier} to tier {new.tier}"
    joined = [env for env in new.environments if env not in old.environments]
    left = [env for env in old.environments if env not in new.environments]
    parts = [f"connects to {', '.join(joined)}"] if joined else []
    parts += [f"disconnects from {', '.join(left)}"] if left else []
    return " and ".join(parts) or "changed"


def _tenant_reason(tenant: str, path: str, stack_name: str, serves: tuple[bool, bool], move: str) -> str:
    in_base, in_head = serves
    if move in ("added", "removed"):
        return f"tenant {tenant} {move} ({path})"
    if in_base and in_head:
        return f"tenant {tenant} changed ({path})"
    verb = "joins" if in_head else "leaves"
    where = "the pool" if ".pool." in stack_name else "this environment"
    return f"tenant {tenant} {verb} {where}: it {move} ({path})"


def affected_stacks(changed: Sequence[str], base: Project | None, head: Project | None) -> list[AffectedStack]:
    """The stacks `changed` (paths relative to the project root) affects, in head plan order, then
    the stacks only the base has, in base plan order; each with its reasons."""
    base_stacks = {s.name: s for s in build_inventory(base)} if base is not None else {}
    head_stacks = {s.name: s for s in build_inventory(head)} if head is not None else {}
    everything = [*head_stacks.values(), *(s for n, s in base_stacks.items() if n not in head_stacks)]
    reasons = _Reasons()
    for reason in global_reasons(changed):
        for stack in everything:
            reasons.add(stack.name, reason)
    for path in changed:
        tier = _config_id(path, "tiers")
        if tier is not None:
            text = _tier_reason(tier, path, base, head)
            for stack in everything:
                if stack.tier == tier or base_stacks.get(stack.name, stack).tier == tier:
                    reasons.add(stack.name, text)
        tenant = _config_id(path, "tenants")
        if tenant is not None:
            move = _tenant_move(tenant, base, head)
            for stack in everything:
                serves = (
                    stack.name in base_stacks and _serves(base_stacks[stack.name], tenant),
                    stack.name in head_stacks and _serves(head_stacks[stack.name], tenant),
                )
                if any(serves):
                    reasons.add(stack.name, _tenant_reason(tenant, path, stack.name, serves, move))
    rank = {stack.name: position for position, stack in enumerate(everything)}
    return [
        AffectedStack(name, base_stacks.get(name), head_stacks.get(name), tuple(reasons.by_stack[name]))
        for name in sorted(reasons.order, key=rank.__getitem__)
    ]


def ignored_files(changed: Sequence[str]) -> list[str]:
    """Changed paths that affect no stack (documentation, the tool's own code, tests...)."""
    return [
        path
        for path in changed
        if not global_reasons([path]) and _config_id(path, "tiers") is None and _config_id(path, "tenants") is None
    ]
