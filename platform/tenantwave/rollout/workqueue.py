"""The stacks of a run still to start, shared by the runner's workers.

Workers pull the next stack themselves. The queue decides when no new stack may start: the run was
cancelled, halted (say, the display or the ledger failed), its failures exceed the failure budget
(stacks already running finish), or it exposed as many tenants as `max_tenants_per_run` allows. With
`max_tenants_in_flight`, a worker waits until the next stack fits beside the running ones
(rollout/blastradius.py); stacks start in plan order. A stack a maintenance window or a freeze
holds when its turn comes (the runner checks right before it starts) is handed back with `defer`:
it never starts, gives its tenants back, and is reported as deferred. At the end, every stack that
never started gets a `not-started` outcome saying why.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from tenantwave.engine.base import CancelToken
from tenantwave.planning.inventory import Stack
from tenantwave.rollout.blastradius import Admission, TenantLimits
from tenantwave.rollout.report import FAILED_OUTCOMES, Outcome

UNCHANGED = ("held", "skipped", "not-started")  # outcomes of a stack taken from the queue that changed nothing


class WorkQueue:
    """The stacks still to start, shared by the workers; decides when to stop starting new ones."""

    def __init__(
        self, stacks: list[Stack], failure_budget: int, cancel: CancelToken, limits: TenantLimits | None = None
    ) -> None:
        self._pending = list(reversed(stacks))
        self._lock = threading.Condition()
        self._budget = failure_budget
        self._cancel = cancel
        self._failures = 0
        self._halted: str | None = None
        self._running: dict[str, Stack] = {}
        self._not_before = 0.0  # monotonic time: a stack waits for other runs' (requeue)
        self._admission = Admission(limits) if limits is not None and limits.active else None
        self.capped: str | None = None  # why the run's tenant cap stopped new starts
        self.outcomes: dict[str, Outcome] = {}
        self.deferred: dict[str, tuple[str, datetime | None]] = {}  # stack -> why a window or a freeze held it
        # at its start, and when no hold applies any more (naive UTC, if known)

    def next(self) -> Stack | None:
        """The next stack to start (waiting while the tenant cap holds it back), or None: none may."""
        with self._lock:
            while True:
                if not self._pending or self._cancel.is_set() or self._halted or self.capped:
                    return None
                if self._failures > self._budget:
                    return None
                if (pause := self._not_before - time.monotonic()) > 0:
                    self._lock.wait(min(pause, 0.1))
                    continue
                stack = self._pending[-1]
                verdict = self._admission.verdict(stack, self._running.values()) if self._admission else "start"
                if verdict == "start":
                    break
                if verdict == "stop" and self._admission is not None:
                    self.capped = self._admission.stop_reason
                    self._lock.notify_all()
                    return None
                self._lock.wait(0.1)  # a finishing stack wakes it; a cancellation is seen within 0.1 s
            self._pending.pop()
            self._running[stack.name] = stack
            if self._admission is not None:
                self._admission.started(stack)
            return stack

    def finish(self, outcome: Outcome) -> None:
        with self._lock:
            stack = self._running.pop(outcome.stack, None)
            if stack is not None and outcome.status in UNCHANGED:
                self._give_back(stack)
            self.outcomes[outcome.stack] = outcome
            self._failures += outcome.status in FAILED_OUTCOMES
            self._lock.notify_all()

    def defer(self, stack: Stack, reason: str, until: datetime | None = None) -> None:
        """`stack`, taken with `next`, is held by a window or a freeze: it does not start."""
        with self._lock:
            self._running.pop(stack.name, None)
            self._give_back(stack)
            self.deferred[stack.name] = (reason, until)
            self._lock.notify_all()

    def requeue(self, stack: Stack, pause: float) -> None:
        """`stack`, taken with `next`, waits for stacks of other runs (max_tenants_in_flight across
        runs): it is next again, after `pause` seconds, and gives its tenants back meanwhile."""
        with self._lock:
            self._running.pop(stack.name, None)
            self._give_back(stack)
            self._pending.append(stack)
            self._not_before = time.monotonic() + pause
            self._lock.notify_all()

    def _give_back(self, stack: Stack) -> None:
        """(Under the lock.) `stack` changed nothing: its tenants no longer count against the run's
        cap, and a stop at the cap that counted them is judged again by the next `next`."""
        if self._admission is not None:
            self._admission.withdrawn(stack)
            self.capped = None

    def halt(self, reason: str) -> None:
        """No stack starts from now on; `reason` is what the unstarted ones say."""
        with self._lock:
            self._halted = self._halted or reason
            self._lock.notify_all()

    @property
    def in_flight(self) -> list[Stack]:
        with self._lock:
            return list(self._running.values())

    def settle_unstarted(self) -> None:
        if self._cancel.is_set():
            reason = "cancelled before it started"
        elif self._halted:
            reason = f"not started: {self._halted}"
        elif self.capped:
            reason = f"not started: {self.capped}"
        else:
            reason = "not started: the failure budget of this run is spent"
        with self._lock:
            for stack in self._pending:
                self.outcomes[stack.name] = Outcome(stack.name, "not-started", error=reason)
            self._pending.clear()
