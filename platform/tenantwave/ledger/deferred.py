"""A ledger opened on first use: SQLAlchemy (about a third of a second to import) is loaded only
when the ledger is really written, or read in a way only it can.

The planning reads (a release's history, the fleet's status) of a plain SQLite file go through the
standard library's sqlite3, read-only, with the same SQL as the Ledger (planreads). Whenever that
quick read cannot answer (another schema version, a locked or damaged file, anything unexpected),
the real Ledger does the read, with its migrations, retries and error messages; a stored value
the read cannot take (records.StoredValueError: edited by hand, damaged) is reported at once,
naming the ledger as the Ledger does. A SQLite ledger
that does not exist yet (a new project, the example) needs no database at all: the answer is an
empty history.

Results a run kept in its journal while the ledger was unusable (ledger.journal) are replayed on
the ledger's first use, before anything is read or written: no command sees the ledger without
them. Quick reads are skipped while such results wait."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tenantwave.ledger import driftreads, journal, planreads
from tenantwave.ledger.history import ReleaseHistory
from tenantwave.ledger.records import StackStatus, StoredValueError
from tenantwave.ledger.urls import plain_sqlite_file, shown_url
from tenantwave.ledger.version import SCHEMA_VERSION

if TYPE_CHECKING:
    from tenantwave.ledger.store import Ledger

T = TypeVar("T")
QUICK_TIMEOUT = 2.0  # seconds: a reader waits for a SQLite lock only while the WAL is recovered


class DeferredLedger:
    """Stands for `Ledger(url)`: every attribute is the real ledger's, created on first use."""

    def __init__(self, url: str, state_dir: Path | None = None) -> None:
        self.url = url
        self._state_dir = state_dir  # where the runner keeps its journal (.platform/)
        self._real: Ledger | None = None
        self._lock = threading.Lock()
        self.replayed = journal.Replayed()  # what the first use recorded from the journal

    def real(self) -> Ledger:
        if self._real is None:
            with self._lock:
                if self._real is None:
                    from tenantwave.ledger.store import Ledger

                    ledger = Ledger(self.url)
                    if self._journaled():
                        assert self._state_dir is not None
                        self.replayed = journal.replay(ledger, self._state_dir)
                    self._real = ledger
        return self._real

    def _journaled(self) -> bool:
        return self._state_dir is not None and bool(journal.pending(self._state_dir))

    def _missing(self) -> bool:
        """True when this is a plain SQLite URL whose file does not exist (yet)."""
        if self._real is not None:
            return not self._real.exists()
        path = plain_sqlite_file(self.url)
        return path is not None and not path.exists()

    def release_history(self, release: str) -> ReleaseHistory:
        if self._missing():
            return ReleaseHistory(release=release)
        history = self._quick(lambda execute: planreads.release_history(execute, release))
        return history if history is not None else self.real().release_history(release)

    def status(self) -> list[StackStatus]:
        if self._missing():
            return []
        statuses = self._quick(planreads.fleet_status)
        return statuses if statuses is not None else self.real().status()

    def drift_marks(self) -> dict[str, driftreads.DriftMark]:
        if self._missing():
            return {}
        marks = self._quick(driftreads.outstanding)
        return marks if marks is not None else self.real().drift_marks()

    def now(self) -> datetime:
        """The ledger's time (Ledger.now); on SQLite this machine's, without opening anything."""
        if self.url.startswith("sqlite"):
            return utcnow()
        return self.real().now()

    def _quick(self, read: Callable[[planreads.Execute], T]) -> T | None:
        """`read` on a plain SQLite file at the current schema version, in one read-only
        transaction with the standard library; None when it cannot be answered that way."""
        path = plain_sqlite_file(self.url)
        if path is None or self._real is not None or self._journaled():
            return None
        try:
            return quick_sqlite_read(path, read)
        except StoredValueError as exc:  # what the real ledger would find too: named here, as it names it
            raise exc.at(shown_url(self.url)) from None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_real", "_lock"):
            raise AttributeError(name)
        return getattr(self.real(), name)


def utcnow() -> datetime:
    """This machine's time, naive UTC (the SQLite ledger's clock; tests pin it here and in store)."""
    return datetime.now(UTC).replace(tzinfo=None)


def quick_sqlite_read(path: Path, read: Callable[[planreads.Execute], T]) -> T | None:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=QUICK_TIMEOUT)
    except (sqlite3.Error, ValueError):
        return None
    try:
        conn.execute("BEGIN")  # one snapshot for every statement of the read
        execute: planreads.Execute = lambda sql, params: conn.execute(sql, params)  # noqa: E731
        version = next(iter(execute(planreads.STORED_VERSION, {})))[0]
        if version != SCHEMA_VERSION:
            return None
        return read(execute)
    except (sqlite3.Error, ValueError, TypeError, KeyError):
        return None  # the real ledger reads it again and says what is wrong, if anything
    finally:
        conn.close()
