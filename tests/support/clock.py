"""Pinning the ledger's clock (a SQLite ledger's: this machine's time) to a fixed instant.

`plan` and `up` read the time from the ledger (`Ledger.now`, or the deferred ledger's `now` before a
SQLite ledger is opened); both read this machine's clock through a module-level `utcnow`, which is
what gets pinned. Windows, freezes, bakes and the run's records then all see the same instant.
"""

from __future__ import annotations

from datetime import datetime

import pytest

CLOCKS = ("tenantwave.ledger.store.utcnow", "tenantwave.ledger.deferred.utcnow")


def pin_clock(monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
    """Every read of this machine's clock by the ledger gives `now` (naive UTC)."""
    for target in CLOCKS:
        monkeypatch.setattr(target, lambda: now)
