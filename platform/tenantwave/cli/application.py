"""The application object every command gets (`ctx.obj`): what the options say, the workspace
opened from them, and how the front end talks to the operator around the core's work.

Commands stay thin: they parse, ask the `Application` for the workspace, call the core and render.
Running stacks goes through `Application.run`, which adds what only a front end has (progress on
the terminal or in plain lines, Ctrl-C and SIGTERM turned into cancellation) around the core's
`run_plan`. A run's status comes from the core; `exit_code` maps it to the documented exit codes.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from tenantwave.cli.jsonout import echo_json
from tenantwave.cli.notifying import Notifications
from tenantwave.errors import EXIT_BLOCKED, EXIT_FAILED, EXIT_OK, UsageError

if TYPE_CHECKING:
    from tenantwave.config.models import Project
    from tenantwave.engine.base import CancelToken
    from tenantwave.planning.workspace import Workspace
    from tenantwave.rollout.prepare import RolloutPlan
    from tenantwave.rollout.report import RunReport, RunStatus
    from tenantwave.rollout.runner import RunListener, RunOptions
    from tenantwave.tenants.execution import TenantResult
    from tenantwave.tenants.operations import TenantPlan

EXIT_CODES: dict[str, int] = {"succeeded": EXIT_OK, "failed": EXIT_FAILED, "cancelled": EXIT_FAILED,
                              "blocked": EXIT_BLOCKED, "deferred": EXIT_BLOCKED, "capped": EXIT_BLOCKED}


def exit_code(status: RunStatus) -> int:
    """The documented exit code of a run's status: 0 succeeded, 1 failed or cancelled, 3 blocked,
    deferred (a maintenance window or a freeze holds a selected stack: rerun later) or capped
    (max_tenants_per_run left stacks unstarted: run the same command again)."""
    return EXIT_CODES[status]


class Application:
    """What the group's and the command's options say, and the workspace opened lazily from them.

    The first `workspace()` states which ledger the command reads or writes, where that choice came
    from and the engine in force: one line on stderr in text mode, the `ledger` field of the JSON
    document (`echo_json`) with `--json`. Commands that only read the configuration use `project()`.
    """

    def __init__(
        self,
        project_dir: Path | None = None,
        ledger_url: str | None = None,
        engine: str | None = None,
        json: bool = False,
    ) -> None:
        self.project_dir = project_dir
        self.ledger_url = ledger_url
        self.engine = engine
        self.json = json
        self._workspace: Workspace | None = None
        self._ledger_stated = False
        self.notifications = Notifications(self.workspace)  # platform.yaml `notify`, opened on first use

    def project(self) -> Project:
        """The project's configuration, for commands that never touch the ledger."""
        return self._open().project

    def workspace(self, *, writes: bool = False) -> Workspace:
        """The project with its ledger and engine. The first call checks the ledger exists, or, for
        a command that `writes` it, can be created (`check_ledger`), and states which it is."""
        workspace = self._open()
        if not self._ledger_stated:
            from tenantwave.planning.workspace import check_ledger

            check_ledger(workspace, writes=writes)
            self._ledger_stated = True
            if not self.json and workspace.choice is not None:
                click.echo(workspace.choice.describe(), err=True)
        return workspace

    def _open(self) -> Workspace:
        if self._workspace is None:
            from tenantwave.planning.workspace import open_workspace

            self._workspace = open_workspace(self.project_dir, self.ledger_url, self.engine)
        return self._workspace

    def echo_json(self, document: dict[str, Any]) -> None:
        """Print the command's JSON document, with the ledger it used under `ledger` (if it used one)."""
        choice = self._workspace.choice if self._workspace is not None and self._ledger_stated else None
        sent = self.notifications.finish()  # what the webhooks were told, once they were
        document = document if sent is None else {**document, "notifications": sent}
        echo_json(document if choice is None else {**document, "ledger": choice.to_json()})

    def close(self) -> None:
        """The end of the command (the click context's close): notifications still to report."""
        self.notifications.close(as_json=self.json)

    # -- talking to the operator ------------------------------------------------------------------

    def confirm(self, question: str, *, declined: str, without_terminal: str | None = None) -> None:
        """Ask on a terminal and return on yes; on no, say `declined` ("nothing deployed") and exit 1,
        as a cancelled run does. Without a terminal (CI, pipes) never prompt: go ahead, or, when
        `without_terminal` says why the command must not go ahead unasked, refuse (exit 2)."""
        if on_terminal():
            if click.confirm(question, default=False):
                return
            click.echo(f"{declined}: not confirmed")
            raise SystemExit(EXIT_FAILED)
        if without_terminal is not None:
            raise UsageError(without_terminal)

    # -- running stacks ---------------------------------------------------------------------------

    def run(self, plan: RolloutPlan, options: RunOptions, *, as_json: bool, command: str = "up") -> RunReport:
        """Run a plan's runnable stacks through the core, with progress and cancellation."""
        from tenantwave.rollout.runner import run_plan

        with self._running(as_json) as (listener, cancel):
            listener = self.notifications.announcing(listener, plan, command)
            report = run_plan(self.workspace(), plan, options, listener, cancel, command)
        self.notifications.run_finished(command, report)
        return report

    def run_tenant_plan(self, plan: TenantPlan, *, retain_data: bool) -> TenantResult:
        from tenantwave.tenants.execution import execute_tenant_plan

        with self._running(False) as (listener, cancel):
            return execute_tenant_plan(self.workspace(), plan, listener, cancel, retain_data=retain_data)

    @contextlib.contextmanager
    def _running(self, as_json: bool) -> Iterator[tuple[RunListener, CancelToken]]:
        from tenantwave.engine.base import CancelToken

        cancel = CancelToken()
        listener = _listener(as_json)
        previous = _trap_signals(cancel)
        try:
            yield listener, cancel
        finally:
            _restore_signals(previous)
            stop = getattr(listener, "stop", None)
            if stop is not None:
                stop()


def on_terminal() -> bool:
    """True when the operator can answer a question (stdin is a terminal)."""
    return sys.stdin.isatty()


def _listener(as_json: bool) -> RunListener:
    from tenantwave.cli.progress import LiveListener, PlainListener
    from tenantwave.rollout.runner import QuietListener

    if as_json:
        return QuietListener()
    return LiveListener() if sys.stdout.isatty() else PlainListener()


Handler = Any  # what signal.signal returns: a callable, an int constant or None


def _trap_signals(cancel: CancelToken) -> dict[int, Handler]:
    def handler(signum: int, _frame: FrameType | None) -> None:
        first = not cancel.is_set()
        cancel.cancel()
        if first:
            click.echo(
                "\ncancelling: no new stacks start, running ones are asked to stop "
                "(interrupt again to stop at once)",
                err=True,
            )
        else:  # the claims stay held: another run must not deploy a stack whose engine call still runs
            click.echo(
                "\nstopping at once: running operations are told to stop now; each stack stays claimed "
                "until its engine call returns, and what it returns is recorded",
                err=True,
            )

    previous: dict[int, Handler] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError):  # not the main thread (embedding): no signal handling
            previous[signum] = signal.signal(signum, handler)
    return previous


def _restore_signals(previous: dict[int, Handler]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)
