"""Opening a ledger's database: its SQLAlchemy engine, its URL shown without the password, and
the driver's errors turned into one-line LedgerError messages.

On SQLite a write starts with BEGIN IMMEDIATE (the driver's own transaction handling is turned
off: it would start the transaction only at the first write, after reads that could no longer be
trusted, and run DDL outside any transaction); the busy timeout bounds every wait, then the error
says the database is locked. Threads of one process take turns on a writer lock per file. On
PostgreSQL lock waits are bounded by lock_timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from tenantwave.errors import LedgerError
from tenantwave.ledger.urls import shown_url
from tenantwave.privacy.files import private_dirs, tighten

DEFAULT_TIMEOUT = 30.0  # seconds: SQLite busy timeout, PostgreSQL lock timeout

_SQLITE_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def redact(url: str) -> str:
    """`url` with its secrets replaced by ***, even when it does not parse: urls.shown_url's
    (the userinfo's password to its last '@', query parameters named like a password), else as
    SQLAlchemy renders it without the password."""
    hidden = shown_url(url)
    if hidden != url:
        return hidden
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite ledger; None in memory and for any other database."""
    if not is_sqlite(url):
        return None
    database = make_url(url).database
    return Path(database) if database and database != ":memory:" else None


def journals(path: Path) -> list[Path]:
    """The files SQLite keeps next to a database (write-ahead log, shared memory, rollback journal)."""
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def open_engine(url_text: str, timeout: float) -> tuple[Engine, float]:
    """The engine for a ledger URL, and the lock timeout to use with it (a SQLite URL may say
    `?timeout=N`, which replaces `timeout`)."""
    shown_url = redact(url_text)
    try:
        url = make_url(url_text)
    except (ArgumentError, ValueError):
        raise LedgerError(
            f"ledger URL {shown_url!r} is not a database URL "
            "(use sqlite:///path/to/ledger.db or postgresql://user@host/db)"
        ) from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    try:
        if url.drivername in ("sqlite", "sqlite+pysqlite"):
            return _sqlite_engine(url, sqlite_path(url_text), timeout)
        if url.drivername == "postgresql+psycopg":
            return _postgres_engine(url, timeout), timeout
    except (NoSuchModuleError, ImportError) as exc:
        raise LedgerError(
            f"ledger {shown_url}: the database driver is missing ({exc}); "
            "install tenantwave[postgres] for PostgreSQL"
        ) from None
    except OSError as exc:
        raise LedgerError(f"ledger {shown_url}: cannot create its directory: {exc}") from None
    except (ArgumentError, ValueError, TypeError) as exc:
        raise LedgerError(f"ledger {shown_url}: invalid URL: {one_line(str(exc))}") from None
    raise LedgerError(f"ledger {shown_url}: only sqlite:///path and postgresql://user@host/db URLs are supported")


def _sqlite_engine(url: Any, path: Path | None, timeout: float) -> tuple[Engine, float]:
    if "timeout" in url.query:
        timeout = float(url.query["timeout"])
        url = url.difference_update_query(["timeout"])
    if path is not None:
        private_dirs(path.parent)
    memory = path is None
    engine = create_engine(
        url,
        connect_args={"timeout": timeout, "check_same_thread": False},
        **({"poolclass": StaticPool} if memory else {}),
    )
    busy_ms = int(timeout * 1000)

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        if path is not None:  # before WAL mode: SQLite gives its journals the database file's mode
            tighten(path, *journals(path))
        dbapi_connection.isolation_level = None  # transactions are begun by on_begin below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    def on_begin(conn: Connection) -> None:
        # IMMEDIATE: a writer takes the write lock first (waiting up to the busy timeout)
        # instead of failing to upgrade a read snapshot another process made stale.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("tw_write") else "BEGIN")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)
    return engine, timeout


def _postgres_engine(url: Any, timeout: float) -> Engine:
    connect_args: dict[str, Any] = {
        "connect_timeout": max(1, round(min(timeout, 10))),
        "application_name": "tenantwave",
    }
    # libpq options from the URL (say, ?options=-csearch_path=ledger) are kept; the lock
    # timeout is added to them unless the URL sets one.
    options = str(url.query.get("options", ""))
    if "lock_timeout" not in options:
        options = f"{options} -c lock_timeout={int(timeout * 1000)}".strip()
    connect_args["options"] = options
    url = url.difference_update_query(["options"])
    return create_engine(url, pool_pre_ping=True, max_overflow=25, connect_args=connect_args)


def writer_lock(url: str) -> threading.Lock | None:
    """SQLite allows one writer at a time, and a thread that finds the file locked sleeps in
    SQLite's busy handler for milliseconds at a time: threads of one process take turns on a
    lock instead (other processes still meet the busy timeout). PostgreSQL needs none."""
    if not is_sqlite(url):
        return None
    with _LOCKS_GUARD:
        return _SQLITE_LOCKS.setdefault(url, threading.Lock())


@contextmanager
def writer_turn(url: str, timeout: float) -> Iterator[None]:
    """This thread's turn to write to the ledger at `url` (at once on PostgreSQL)."""
    lock = writer_lock(url)
    if lock is None:
        yield
        return
    if not lock.acquire(timeout=timeout):
        raise LedgerError(
            f"ledger {redact(url)} is locked: other threads of this process kept it busy "
            f"for more than {timeout:g} s"
        )
    try:
        yield
    finally:
        lock.release()


def ledger_error(url: str, timeout: float, exc: BaseException) -> LedgerError:
    """The driver's error `exc` as one line, without the URL's password."""
    detail = one_line(str(getattr(exc, "orig", None) or exc))
    password = _password(url)
    if password:
        detail = detail.replace(password, "***")
    if is_sqlite(url) and "database is locked" in detail:
        return LedgerError(
            f"ledger {redact(url)} is locked: another process held it for more than "
            f"{timeout:g} s (database is locked); retry when it is done"
        )
    return LedgerError(f"ledger {redact(url)} cannot be used: {detail}")


def _password(url: str) -> str | None:
    try:
        password = make_url(url).password
    except (ArgumentError, ValueError):
        return None
    return str(password) if password else None


def one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "unknown error"
