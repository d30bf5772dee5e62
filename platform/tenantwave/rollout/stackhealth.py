"""What the runner does around one stack's deployment: the tier's before-deploy hook first, the
phase's health checks after. Both write to the stack's log.

- A failed hook means the stack is not deployed: the runner records it as failed with the hook's
  summary. `--skip-hooks` skips the hook (the run's ledger record says so, and so does the log).
- After a successful `up` (or rollback), failed checks turn the result into `unhealthy`. Under a
  simulating engine, http checks are skipped (nothing was deployed to answer them).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tenantwave.config.models import Project
from tenantwave.engine.base import CancelToken, Engine, Result, StackJob
from tenantwave.planning.inventory import Stack
from tenantwave.privacy import files
from tenantwave.rollout.checks import CheckResult, CheckTarget, failure_summary, run_checks, run_hook

SKIPPED_HOOKS = "before_deploy hooks skipped (--skip-hooks)"


def before_deploy(
    project: Project, engine: Engine, stack: Stack, job: StackJob, current: str | None, *, skip: bool
) -> Result | None:
    """None when the stack may be deployed; else the failed Result to record instead."""
    tier = project.tiers.get(stack.tier)
    hook = tier.config.before_deploy if tier is not None else None
    if hook is None:
        return None
    if skip:
        append_log(job.log_path, f"--- {SKIPPED_HOOKS}\n")
        return None
    outputs = stack_outputs(engine, job) if current is not None else {}
    result = run_hook(hook, CheckTarget(stack, job.release, outputs, current), project.root)
    append_log(job.log_path, result.log_text(stack.name))
    if result.passed:
        return None
    return Result("failed", error=f"not deployed: {result.summary}")


def after_deploy(
    project: Project, engine: Engine, stack: Stack, job: StackJob, result: Result, cancel: CancelToken
) -> tuple[str, str | None]:
    """The status and error to record: `unhealthy` when a check of the stack's phase fails."""
    checks = project.platform.rollout.for_wave(stack.phase, stack.wave_key[1], stack.ring).checks
    if result.status != "succeeded" or not checks:
        return result.status, result.error
    outputs = dict(result.outputs) or stack_outputs(engine, job)
    target = CheckTarget(stack, job.release, outputs)
    results = run_checks(checks, target, project.root, cancel.wait, simulated=engine.simulated)
    write_results(job.log_path, stack.name, results)
    summary = failure_summary(results)
    return ("unhealthy", summary) if summary is not None else ("succeeded", None)


def stack_outputs(engine: Engine, job: StackJob) -> Mapping[str, Any]:
    """The stack's outputs as the engine reports them; none when the engine cannot say."""
    try:
        return dict(engine.outputs(job))
    except Exception as exc:  # a check then fails on the missing output, with this in the log
        append_log(job.log_path, f"the engine could not read the outputs: {type(exc).__name__}: {exc}\n")
        return {}


def write_results(path: Path, stack: str, results: list[CheckResult]) -> None:
    append_log(path, "".join(result.log_text(stack) for result in results))


def append_log(path: Path, text: str) -> None:
    """Add to a stack's log: redacted, the file 0600 (its directory 0700); a log that cannot be
    written never fails the stack."""
    with contextlib.suppress(OSError):
        files.append_text(path, text)
