"""The PostgreSQL fixture itself: a real server, a fresh database per test."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url

from support.postgres import PostgresServer, find_bindir

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def _connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    u = make_url(url)
    return psycopg.connect(
        host=u.host, port=u.port, user=u.username, password=u.password, dbname=u.database, autocommit=True,
        **({"options": str(u.query["options"])} if "options" in u.query else {}),
    )


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
