"""The relay between a run's worker threads and its listener.

Worker threads never touch the listener: they post what happened (a stack started, an engine
progress event, a stack finished) here, from any thread; the run's calling thread `drain`s the
relay, which hands each event to the listener in the order it was posted.
"""

from __future__ import annotations

import queue
from typing import Any

from tenantwave.engine.base import Progress
from tenantwave.planning.inventory import Stack
from tenantwave.rollout.listener import RunListener
from tenantwave.rollout.report import Outcome


class EventRelay:
    """A thread-safe queue of listener events; only `drain` calls the listener."""

    def __init__(self, listener: RunListener) -> None:
        self.listener = listener
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def started(self, stack: Stack) -> None:
        self._events.put(("started", stack))

    def progress(self, event: Progress) -> None:
        self._events.put(("progress", event))

    def finished(self, outcome: Outcome) -> None:
        self._events.put(("finished", outcome))

    def drain(self) -> None:
        """Hand every event posted so far to the listener (call from the run's own thread)."""
        while True:
            try:
                kind, payload = self._events.get_nowait()
            except queue.Empty:
                return
            if kind == "started":
                self.listener.stack_started(payload)
            elif kind == "finished":
                self.listener.stack_finished(payload)
            else:
                self.listener.progress(payload)
