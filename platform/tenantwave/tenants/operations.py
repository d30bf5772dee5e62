"""Planning tenant operations (add, remove, move): which file changes, which stacks are created,
updated or destroyed, at which release, in what order. Reads files and the ledger, changes nothing;
`tenants.execution` carries a plan out.

- add: the file is written first; then, environment by environment in lifecycle order, the stack
  that will serve the tenant is deployed (its pool stack updated with it as a member, or its own
  silo stack created) at the release that environment runs.
- remove (offboarding): environment by environment, the latest phase first (production before
  staging), the tenant's silo stacks are destroyed and its pool stacks updated without it; the file
  is deleted last, once every stack succeeded.
- move: environment by environment in lifecycle order, the stack of the new tier is deployed with the
  tenant and only then the old one stops serving it (silo destroyed, pool updated without it); the
  file is rewritten last, once every environment moved.

Progress is read from the ledger (`tenants.serving`), so the same plan recomputed after an
interruption marks the finished steps done and resumes with the first one that is not.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tenantwave.config.ids import id_problem
from tenantwave.config.loader import CONFIG_SUFFIXES, load_project
from tenantwave.config.models import Project
from tenantwave.config.suggestions import did_you_mean
from tenantwave.errors import UsageError
from tenantwave.planning.inventory import Stack, build_inventory, recorded_stack, stack_name
from tenantwave.planning.stackconfig import fingerprint
from tenantwave.planning.workspace import Workspace
from tenantwave.tenants.files import TENANTS_DIR, existing_file, new_tenant_text, shown, tenant_path, with_tier
from tenantwave.tenants.serving import EnvironmentReleases, StackFacts, stack_facts

STATE_DIR = ".platform"  # the tool's own files in a project (ledger, logs, caches): never part of a candidate

Action = Literal["create", "update", "destroy"]
Operation = Literal["add", "remove", "move"]


@dataclass(frozen=True)
class StackStep:
    action: Action
    stack: Stack  # for create/update: the stack as the project after the change defines it
    release: str | None  # None: nothing runs in that environment yet, so there is nothing to do now
    why: str
    done: bool = False

    @property
    def pending(self) -> bool:
        return not self.done and self.release is not None


@dataclass(frozen=True)
class FileChange:
    path: Path
    shown: str  # relative to the project
    action: Literal["write", "rewrite", "delete"]
    text: str | None  # the new content (write, rewrite)
    first: bool  # True: before the stacks (add); False: after every stack succeeded (remove, move)


@dataclass(frozen=True)
class TenantPlan:
    operation: Operation
    tenant: str
    file: FileChange | None  # None: the file already says what the operation wants
    steps: tuple[StackStep, ...]
    notes: tuple[str, ...]
    before: Project  # the project as it is
    after: Project  # the project once the file change is made
    tier: str | None = None  # add, move: the tier the tenant ends up on

    @property
    def pending(self) -> list[StackStep]:
        return [step for step in self.steps if step.pending]

    @property
    def destructive(self) -> bool:
        """Offboarding, or any step that destroys a stack: needs --yes without a terminal."""
        return self.operation == "remove" or any(s.action == "destroy" for s in self.pending)


# -- the project as it would be ----------------------------------------------------------------


def project_with(root: Path, tenant_id: str, text: str | None) -> Project:
    """The project at `root` as it would be if tenants/<id>.yaml held `text` (None: no such file).

    Loaded by the same loader from a scratch directory of links (to everything in the project but
    tenants/ and .platform/: platform.yaml, tiers/, Pulumi.yaml and the program with its parameter
    model), so the candidate file is validated exactly as if it had been written by hand; nothing in
    the project changes.
    """
    with tempfile.TemporaryDirectory(prefix="tenantwave-candidate-") as scratch:
        base = Path(scratch)
        for entry in root.iterdir():
            if entry.name not in (TENANTS_DIR, STATE_DIR):
                (base / entry.name).symlink_to(entry.resolve())
        (base / TENANTS_DIR).mkdir()
        source = root / TENANTS_DIR
        if source.is_dir():
            for path in source.iterdir():
                if path.suffix in CONFIG_SUFFIXES and path.stem == tenant_id:
                    continue
                (base / TENANTS_DIR / path.name).symlink_to(path.resolve())
        if text is not None:
            (base / TENANTS_DIR / f"{tenant_id}.yaml").write_text(text, encoding="utf-8")
        project = load_project(base, links_into=root)  # its links lead into the real project
    return dataclasses.replace(project, root=root)


def check_tenant_id(tenant_id: str) -> None:
    if (why := id_problem(tenant_id)) is not None:
        raise UsageError(f"tenant id: {why}")


def serving_stacks(project: Project, tenant_id: str) -> dict[str, Stack]:
    """environment -> the stack of `project` that serves the tenant there."""
    return {s.environment: s for s in build_inventory(project) if tenant_id in s.tenants}


# -- add -------------------------------------------------------------------------------------------


def plan_add(
    workspace: Workspace,
    tenant_id: str,
    *,
    tier: str,
    environments: Sequence[str],
    wave: int | None = None,
    name: str | None = None,
    release: str | None = None,
) -> TenantPlan:
    check_tenant_id(tenant_id)
    root = workspace.root
    if (found := existing_file(root, tenant_id)) is not None:
        raise UsageError(
            f"tenant {tenant_id} already exists ({shown(root, found)}); "
            "use `platform tenant move` to change its tier"
        )
    text = new_tenant_text(tier, environments, wave, name)
    after = project_with(root, tenant_id, text)
    path = tenant_path(root, tenant_id)
    change = FileChange(path, shown(root, path), "write", text, first=True)
    stacks = serving_stacks(after, tenant_id)
    facts = stack_facts(workspace.ledger, [s.name for s in stacks.values()])
    releases = EnvironmentReleases(workspace.ledger.status())
    steps, notes = [], []
    for env in _in_lifecycle_order(after, stacks):
        stack = stacks[env]
        known = facts[stack.name]
        chosen = release or known.current_release or releases.release(env, tier)
        if chosen is None:
            notes.append(_no_release(env, stack))
        why = "add the tenant to the pool's members" if stack.kind == "pool" else "the tenant's own stack"
        steps.append(_deploy_step(after, stack, known, chosen, why, tenant_id))
    return TenantPlan("add", tenant_id, change, tuple(steps), tuple(notes), workspace.project, after, tier)


# -- remove ------------------------------------------------------------------------------------------


def plan_remove(workspace: Workspace, tenant_id: str) -> TenantPlan:
    check_tenant_id(tenant_id)
    root, before = workspace.root, workspace.project
    path = existing_file(root, tenant_id)
    after = project_with(root, tenant_id, None) if path is not None else before
    configured = serving_stacks(before, tenant_id)
    candidates = _candidates(workspace, tenant_id, (before, after))
    facts = stack_facts(workspace.ledger, candidates)
    after_stacks = {s.name: s for s in build_inventory(after)}
    steps: list[StackStep] = []
    for known in facts.values():
        step = _leaving_step(before, after_stacks, configured, known, tenant_id)
        if step is not None:
            steps.append(step)
    if path is None and not any(step.pending for step in steps):
        raise UsageError(
            f"no tenant {tenant_id}: no file in {TENANTS_DIR}/ and no stack serves it in the ledger"
            + did_you_mean(tenant_id, before.tenants)
        )
    order = {env: i for i, env in enumerate(before.environments)}
    steps.sort(key=lambda s: (-s.stack.phase_index, order.get(s.stack.environment, 0), s.stack.name))
    change = FileChange(path, shown(root, path), "delete", None, first=False) if path else None
    return TenantPlan("remove", tenant_id, change, tuple(steps), (), before, after)


def _leaving_step(
    before: Project,
    after_stacks: dict[str, Stack],
    configured: dict[str, Stack],
    known: StackFacts,
    tenant_id: str,
) -> StackStep | None:
    """The step that makes `known` stop serving the tenant (done if it already does not)."""
    is_configured = any(s.name == known.name for s in configured.values())
    own_silo = known.name.endswith(f".silo.{tenant_id}")
    if own_silo:
        if known.destroyed_or_never and not is_configured:
            return None
        own = next((s for s in configured.values() if s.name == known.name), None) or _recorded(before, known)
        return StackStep(
            "destroy", own, known.current_release or _last_release(known), "the tenant's own stack",
            done=known.destroyed_or_never,
        )
    stack = after_stacks.get(known.name)
    serves = tenant_id in known.serving or known.touched_unfinished(tenant_id)
    if stack is None or (not serves and not is_configured):
        return None
    release = known.current_release or _last_release(known)
    return StackStep("update", stack, release, "remove the tenant from the pool's members", done=not serves)


# -- move --------------------------------------------------------------------------------------------


def plan_move(workspace: Workspace, tenant_id: str, *, tier: str, release: str | None = None) -> TenantPlan:
    check_tenant_id(tenant_id)
    root, before = workspace.root, workspace.project
    tenant = before.tenants.get(tenant_id)
    path = existing_file(root, tenant_id)
    if tenant is None or path is None:
        raise UsageError(f"no tenant {tenant_id} in {TENANTS_DIR}/{did_you_mean(tenant_id, before.tenants)}")
    text = path.read_text(encoding="utf-8")
    new_text = with_tier(text, tier)
    after = project_with(root, tenant_id, new_text) if new_text != text else before
    change = FileChange(path, shown(root, path), "rewrite", new_text, first=False) if new_text != text else None
    old_stacks, new_stacks = serving_stacks(before, tenant_id), serving_stacks(after, tenant_id)
    candidates = [s.name for s in (*old_stacks.values(), *new_stacks.values())]
    candidates += _candidates(workspace, tenant_id, (before, after))
    facts = stack_facts(workspace.ledger, candidates)
    releases = EnvironmentReleases(workspace.ledger.status())
    after_stacks = {s.name: s for s in build_inventory(after)}
    steps: list[StackStep] = []
    notes: list[str] = []
    for env in _in_lifecycle_order(after, new_stacks):
        new = new_stacks[env]
        leaving = [
            step
            for known in facts.values()
            if known.name != new.name and _environment_of(known, before, after_stacks) == env
            and (step := _leaving_step(before, after_stacks, _only(old_stacks, env), known, tenant_id)) is not None
        ]
        chosen = release or next((s.release for s in leaving if s.release), None)
        chosen = chosen or facts[new.name].current_release or releases.release(env, tier)
        if chosen is None:
            notes.append(_no_release(env, new))
        why = "the new tier's pool serves the tenant" if new.kind == "pool" else "the tenant's own stack, new tier"
        steps.append(_deploy_step(after, new, facts[new.name], chosen, why, tenant_id))
        steps.extend(sorted(leaving, key=lambda s: s.stack.name))
    return TenantPlan("move", tenant_id, change, tuple(steps), tuple(notes), before, after, tier)


def _only(stacks: dict[str, Stack], env: str) -> dict[str, Stack]:
    return {env: stacks[env]} if env in stacks else {}


def _environment_of(known: StackFacts, before: Project, after_stacks: dict[str, Stack]) -> str | None:
    if known.name in after_stacks:
        return after_stacks[known.name].environment
    if known.last is not None:
        return known.last.environment
    return known.name.split(".", 1)[0] if known.name.split(".", 1)[0] in before.environments else None


# -- shared helpers ------------------------------------------------------------------------------------


def _deploy_step(project: Project, stack: Stack, known: StackFacts, release: str | None, why: str,
                 tenant_id: str) -> StackStep:
    done = (
        tenant_id in known.serving
        and known.fingerprint == fingerprint(project, stack)
        and (release is None or known.current_release == release)
    )
    action: Action = "update" if known.current_release is not None else "create"
    return StackStep(action, stack, release, why, done=done)


def _candidates(workspace: Workspace, tenant_id: str, projects: Iterable[Project]) -> list[str]:
    """Stacks that may serve the tenant per the ledger: every pool stack, its silo stack in every
    environment, and any stack whose last attempt listed it."""
    names: list[str] = []
    for project in projects:
        names += [s.name for s in build_inventory(project) if s.kind == "pool"]
        names += [stack_name(env, "silo", tenant_id) for env in project.environments]
    names += [st.stack for st in workspace.ledger.status() if st.last is not None and tenant_id in st.last.tenants]
    return list(dict.fromkeys(names))


def _in_lifecycle_order(project: Project, stacks: dict[str, Stack]) -> list[str]:
    return [env for env in project.environments if env in stacks]


def _no_release(env: str, stack: Stack) -> str:
    return (
        f"{env} has no release yet (nothing runs there): {stack.name} gets it with the next rollout, "
        "or pass --release"
    )


def _last_release(known: StackFacts) -> str | None:
    return known.last.release if known.last is not None else None


def _recorded(project: Project, known: StackFacts) -> Stack:
    """A stack the ledger knows but the configuration does not have (any more)."""
    last = known.last
    assert last is not None
    return recorded_stack(project, known.name, last)
