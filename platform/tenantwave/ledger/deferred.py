"""A ledger opened on first use: SQLAlchemy (about a third of a second to import) is loaded only
when the ledger is really read or written. Reading a SQLite ledger that does not exist yet (a new
project, the example) needs no database at all: the answer is an empty history."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from tenantwave.history import ReleaseHistory
from tenantwave.ledger.records import StackStatus
from tenantwave.ledger.urls import plain_sqlite_file

if TYPE_CHECKING:
    from tenantwave.ledger.store import Ledger


class DeferredLedger:
    """Stands for `Ledger(url)`: every attribute is the real ledger's, created on first use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._real: Ledger | None = None
        self._lock = threading.Lock()

    def real(self) -> Ledger:
        if self._real is None:
            with self._lock:
                if self._real is None:
                    from tenantwave.ledger.store import Ledger

                    self._real = Ledger(self.url)
        return self._real

    def _missing(self) -> bool:
        """True when this is a plain SQLite URL whose file does not exist (yet)."""
        if self._real is not None:
            return not self._real.exists()
        path = plain_sqlite_file(self.url)
        return path is not None and not path.exists()

    def release_history(self, release: str) -> ReleaseHistory:
        if self._missing():
            return ReleaseHistory(release=release)
        return self.real().release_history(release)

    def status(self) -> list[StackStatus]:
        return [] if self._missing() else self.real().status()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_real", "_lock"):
            raise AttributeError(name)
        return getattr(self.real(), name)
