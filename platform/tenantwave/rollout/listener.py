"""What the runner tells the front end while a run goes on, and the guard that keeps the front
end's failures out of the run.

The runner calls its listener from its own (calling) thread only. A listener is display: it must
never stop a run half way. `GuardedListener` makes that so: a closed output (`platform up | head`,
BrokenPipeError) silences the display and the run goes on; any other error (a bug in the view, a
markup error) silences it too and is reported to the runner, which stops starting stacks, lets the
running ones finish, records them and ends the run as failed with that error as the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from tenantwave.engine.base import Progress
from tenantwave.planning.inventory import Stack
from tenantwave.rollout.report import Outcome


class RunListener(Protocol):
    def run_started(self, run_id: str, stacks: Sequence[Stack], log_dir: Path) -> None: ...

    def stack_started(self, stack: Stack) -> None: ...

    def progress(self, event: Progress) -> None: ...

    def stack_finished(self, outcome: Outcome) -> None: ...


class QuietListener:
    def run_started(self, run_id: str, stacks: Sequence[Stack], log_dir: Path) -> None:
        pass

    def stack_started(self, stack: Stack) -> None:
        pass

    def progress(self, event: Progress) -> None:
        pass

    def stack_finished(self, outcome: Outcome) -> None:
        pass


class GuardedListener:
    """`inner`, whose exceptions never reach the caller; `failed` hears of any but a closed output."""

    def __init__(self, inner: RunListener, failed: Callable[[Exception], None]) -> None:
        self.inner = inner
        self.failed = failed
        self.silent = False

    def run_started(self, run_id: str, stacks: Sequence[Stack], log_dir: Path) -> None:
        self._call(lambda: self.inner.run_started(run_id, stacks, log_dir))

    def stack_started(self, stack: Stack) -> None:
        self._call(lambda: self.inner.stack_started(stack))

    def progress(self, event: Progress) -> None:
        self._call(lambda: self.inner.progress(event))

    def stack_finished(self, outcome: Outcome) -> None:
        self._call(lambda: self.inner.stack_finished(outcome))

    def _call(self, show: Callable[[], None]) -> None:
        if self.silent:
            return
        try:
            show()
        except BrokenPipeError:  # nobody reads the output any more: the run goes on without it
            self.silent = True
        except Exception as exc:
            self.silent = True
            self.failed(exc)
