"""The PostgreSQL fixture itself: a real server, a fresh database per test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from support.postgres import PostgresServer, find_bindir

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def _connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    u = make_url(url)
    params: dict[str, Any] = {"host": u.host, "port": u.port, "user": u.username, "dbname": u.database}
    if u.password:
        params["password"] = u.password
    if "options" in u.query:
        params["options"] = str(u.query["options"])
    return psycopg.connect(autocommit=True, **params)


def test_the_server_is_real_and_on_loopback(postgres_server: PostgresServer) -> None:
    url = make_url(postgres_server.url)
    assert url.drivername == "postgresql"
    with _connect(postgres_server.url) as conn:
        row = conn.execute("SELECT current_setting('server_version_num')::int, current_database()").fetchone()
    assert row is not None and int(str(row[0])) >= 120000
    if not postgres_server.external:
        assert url.host == "127.0.0.1" and url.database == "tenantwave_test"
        assert find_bindir() is not None


@pytest.mark.parametrize("attempt", [1, 2])
def test_each_test_gets_an_empty_namespace_of_its_own(postgres_url: str, attempt: int) -> None:
    with _connect(postgres_url) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()").fetchone()
        assert tables == (0,)
        conn.execute("CREATE TABLE tw_marker (attempt int)")  # the other attempt must not see it
        assert conn.execute("SELECT count(*) FROM tw_marker").fetchone() == (0,)
        schema = conn.execute("SELECT current_schema()").fetchone()
    assert schema is not None and str(schema[0]).startswith("tw_")


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_missing_binaries_fail_in_ci_and_skip_visibly_elsewhere(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]
) -> None:
    from support.postgres import _unavailable

    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="no PostgreSQL server binaries"):
        _unavailable("no PostgreSQL server binaries")


def test_binaries_are_found_in_an_explicit_directory_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("initdb", "pg_ctl", "postgres"):
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)
    monkeypatch.setenv("PLATFORM_TEST_POSTGRES_BINDIR", str(tmp_path))
    assert find_bindir() == tmp_path
    (tmp_path / "pg_ctl").unlink()  # incomplete: the next candidate (or none) is used
    assert find_bindir() != tmp_path
