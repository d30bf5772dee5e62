"""Previews through the deployment engine: a real `pulumi preview` per affected stack.

Uses only the engine protocol (tenantwave.engine.base), so any engine works (`pulumi`, `mock`, a
custom one, the test engine). Each stack is previewed with the release it runs according to the
ledger (so the preview shows what the change does, not a release upgrade), or with the preview's
release when it was never deployed. Stacks that only the base has are not previewed: the
configuration no longer has them, and a rollout never tears a stack down.

Previews run in parallel up to the rollout concurrency; each stack's engine output goes to
`.platform/logs/preview-<time>/<stack>.log` (private, like every log).
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from tenantwave.engine.base import CancelToken, Engine, Progress, Result, StackJob
from tenantwave.engine.registry import open_engine
from tenantwave.planning.stackconfig import stack_config
from tenantwave.planning.workspace import Workspace
from tenantwave.preview.build import Revisions, Say, StackPreview, StackStatus, removal_note
from tenantwave.preview.changes import AffectedStack
from tenantwave.privacy.files import private_dirs

_COUNT_KEYS = {"create": "add", "delete": "remove", "update": "change", "replace": "change", "same": "same"}


def engine_previews(
    workspace: Workspace, revisions: Revisions, release: str, say: Say
) -> tuple[str, tuple[StackPreview, ...]]:
    """Preview every affected stack of the head with the workspace's engine; (engine name, results)."""
    current = {status.stack: status.current_release for status in workspace.ledger.status()}
    log_dir = workspace.state_dir / "logs" / f"preview-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    jobs: dict[str, StackJob] = {}
    for affected in revisions.affected:
        if affected.head is not None:
            stack_release = current.get(affected.name) or release
            jobs[affected.name] = StackJob(
                stack=affected.head,
                release=stack_release,
                config=stack_config(revisions.head_project, affected.head, stack_release),
                log_path=log_dir / f"{affected.name}.log",
            )
    engine = open_engine(workspace)
    try:
        results = _run(engine, list(jobs.values()), workspace.project.platform.rollout.concurrency, log_dir, say)
    finally:
        engine.close()
    previews = []
    for affected in revisions.affected:
        if affected.name in results:
            previews.append(_stack_preview(affected, results[affected.name]))
        else:
            previews.append(StackPreview(affected, "removed", {}, note=removal_note(affected)))
    return engine.name, tuple(previews)


def _run(engine: Engine, jobs: list[StackJob], concurrency: int, log_dir: Path, say: Say) -> dict[str, Result]:
    if not jobs:
        return {}
    private_dirs(log_dir, within=log_dir.parent.parent)  # .platform/logs/preview-*: 0700
    engine.prepare(jobs)
    cancel = CancelToken()
    say(f"previewing {len(jobs)} stack(s) with the {engine.name} engine; logs in {log_dir}")

    def progress(event: Progress) -> None:
        return None  # per-resource progress is in each stack's log; stderr gets one line per stack

    def one(job: StackJob) -> Result:
        say(f"preview {job.name}")
        try:
            result = engine.preview(job, progress, cancel)
        except Exception as exc:  # the engine's bug is this stack's failure, as in a rollout
            result = Result("failed", error=f"{type(exc).__name__}: {exc}")
        say(f"{'ok' if result.ok else result.status} {job.name}{_brief(result.changes)}")
        return result

    results: dict[str, Result] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(concurrency, len(jobs))) as pool:
        try:
            for job, result in zip(jobs, pool.map(one, jobs), strict=True):
                results[job.name] = result
        except KeyboardInterrupt:
            cancel.cancel()
            raise
    return results


def _brief(changes: Mapping[str, int]) -> str:
    shown = ", ".join(f"{kind} {count}" for kind, count in changes.items() if count and kind != "same")
    return f": {shown}" if shown else ""


def _stack_preview(affected: AffectedStack, result: Result) -> StackPreview:
    if not result.ok:
        return StackPreview(affected, "failed", {}, error=result.error or result.status)
    counts = {"add": 0, "remove": 0, "change": 0, "same": 0}
    for kind, count in result.changes.items():
        key = _COUNT_KEYS.get(kind, "change")
        counts[key] += count
    status: StackStatus
    if affected.presence == "added":
        status = "added"
    else:
        status = "changed" if counts["add"] or counts["remove"] or counts["change"] else "unchanged"
    return StackPreview(affected, status, counts)
