"""Showing a run as it happens: a live rich view on a terminal, one line per event elsewhere (CI).

Engine and check text is data: shown through `cli.text` (no escape sequences, no markup). A stack
whose result is not in the ledger says so on its line (`Outcome.record_note`)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape

from tenantwave.cli.text import markup_safe, printable
from tenantwave.engine.base import Progress
from tenantwave.planning.inventory import Stack
from tenantwave.rollout.report import Outcome

if TYPE_CHECKING:
    from rich.progress import TaskID

MARK = {
    "succeeded": "ok",
    "failed": "FAILED",
    "unhealthy": "UNHEALTHY",
    "cancelled": "cancelled",
    "held": "held",
    "skipped": "skipped",
    "not-started": "not started",
}


class PlainListener:
    """Line-per-event output for logs: no cursor tricks, no colours, no timestamps (CI adds them)."""

    PROGRESS_EVERY = 5.0

    def __init__(self) -> None:
        self._last: dict[str, float] = {}

    def run_started(self, run_id: str, stacks: Sequence[Stack], log_dir: Path) -> None:
        click.echo(f"run {run_id}: {len(stacks)} stack(s); logs in {_shown(log_dir)}")

    def stack_started(self, stack: Stack) -> None:
        click.echo(f"start {stack.name}")

    def progress(self, event: Progress) -> None:
        now = time.monotonic()
        final = event.total is not None and event.done >= event.total
        if final or event.message or now - self._last.get(event.stack, 0.0) >= self.PROGRESS_EVERY:
            self._last[event.stack] = now
            total = "?" if event.total is None else str(event.total)
            note = f" {printable(event.message, one_line=True)}" if event.message else ""
            click.echo(f"  {event.stack}: {event.done}/{total} resources{note}")

    def stack_finished(self, outcome: Outcome) -> None:
        click.echo(printable(finished_line(outcome), one_line=True))


class LiveListener:
    """A rich live view: one line per running stack (resources done/total, elapsed), run totals."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bars

        self.console = Console(stderr=False, highlight=False)
        self.bars = Bars(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._overall: TaskID | None = None

    def run_started(self, run_id: str, stacks: Sequence[Stack], log_dir: Path) -> None:
        self.console.print(escape(f"run {run_id}: {len(stacks)} stack(s); logs in {_shown(log_dir)}"))
        self.bars.start()
        self._overall = self.bars.add_task("[bold]all stacks", total=len(stacks))

    def stack_started(self, stack: Stack) -> None:
        self._tasks[stack.name] = self.bars.add_task(escape(f"  {stack.name}"), total=None)

    def progress(self, event: Progress) -> None:
        task = self._tasks.get(event.stack)
        if task is not None:
            self.bars.update(task, completed=event.done, total=event.total)

    def stack_finished(self, outcome: Outcome) -> None:
        task = self._tasks.pop(outcome.stack, None)
        if task is not None:
            self.bars.remove_task(task)
        if self._overall is not None:
            self.bars.advance(self._overall)
        failed = outcome.status in ("failed", "unhealthy") or outcome.record != "ledger"
        style = "green" if outcome.status == "succeeded" and not failed else "red" if failed else "yellow"
        text = finished_line(outcome).removeprefix(MARK[outcome.status])
        # engine output is data, never markup: "[/x]" in an error must not stop the run
        self.bars.console.print(f"[{style}]{MARK[outcome.status]}[/]{markup_safe(printable(text, one_line=True))}")

    def stop(self) -> None:
        self.bars.stop()


def finished_line(outcome: Outcome) -> str:
    """`ok NAME: +created ~updated -deleted +-replaced`, `FAILED NAME: error`, and where the result is
    when not in the ledger."""
    line = f"{MARK[outcome.status]} {outcome.stack}"
    if outcome.status == "succeeded" and outcome.changes:
        line += f": {outcome.counts.short()}"
    if outcome.status != "succeeded" and outcome.error:
        line += f": {outcome.error}"
    if outcome.record_note is not None:
        line += f" ({outcome.record_note})"
    return line


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
