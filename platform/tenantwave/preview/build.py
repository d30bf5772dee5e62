"""`platform preview`: what a change between two git revisions would do to which stacks.

1. Resolve the base ref (and the head ref, or take the working tree), list the changed files.
2. Export the base revision (and a head ref) with `git archive` into a temporary directory; the
   user's working tree, index and branches are never touched.
3. Load both configurations and work out the affected stacks and why (`tenantwave.preview.changes`).
4. Preview each affected stack:
   - offline: run the stack program under Pulumi's mocks for both revisions, each in its own
     process (`python -m tenantwave.engine.simulate --batch`; the two revisions' programs cannot share a
     process) and both processes at once, then diff the declared resources (`tenantwave.preview.graphdiff`);
   - through the engine (`tenantwave.preview.through_engine`): a real `pulumi preview` per stack.

Stack config is derived by the installed tool for both revisions, with the same release (so the
release itself never shows as a change). The result is a `Preview`; `tenantwave.preview.report` renders it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tenantwave.config.loader import PLATFORM_FILE, load_project
from tenantwave.config.models import Project
from tenantwave.errors import ConfigError, UsageError
from tenantwave.planning.release import check_release
from tenantwave.planning.stackconfig import stack_config
from tenantwave.preview.changes import AffectedStack, affected_stacks, ignored_files
from tenantwave.preview.graphdiff import StackDiff, diff_stack
from tenantwave.preview.revisions import (
    WORKING_TREE,
    Repository,
    Revision,
    changed_files,
    export_tree,
    open_repository,
    resolve,
)

DEFAULT_RELEASE = "preview"
SIMULATION_SECONDS = 120  # a simulation process that runs longer is stopped; its stacks fail
SIMULATION_SECONDS_PER_STACK = 5
Mode = Literal["offline", "engine"]
StackStatus = Literal["changed", "unchanged", "added", "removed", "failed"]
Say = Callable[[str], None]


@dataclass(frozen=True)
class StackPreview:
    affected: AffectedStack
    status: StackStatus
    counts: Mapping[str, int]  # add / remove / change / same
    diff: StackDiff | None = None  # offline: resource by resource; None through the engine
    error: str | None = None
    note: str | None = None  # e.g. how a removed stack is torn down

    @property
    def name(self) -> str:
        return self.affected.name

    @property
    def changes_anything(self) -> bool:
        return self.status in ("changed", "added", "removed")


@dataclass(frozen=True)
class Preview:
    mode: Mode
    engine: str | None  # the engine's name through the engine; None offline
    release: str
    base: Revision
    head: Revision
    base_project: Project | None  # None: the project did not exist at the base revision
    head_project: Project
    changed_files: tuple[str, ...]
    ignored_files: tuple[str, ...]
    stacks: tuple[StackPreview, ...]

    @property
    def offline(self) -> bool:
        return self.mode == "offline"

    @property
    def changes_anything(self) -> bool:
        return any(stack.changes_anything for stack in self.stacks)

    @property
    def failed(self) -> list[StackPreview]:
        return [stack for stack in self.stacks if stack.status == "failed"]


@dataclass(frozen=True)
class PreviewRequest:
    project_root: Path
    base: str
    head: str | None = None  # None: the working tree (tracked changes and untracked, unignored files)
    offline: bool = True
    release: str = DEFAULT_RELEASE


@dataclass(frozen=True)
class Revisions:
    """Both revisions, loaded: what the engine path and the offline path start from."""

    base: Revision
    head: Revision
    base_root: Path
    head_root: Path
    base_project: Project | None
    head_project: Project
    changed: tuple[str, ...]
    affected: tuple[AffectedStack, ...]


EngineStep = Callable[[Revisions, str, Say], tuple[str, tuple[StackPreview, ...]]]


def run_preview(request: PreviewRequest, say: Say, engine_step: EngineStep | None = None) -> Preview:
    """Preview the change from `request.base` to the head. `say` gets progress lines.

    Offline unless `request.offline` is False, in which case `engine_step` previews the stacks
    (see tenantwave.preview.through_engine.engine_previews) and returns the engine's name and the results.
    """
    check_release(request.release)
    if not request.offline and request.head is not None:
        raise UsageError("--head needs --offline: the engine previews the checked-out project; check out the head")
    if not request.offline and engine_step is None:
        raise UsageError("no engine to preview with; use --offline")
    repo = open_repository(request.project_root)
    base = resolve(repo, "--base", request.base)
    head = resolve(repo, "--head", request.head) if request.head is not None else Revision(WORKING_TREE, None)
    with tempfile.TemporaryDirectory(prefix="tenantwave-preview-") as scratch:
        revisions = _load(repo, request.project_root, base, head, Path(scratch), say)
        if request.offline:
            mode: Mode = "offline"
            engine_name: str | None = None
            stacks = offline_previews(revisions, request.release, say)
        else:
            assert engine_step is not None
            mode, (engine_name, stacks) = "engine", engine_step(revisions, request.release, say)
    return Preview(
        mode=mode,
        engine=engine_name,
        release=request.release,
        base=base,
        head=head,
        base_project=revisions.base_project,
        head_project=revisions.head_project,
        changed_files=revisions.changed,
        ignored_files=tuple(ignored_files(revisions.changed)),
        stacks=stacks,
    )


def _load(repo: Repository, project_root: Path, base: Revision, head: Revision, scratch: Path, say: Say) -> Revisions:
    changed = tuple(changed_files(repo, base, head))
    say(f"preview: base {base.label}, head {head.label}: {len(changed)} changed file(s)")
    base_root = export_tree(repo, base, scratch / "base")
    head_root = project_root if head.commit is None else export_tree(repo, head, scratch / "head")
    base_project = _load_base(base_root, base)
    if not (head_root / PLATFORM_FILE).is_file():
        raise UsageError(f"--head {head.ref}: no {PLATFORM_FILE} in the project at that revision")
    head_project = load_project(head_root)
    affected = tuple(affected_stacks(changed, base_project, head_project))
    total = len({*(_names(base_project)), *(_names(head_project))})
    say(f"preview: {len(affected)} of {total} stack(s) affected")
    return Revisions(base, head, base_root, head_root, base_project, head_project, changed, affected)


def _names(project: Project | None) -> list[str]:
    from tenantwave.planning.inventory import build_inventory

    return [stack.name for stack in build_inventory(project)] if project is not None else []


def _load_base(root: Path, base: Revision) -> Project | None:
    if not (root / PLATFORM_FILE).is_file():
        return None  # the project is new in the head: every stack is added
    try:
        return load_project(root)
    except ConfigError as exc:
        first = exc.lines()[0] if exc.lines() else exc.message
        raise UsageError(f"--base {base.ref}: the configuration at that revision is not valid ({first})") from None


# -- offline -------------------------------------------------------------------------------------


def offline_previews(revisions: Revisions, release: str, say: Say) -> tuple[StackPreview, ...]:
    """Simulate the affected stacks at both revisions (two processes at once) and diff them."""
    base_batch = _batch(revisions.base_project, [a.base for a in revisions.affected if a.base], release)
    head_batch = _batch(revisions.head_project, [a.head for a in revisions.affected if a.head], release)
    say(f"simulating {len(base_batch)} stack(s) at the base and {len(head_batch)} at the head under mocks")
    with tempfile.TemporaryDirectory(prefix="tenantwave-batch-") as scratch:
        base_run = _start(revisions.base_root, base_batch, Path(scratch) / "base.json")
        head_run = _start(revisions.head_root, head_batch, Path(scratch) / "head.json")
        base_graphs = _finish(base_run, base_batch, "base")
        head_graphs = _finish(head_run, head_batch, "head")
    return tuple(_offline_stack(a, base_graphs.get(a.name), head_graphs.get(a.name)) for a in revisions.affected)


def _batch(project: Project | None, stacks: list[Any], release: str) -> dict[str, dict[str, Any]]:
    if project is None:
        return {}
    return {stack.name: {"config": stack_config(project, stack, release), "secret_keys": []} for stack in stacks}


@dataclass
class _Run:
    process: subprocess.Popen[bytes] | None
    output: Path | None = None


def _start(root: Path, batch: Mapping[str, Any], batch_file: Path) -> _Run:
    """Start one simulation process; its output goes to a file (a pipe could fill up and stall it)."""
    if not batch:
        return _Run(None)
    batch_file.write_text(json.dumps(batch), encoding="utf-8")
    output = batch_file.with_suffix(".out")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # leave no __pycache__ in the user's stacks/
    command = [sys.executable, "-m", "tenantwave.engine.simulate", "--root", str(root), "--batch", str(batch_file)]
    with output.open("wb") as stdout, batch_file.with_suffix(".err").open("wb") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL, env=env, cwd=root)
    return _Run(process, output)


def _finish(run: _Run, batch: Mapping[str, Any], side: str) -> dict[str, dict[str, Any]]:
    """stack -> {"graph": ...} or {"error": ...}; a crashed simulation marks each of its stacks failed."""
    if run.process is None or run.output is None:
        return {}
    limit = SIMULATION_SECONDS + SIMULATION_SECONDS_PER_STACK * len(batch)
    try:
        returncode = run.process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        run.process.kill()
        run.process.wait()
        return {name: {"error": f"the simulation at the {side} did not finish in {limit} s"} for name in batch}
    if returncode == 0:
        try:
            results: dict[str, dict[str, Any]] = json.loads(run.output.read_bytes())
            return results
        except ValueError:
            pass
    lines = run.output.with_suffix(".err").read_text(errors="replace").strip().splitlines()
    reason = lines[-1] if lines else f"exit code {returncode}"
    return {name: {"error": f"the simulation at the {side} failed: {reason}"} for name in batch}


def _offline_stack(affected: AffectedStack, base: dict[str, Any] | None, head: dict[str, Any] | None) -> StackPreview:
    errors = [
        f"{side}: {result['error']}"
        for side, result in (("base", base), ("head", head))
        if result and "error" in result
    ]
    if errors:
        return StackPreview(affected, "failed", {}, error="; ".join(errors))
    diff = diff_stack(base["graph"] if base else None, head["graph"] if head else None)
    status: StackStatus
    if affected.presence == "added":
        status = "added"
    elif affected.presence == "removed":
        status = "removed"
    else:
        status = "unchanged" if diff.empty else "changed"
    return StackPreview(affected, status, diff.counts(), diff=diff, note=removal_note(affected))


def removal_note(affected: AffectedStack) -> str | None:
    if affected.presence != "removed":
        return None
    return (
        f"the configuration no longer has this stack; it is not torn down by a rollout: "
        f"`platform destroy --stack {affected.name}` does that"
    )


def exit_code(preview: Preview, fail_on_changes: bool) -> int:
    """0: the preview ran (whatever it found); 1: a stack could not be previewed, or, with
    --fail-on-changes, something would change."""
    if preview.failed:
        return 1
    return 1 if fail_on_changes and preview.changes_anything else 0
