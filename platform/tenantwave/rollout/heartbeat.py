"""A run's heartbeat: a daemon thread that tells the ledger every few seconds that the run is alive,
so its claims do not become stale while its stacks deploy (or are checked)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tenantwave.errors import LedgerError


def start_heartbeat(ledger: Any, run_id: str, seconds: float, name: str = "heartbeat") -> Callable[[], None]:
    """Beat `ledger.heartbeat(run_id)` every `seconds` on a thread called `name`; returns `halt`, which
    stops the beats and waits (at most 5 s) for the thread. A missed beat is not fatal: the claim is
    stale only after stale_after, so a LedgerError is skipped and the next beat tries again."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(seconds):
            try:
                ledger.heartbeat(run_id)
            except LedgerError:
                continue

    thread = threading.Thread(target=beat, name=name, daemon=True)
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(timeout=5)

    return halt
