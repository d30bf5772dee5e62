"""The commands' side of notifications (docs/notifications.md): which event each command emits, when,
and what the operator is told about them at the end.

The `Application` owns one `Notifications`. Nothing happens (no thread, no import of the sender)
until a command emits an event while platform.yaml lists webhooks under `notify`. Emitting never
raises and never waits: the sender (`rollout.webhooks`) queues. At the end of the command
(`finish`: the JSON document's `notifications`, else the context's close) it waits a bounded time
(`FLUSH_SECONDS`) and says what was sent and what was not; the exit code is never changed by it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from tenantwave.engine.base import Progress
    from tenantwave.planning.inventory import Stack
    from tenantwave.planning.workspace import Workspace
    from tenantwave.rollout.driftreport import DriftReport
    from tenantwave.rollout.notifications import Notification
    from tenantwave.rollout.prepare import RolloutPlan
    from tenantwave.rollout.report import Outcome, RunReport
    from tenantwave.rollout.rollbacks import Rollbacks
    from tenantwave.rollout.runner import RunListener
    from tenantwave.rollout.webhooks import Notifier, NotifySummary


class Notifications:
    """The webhooks of the project a command works on, opened on first use."""

    def __init__(self, workspace: Callable[[], Workspace]) -> None:
        self._workspace = workspace
        self._notifier: Notifier | None = None
        self._opened = False
        self._finished = False

    def _sender(self) -> Notifier | None:
        if not self._opened:
            self._opened = True
            workspace = self._workspace()
            hooks = workspace.project.platform.notify
            if hooks:
                import os

                from tenantwave.rollout.webhooks import Notifier

                log = workspace.state_dir / "logs" / "notifications.log"
                self._notifier = Notifier(hooks, os.environ, project=workspace.root.name, log_path=log)
        return self._notifier

    def wants(self, event: str) -> bool:
        try:
            notifier = self._sender()
        except Exception:  # the project could not be read: the command reports that itself
            return False
        return notifier is not None and notifier.wants(event)

    def emit(self, event: str, build: Callable[[], Notification | None]) -> None:
        """Queue what `build` makes for the webhooks that want `event` (built only if one does)."""
        if not self.wants(event):
            return
        notifier = self._notifier
        assert notifier is not None
        try:
            notifier.notify(build())
        except Exception as exc:  # a bug in building an event must not cost a deployment
            notifier.problem(event, f"internal error while building it: {type(exc).__name__}: {exc}")

    # -- the events -------------------------------------------------------------------------------

    def announcing(self, listener: RunListener, plan: RolloutPlan, command: str) -> RunListener:
        """`listener`, also telling the webhooks that want it when the run starts."""
        if not self.wants("run_started"):
            return listener

        def started(run_id: str, stacks: Sequence[Stack], simulated: bool) -> None:
            from tenantwave.rollout import notifications

            self.emit("run_started", lambda: notifications.run_started(command, plan, run_id, stacks, simulated))

        return _Announcing(listener, started, self._workspace().simulated)

    def run_finished(self, command: str, report: RunReport) -> None:
        from tenantwave.rollout import notifications

        self.emit("run_finished", lambda: notifications.run_finished(command, report))

    def gate(self, plan: RolloutPlan) -> None:
        """`up`'s plan before it runs: a closed gate (why, and the approval it needs if that is one
        reason), or an open one with nothing to run because of windows or freezes (run_deferred)."""
        from tenantwave.rollout import notifications

        self.emit("gate_closed", lambda: notifications.gate_closed(plan))
        self.emit("approval_needed", lambda: notifications.approval_needed(self._workspace().project, plan))
        self.emit("run_deferred", lambda: notifications.run_deferred("up", plan))

    def approval_ahead(self, report: RunReport) -> None:
        """After a wave's run succeeded: the approval the next wave needs, if its phase asks for one."""
        plan = report.plan
        if plan.wave is None or plan.wave >= plan.total_waves or report.status != "succeeded":
            return

        def build() -> Notification | None:
            from tenantwave.planning.selection import Targets
            from tenantwave.rollout import notifications
            from tenantwave.rollout.prepare import prepare_rollout

            workspace = self._workspace()
            assert plan.wave is not None
            following = prepare_rollout(workspace, plan.release, wave=plan.wave + 1, targets=Targets())
            return notifications.approval_needed(workspace.project, following)

        self.emit("approval_needed", build)

    def rollback_done(self, rollbacks: Rollbacks, *, automatic: bool) -> None:
        from tenantwave.rollout import notifications

        if rollbacks.reports:
            self.emit("rollback_done", lambda: notifications.rollback_done(rollbacks, automatic=automatic))

    def drift_found(self, report: DriftReport) -> None:
        """`platform drift` found drifted stacks (nothing is sent for a clean fleet)."""
        from tenantwave.rollout import notifications

        found = report.found()
        if found is not None:
            self.emit("drift_found", lambda: notifications.drift_found(found))

    # -- the end of the command -------------------------------------------------------------------

    def finish(self) -> dict[str, Any] | None:
        """Wait (bounded) for what is on its way; the summary for a JSON document (None: no webhook
        was asked to send anything)."""
        summary = self._flush()
        return None if summary is None else summary.to_json()

    def close(self, *, as_json: bool) -> None:
        """The end of a command that has not reported its notifications yet: a few lines (stderr with --json)."""
        summary = self._flush()
        for line in summary.lines() if summary is not None else ():
            click.echo(line, err=as_json)

    def _flush(self) -> NotifySummary | None:
        if self._finished or self._notifier is None:
            return None
        self._finished = True
        try:
            summary = self._notifier.flush()
        except KeyboardInterrupt:  # Ctrl-C while waiting: stop waiting, keep the command's exit code
            summary = self._notifier.flush(timeout=0)
        return summary if summary.deliveries else None


class _Announcing:
    """A run listener that also reports the run's start (the sender queues: this never waits)."""

    def __init__(self, inner: RunListener, started: Callable[[str, Sequence[Stack], bool], None],
                 simulated: bool) -> None:
        self.inner = inner
        self.started = started
        self.simulated = simulated

    def run_started(self, run_id: str, stacks: Sequence[Stack], log_dir: Path) -> None:
        self.started(run_id, stacks, self.simulated)
        self.inner.run_started(run_id, stacks, log_dir)

    def stack_started(self, stack: Stack) -> None:
        self.inner.stack_started(stack)

    def progress(self, event: Progress) -> None:
        self.inner.progress(event)

    def stack_finished(self, outcome: Outcome) -> None:
        self.inner.stack_finished(outcome)
