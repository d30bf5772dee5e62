"""Which ledger errors are an outage worth waiting out, and for how long.

An outage is the database going away for a moment and coming back: a PostgreSQL server restarted,
failed over or cutting its connections (SQLSTATE class 08, 57P01-57P03, a connection refused or
lost without a SQLSTATE), a SQLite file that cannot be written for now (disk full, I/O error,
cannot be opened). A ledger that answered once in this process and then has an outage is tried
again with backoff for `retry_seconds` (60 s by default, `PLATFORM_LEDGER_RETRY_SECONDS`); one that
never answered is not waited for (a wrong URL, a server that is not running: say so at once).

Every write of the ledger is safe to try again after a commit whose answer was lost: each one
either changes nothing the second time or recognises its own first attempt (claims, the runs
table, finish_deployment).
"""

from __future__ import annotations

import os
import random

from sqlalchemy.exc import DBAPIError, OperationalError

DEFAULT_RETRY_SECONDS = 60.0
RETRY_ENV = "PLATFORM_LEDGER_RETRY_SECONDS"
OUTAGE_SQLSTATES = ("57P01", "57P02", "57P03")  # admin shutdown, crash shutdown, cannot connect now
NOT_AN_OUTAGE_SQLSTATES = ("55P03", "57014")  # lock not available, query cancelled: a lock timeout
SQLITE_OUTAGES = ("disk i/o error", "database or disk is full", "unable to open database file")


def retry_seconds(explicit: float | None = None) -> float:
    """How long an outage is waited out: `explicit`, else PLATFORM_LEDGER_RETRY_SECONDS, else 60 s."""
    if explicit is not None:
        return max(0.0, explicit)
    text = os.environ.get(RETRY_ENV, "").strip()
    try:
        return max(0.0, float(text)) if text else DEFAULT_RETRY_SECONDS
    except ValueError:
        return DEFAULT_RETRY_SECONDS


def is_outage(exc: DBAPIError, *, sqlite: bool) -> bool:
    """True when `exc` says the database is unreachable or cannot write for now."""
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if sqlite:
        text = str(orig).lower()
        return any(words in text for words in SQLITE_OUTAGES)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        return str(sqlstate).startswith("08") or sqlstate in OUTAGE_SQLSTATES
    return isinstance(exc, OperationalError)  # psycopg: refused or lost connections carry no SQLSTATE


def pause(attempt: int, remaining: float) -> float:
    """Seconds to wait before the next attempt: exponential from 0.1 s, at most 2 s, jittered,
    never past the end of the window."""
    return max(0.0, min(0.1 * 2.0 ** min(attempt, 5), 2.0, remaining) * (0.5 + random.random() / 2))
