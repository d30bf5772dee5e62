"""The stack view: one stack's place in the fleet, its history, its last log and why it is blocked
now (its own reason and, when its wave's gate is closed, the gate's reasons).

Pure but for `read_log`, which reads a log only inside the project's `.platform/logs/` (a ledger
shared between machines may name a path elsewhere: that log is on the machine that ran the stack).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tenantwave.ledger.records import DeploymentRecord
from tenantwave.planning.inventory import Stack
from tenantwave.planning.plan import Plan
from tenantwave.views.fleet import Cell
from tenantwave.views.outside import LOG_LIMIT, log_tail, shown
from tenantwave.views.runs import DeploymentRow, deployment_rows

HISTORY_LIMIT = 50
LOG_READ_BYTES = 4 * LOG_LIMIT  # read at most this much of the log's end (a character may be 4 bytes)


@dataclass(frozen=True)
class LastLog:
    path: str  # as recorded
    text: str | None  # its end, redacted and cleaned; None when it cannot be read here
    note: str  # why not, or ""


@dataclass(frozen=True)
class StackView:
    stack: Stack
    cell: Cell
    wave: int | None  # its wave in the release's plan
    reasons: tuple[str, ...]  # why it is blocked or pending now: its own, then its wave's gate
    history: tuple[DeploymentRow, ...]  # newest first
    log: LastLog | None


def stack_view(
    stack: Stack,
    cell: Cell,
    plan: Plan | None,
    history: Sequence[DeploymentRecord],
    log: LastLog | None,
    now: datetime,
) -> StackView:
    wave_number: int | None = None
    reasons: list[str] = []
    for wave in plan.waves if plan is not None else ():
        for stack_plan in wave.stacks:
            if stack_plan.stack.name != stack.name:
                continue
            wave_number = wave.wave.number
            if stack_plan.state != "done" and stack_plan.reason:  # the plan joins its reasons with "; "
                reasons.extend(shown(reason) for reason in stack_plan.reason.split("; "))
            if stack_plan.state != "done" and wave.gate is not None and not wave.gate.open:
                reasons.extend(f"wave {wave_number}'s gate: {shown(reason)}" for reason in wave.gate.reasons)
    newest = sorted(history, key=lambda r: r.id, reverse=True)[:HISTORY_LIMIT]
    return StackView(
        stack=stack,
        cell=cell,
        wave=wave_number,
        reasons=tuple(reasons),
        history=tuple(deployment_rows(newest, now)),
        log=log,
    )


def last_log_path(history: Sequence[DeploymentRecord]) -> str | None:
    """The log of the stack's latest attempt that has one."""
    for record in sorted(history, key=lambda r: r.id, reverse=True):
        if record.log_path:
            return record.log_path
    return None


def read_log(recorded: str, logs_dir: Path) -> LastLog:
    """The end of the log at `recorded`, if it is a file inside `logs_dir`."""
    try:
        path = Path(recorded).resolve()
        inside = path.is_relative_to(logs_dir.resolve())
    except (OSError, ValueError):
        inside = False
    if not inside:
        return LastLog(shown(recorded, 500), None, "this log is not in this project's .platform/logs/ "
                       "(it is on the machine that ran the stack)")
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(max(0, size - LOG_READ_BYTES))
            data = handle.read()
    except OSError as exc:
        return LastLog(shown(recorded, 500), None, f"the log cannot be read here ({exc.strerror or exc})")
    return LastLog(shown(recorded, 500), log_tail(data.decode("utf-8", errors="replace")), "")
