"""A real PostgreSQL server for the tests (pytest plugin): never mocked.

- `postgres_server` (session): the URL of a server database. `PLATFORM_TEST_POSTGRES_URL` if set
  (CI may provide a server); otherwise the Debian/Ubuntu server binaries are found (`pg_config
  --bindir`, /usr/lib/postgresql/*/bin, PATH), a throwaway cluster is created with initdb in a
  temporary directory, started on a free loopback port (as the `postgres` user when the tests run
  as root, since PostgreSQL refuses to run as root), and stopped and removed at the end.
  No binaries: the PostgreSQL tests are skipped with the reason shown, except when `CI=true`,
  where they fail (a CI run never skips them silently).
- `postgres_url` (function): a fresh, empty schema for one test (the URL selects it), dropped
  afterwards: no test sees another's tables or rows.
- `ledger_url` (function, parametrized): the same test on a SQLite file and on PostgreSQL; the
  PostgreSQL case carries the `postgres` mark (`-m "not postgres"` leaves the server unstarted).
- `postgres_outage` (function): a server of the test's own (a throwaway cluster, never the shared
  one) that the test can `stop()` and `start()` again on the same port, to simulate an outage.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import URL, make_url

ENV_URL = "PLATFORM_TEST_POSTGRES_URL"
DATABASE = "tenantwave_test"
REQUIRED = ("initdb", "pg_ctl", "postgres")
_counter = itertools.count(1)


@dataclass(frozen=True)
class PostgresServer:
    """A reachable server: `url` names its main test database (postgresql://...)."""

    url: str
    external: bool

    def database_url(self, database: str) -> str:
        return make_url(self.url).set(database=database).render_as_string(hide_password=False)

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        """An autocommit connection to the main database (for CREATE/DROP DATABASE)."""
        return psycopg.connect(_conninfo(make_url(self.url)), autocommit=True, connect_timeout=10)


def _conninfo(url: URL) -> str:
    parts = {
        "host": url.host or "127.0.0.1",
        "port": str(url.port or 5432),
        "user": url.username or "postgres",
        "dbname": url.database or "postgres",
    }
    if url.password:
        parts["password"] = str(url.password)
    return psycopg.conninfo.make_conninfo(**parts)


def find_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None."""
    candidates: list[Path] = []
    if explicit := os.environ.get("PLATFORM_TEST_POSTGRES_BINDIR"):
        candidates.append(Path(explicit))
    if pg_config := shutil.which("pg_config"):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True)
            candidates.append(Path(out.stdout.strip()))
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates.extend(Path(p) for p in sorted(versions, key=_version_key, reverse=True))
    if pg_ctl := shutil.which("pg_ctl"):
        candidates.append(Path(pg_ctl).resolve().parent)
    for candidate in candidates:
        if all((candidate / name).is_file() and os.access(candidate / name, os.X_OK) for name in REQUIRED):
            return candidate
    return None


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path)) or (0,)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Cluster:
    """A throwaway cluster in a temporary directory, owned and run by the postgres user if root."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_user: str | None = None
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root and there is no `postgres` user to run the server") from None
            self.as_user = "postgres"
        self.root = Path(tempfile.mkdtemp(prefix="tenantwave-pg-"))
        if self.as_user is not None:
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0

    def _run(self, args: Sequence[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self.as_user is not None:
            command = ["runuser", "-u", self.as_user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.root)

    def start(self) -> None:
        self.init()
        for _attempt in range(3):  # a free port can be taken between the probe and the start
            self.port = _free_port()
            started = self.launch()
            if started.returncode == 0:
                return
        log = self.log.read_text(errors="replace") if self.log.exists() else started.stderr
        raise RuntimeError(f"pg_ctl start failed: {_last_line(log)}")

    def init(self) -> None:
        init = self._run(
            [str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]
        )
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {_last_line(init.stderr or init.stdout)}")

    def launch(self) -> subprocess.CompletedProcess[str]:
        """Start the server on `self.port` (the cluster exists)."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        return self._run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
             "-w", "-t", "60", "start"],
            timeout=90,
        )

    def halt(self) -> None:
        """Stop the server (its connections are cut), keeping the cluster for `launch`. A fast stop:
        an immediate one would lose recent commits here, where the test cluster runs without fsync
        and with asynchronous commits (a real server loses no committed transaction when stopped)."""
        stopped = self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])
        if stopped.returncode != 0:
            raise RuntimeError(f"pg_ctl stop failed: {_last_line(stopped.stderr or stopped.stdout)}")

    def stop(self) -> None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            if (self.data / "postmaster.pid").exists():
                self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.root, ignore_errors=True)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if external := os.environ.get(ENV_URL):
        server = PostgresServer(url=external, external=True)
        try:
            with server.admin():
                pass
        except psycopg.Error as exc:
            pytest.fail(f"{ENV_URL} is set but the server cannot be used: {_last_line(str(exc))}", pytrace=False)
        yield server
        return
    with _own_server() as (_cluster, url):
        yield PostgresServer(url=url, external=False)


@contextlib.contextmanager
def _own_server() -> Iterator[tuple[_Cluster, str]]:
    """A new server of the tests' own on loopback, started, with the test database created: (its
    cluster, the database's URL); stopped afterwards. Skips (fails under CI) without server binaries."""
    bindir = find_bindir()
    if bindir is None:
        _unavailable(
            "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found via pg_config, "
            f"/usr/lib/postgresql/*/bin or PATH; install the `postgresql` package or set {ENV_URL}"
        )
    try:
        cluster = _Cluster(bindir)
    except RuntimeError as exc:
        _unavailable(str(exc))
    try:
        try:
            cluster.start()
            base = PostgresServer(url=f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres", external=False)
            with base.admin() as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        except (RuntimeError, OSError, subprocess.SubprocessError, psycopg.Error) as exc:
            pytest.fail(f"could not start the test PostgreSQL server from {bindir}: {exc}", pytrace=False)
        yield cluster, base.database_url(DATABASE)
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty namespace on the test server for one test: its own schema, selected by the
    URL (`?options=-csearch_path=...`), dropped afterwards. A schema costs a millisecond where
    CREATE DATABASE costs a third of a second; tests see none of each other's tables or rows."""
    name = f"tw_{os.getpid()}_{next(_counter)}"
    with postgres_server.admin() as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        url = make_url(postgres_server.url).update_query_dict({"options": f"-csearch_path={name}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with postgres_server.admin() as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A ledger URL on each backend: a SQLite file in tmp_path, then a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("postgres_url"))


@dataclass
class Outage:
    """A server of one test's own, stopped and started again at will (same port, same data)."""

    cluster: _Cluster
    url: str

    def stop(self) -> None:
        self.cluster.halt()

    def start(self) -> None:
        started = self.cluster.launch()
        if started.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {_last_line(started.stderr or started.stdout)}")


@pytest.fixture
def postgres_outage() -> Iterator[Outage]:
    """A throwaway PostgreSQL server for a test that stops it (never the session's shared server)."""
    if os.environ.get(ENV_URL):
        pytest.skip(f"an outage needs a server of the test's own; {ENV_URL} names a shared one")
    with _own_server() as (cluster, url):
        yield Outage(cluster, url)
