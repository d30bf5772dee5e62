"""The stacks of a run still to start, shared by the runner's workers.

Workers pull the next stack themselves. The queue decides when no new stack may start: the run was
cancelled, halted (say, the display or the ledger failed), or its failures exceed the failure budget
(stacks already running finish). At the end, every stack that never started gets a `not-started`
outcome saying why.
"""

from __future__ import annotations

import threading

from tenantwave.engine.base import CancelToken
from tenantwave.planning.inventory import Stack
from tenantwave.rollout.report import FAILED_OUTCOMES, Outcome


class WorkQueue:
    """The stacks still to start, shared by the workers; decides when to stop starting new ones."""

    def __init__(self, stacks: list[Stack], failure_budget: int, cancel: CancelToken) -> None:
        self._pending = list(reversed(stacks))
        self._lock = threading.Lock()
        self._budget = failure_budget
        self._cancel = cancel
        self._failures = 0
        self._halted: str | None = None
        self._running: dict[str, Stack] = {}
        self.outcomes: dict[str, Outcome] = {}

    def next(self) -> Stack | None:
        with self._lock:
            if not self._pending or self._cancel.is_set() or self._halted or self._failures > self._budget:
                return None
            stack = self._pending.pop()
            self._running[stack.name] = stack
            return stack

    def finish(self, outcome: Outcome) -> None:
        with self._lock:
            self._running.pop(outcome.stack, None)
            self.outcomes[outcome.stack] = outcome
            self._failures += outcome.status in FAILED_OUTCOMES

    def halt(self, reason: str) -> None:
        """No stack starts from now on; `reason` is what the unstarted ones say."""
        with self._lock:
            self._halted = self._halted or reason

    @property
    def in_flight(self) -> list[Stack]:
        with self._lock:
            return list(self._running.values())

    def settle_unstarted(self) -> None:
        if self._cancel.is_set():
            reason = "cancelled before it started"
        elif self._halted:
            reason = f"not started: {self._halted}"
        else:
            reason = "not started: the failure budget of this run is spent"
        with self._lock:
            for stack in self._pending:
                self.outcomes[stack.name] = Outcome(stack.name, "not-started", error=reason)
            self._pending.clear()
