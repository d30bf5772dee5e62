"""What a person sees when the ledger cannot be used: one line, no traceback, no password."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from support.ledgertools import RELEASE, STALE_AFTER, stack
from support.postgres import PostgresServer
from tenantwave.errors import LedgerError
from tenantwave.ledger import Ledger

pytestmark = pytest.mark.integration

SECRET = "s3cr3t-Pa55"


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nobody listens there once the socket is closed


def uses(ledger: Ledger) -> list[Callable[[], object]]:
    return [
        ledger.status,
        lambda: ledger.release_history(RELEASE),
        lambda: ledger.start_run(release=RELEASE, command="up", engine="test"),
        lambda: ledger.claim(run_id="r", stack=stack("testing.pool.basic"), release=RELEASE, operation="up",
                             fingerprint=None, stale_after=STALE_AFTER),
        lambda: ledger.approve(RELEASE, 1, "alice"),
    ]


def one_line_error(action: Callable[[], object]) -> str:
    with pytest.raises(LedgerError) as caught:
        action()
    message = caught.value.message
    assert "\n" not in message and "Traceback" not in message
    assert SECRET not in message and SECRET not in str(caught.value)
    error = caught.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)  # no chain
    return message


def test_an_unreachable_postgres_server_is_one_line_without_the_password() -> None:
    port = closed_port()
    ledger = Ledger(f"postgresql://ledger:{SECRET}@127.0.0.1:{port}/tenantwave")
    started = time.monotonic()
    for action in uses(ledger):
        message = one_line_error(action)
        assert message.startswith(f"ledger postgresql://ledger:***@127.0.0.1:{port}/tenantwave cannot be used: ")
        assert "Connection refused" in message or "connection" in message.lower()
    assert time.monotonic() - started < 10  # a refused connection fails at once


@pytest.mark.postgres
def test_a_missing_database_on_a_real_server_is_one_line(postgres_server: PostgresServer) -> None:
    url = postgres_server.database_url("no_such_ledger")
    message = one_line_error(Ledger(url).status)
    assert 'database "no_such_ledger" does not exist' in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "is not a database URL"),
        (f"postgresql://ledger:{SECRET}@db.example:port/x", "ledger URL 'postgresql://ledger:***@db.example:port/x'"),
        (f"mysql://ledger:{SECRET}@db.example/x", "only sqlite:///path and postgresql://user@host/db"),
        ("sqlite:////proc/no-such-dir/ledger.db", "cannot create its directory"),
    ],
)
def test_a_wrong_url_is_one_line(url: str, expected: str) -> None:
    message = one_line_error(lambda: Ledger(url).start_run(release=RELEASE, command="up", engine="test"))
    assert expected in message


def hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another process's writer, as far as SQLite can tell: a connection holding the write lock."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_a_locked_sqlite_ledger_waits_then_says_it_is_locked(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    url = f"sqlite:///{path}"
    Ledger(url).start_run(release=RELEASE, command="up", engine="test")  # the schema exists
    other = hold_write_lock(path)
    try:
        ledger = Ledger(url, timeout=0.5)
        assert len(ledger.runs()) == 1  # reading is not blocked by a writer
        started = time.monotonic()
        message = one_line_error(lambda: ledger.start_run(release=RELEASE, command="up", engine="test"))
        waited = time.monotonic() - started
        assert message == (
            f"ledger {url} is locked: another process held it for more than 0.5 s (database is locked); "
            "retry when it is done"
        )
        assert 0.4 <= waited < 5
        via_url = Ledger(f"{url}?timeout=0.2")  # the URL may say how long to wait
        started = time.monotonic()
        assert "more than 0.2 s" in one_line_error(lambda: via_url.approve(RELEASE, 1, "alice"))
        assert time.monotonic() - started < 2
    finally:
        other.rollback()
        other.close()
    assert len(Ledger(url).runs()) == 1  # nothing half-written


def test_a_briefly_locked_sqlite_ledger_just_waits(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    url = f"sqlite:///{path}"
    Ledger(url).schema_version()
    other = hold_write_lock(path)

    def let_go() -> None:
        other.rollback()
        other.close()

    release = threading.Timer(0.3, let_go)
    release.start()
    try:
        run_id = Ledger(url, timeout=10).start_run(release=RELEASE, command="up", engine="test")
    finally:
        release.join()
    assert [r.id for r in Ledger(url).runs()] == [run_id]


def test_threads_waiting_behind_a_locked_sqlite_ledger_all_give_up_in_time(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    url = f"sqlite:///{path}"
    Ledger(url).schema_version()
    other = hold_write_lock(path)
    messages: list[str] = []
    ledger = Ledger(url, timeout=0.3)

    def attempt() -> None:
        try:
            ledger.start_run(release=RELEASE, command="up", engine="test")
        except LedgerError as exc:
            messages.append(exc.message)

    threads = [threading.Thread(target=attempt) for _ in range(5)]
    started = time.monotonic()
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
    finally:
        other.rollback()
        other.close()
    assert len(messages) == 5 and all("is locked" in m for m in messages)
    assert time.monotonic() - started < 3  # not five timeouts one after the other
