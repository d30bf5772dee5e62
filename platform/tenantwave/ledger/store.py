"""The ledger store: one class over SQLAlchemy Core, the same code on SQLite and PostgreSQL.

Nothing happens in the constructor; the database is opened on first use. Reads on a SQLite ledger
that does not exist yet return an empty history instead of creating the file.

Transactions: every write is one transaction that takes its locks up front and in one order
(claims, deployments, runs). On SQLite a write starts with BEGIN IMMEDIATE (the driver's own
transaction handling is turned off: it would start the transaction only at the first write, after
reads that could no longer be trusted, and run DDL outside any transaction); the busy timeout
bounds every wait, then the error says the database is locked. On PostgreSQL a claim locks the
claim row it reads (SELECT ... FOR UPDATE), a deadlock or serialization failure is retried, and
lock waits are bounded by lock_timeout. Times that are compared across runs (heartbeats) come from
the database server's clock on PostgreSQL: CI runners on different machines never compare clocks.
"""

from __future__ import annotations

import json
import os
import random
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, func, insert, inspect, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from tenantwave.errors import LedgerError
from tenantwave.history import ReleaseHistory
from tenantwave.ledger import planreads
from tenantwave.ledger import schema as s
from tenantwave.ledger import statements as q
from tenantwave.ledger.planreads import DEPLOYING_OPERATIONS
from tenantwave.ledger.records import Approval, Claim, DeploymentRecord, RunRecord, StackStatus
from tenantwave.ledger.urls import resolve_url as resolve_url  # re-exported: its old home

HEALTH_STATUSES = ("succeeded", "unhealthy")  # deployments that changed the stack and ran its checks
DEFAULT_TIMEOUT = 30.0  # seconds: SQLite busy timeout, PostgreSQL lock timeout
RETRIED_SQLSTATES = ("40001", "40P01")  # serialization failure, deadlock detected
MIGRATION_LOCK = 7311902  # pg_advisory_xact_lock key: one migrating process at a time

# Upgrades of an existing ledger: MIGRATIONS[v] takes a database at version v-1 to version v
# (inside the migration transaction). A new ledger is created at SCHEMA_VERSION directly.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {}

_SQLITE_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()
T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def redact(url: str) -> str:
    """`url` with any password replaced by ***, even when it does not parse."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(://[^/@:]*:)[^@/]*@", r"\1***@", url)


class Ledger:
    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """`timeout`: seconds to wait for a lock held by another writer before giving up with a
        LedgerError (a SQLite URL may also say `?timeout=N`)."""
        self.url = url
        self.timeout = timeout
        self._engine: Engine | None = None
        self._writer: Engine | None = None
        self._ready = False
        self._opening = threading.Lock()  # creating the engine
        self._setup = threading.Lock()  # migrating (uses the engine)

    # -- connection ---------------------------------------------------------------------------

    @property
    def shown_url(self) -> str:
        return redact(self.url)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def _sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        database = make_url(self.url).database
        return Path(database) if database and database != ":memory:" else None

    def exists(self) -> bool:
        path = self._sqlite_path()
        return path is None or path.exists()

    def _get_engine(self) -> Engine:
        if self._engine is None:
            with self._opening:
                if self._engine is None:
                    engine = self._create_engine()
                    self._writer = engine.execution_options(tw_write=True)
                    self._engine = engine
        return self._engine

    def _write_engine(self) -> Engine:
        self._get_engine()
        assert self._writer is not None
        return self._writer

    def _create_engine(self) -> Engine:
        try:
            url = make_url(self.url)
        except (ArgumentError, ValueError):
            raise LedgerError(
                f"ledger URL {self.shown_url!r} is not a database URL "
                "(use sqlite:///path/to/ledger.db or postgresql://user@host/db)"
            ) from None
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        try:
            if url.drivername in ("sqlite", "sqlite+pysqlite"):
                return self._sqlite_engine(url)
            if url.drivername == "postgresql+psycopg":
                return self._postgres_engine(url)
        except (NoSuchModuleError, ImportError) as exc:
            raise LedgerError(
                f"ledger {self.shown_url}: the database driver is missing ({exc}); "
                "install tenantwave[postgres] for PostgreSQL"
            ) from None
        except OSError as exc:
            raise LedgerError(f"ledger {self.shown_url}: cannot create its directory: {exc}") from None
        except (ArgumentError, ValueError, TypeError) as exc:
            raise LedgerError(f"ledger {self.shown_url}: invalid URL: {_one_line(str(exc))}") from None
        raise LedgerError(
            f"ledger {self.shown_url}: only sqlite:///path and postgresql://user@host/db URLs are supported"
        )

    def _sqlite_engine(self, url: Any) -> Engine:
        if "timeout" in url.query:
            self.timeout = float(url.query["timeout"])
            url = url.difference_update_query(["timeout"])
        path = self._sqlite_path()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        memory = path is None
        engine = create_engine(
            url,
            connect_args={"timeout": self.timeout, "check_same_thread": False},
            **({"poolclass": StaticPool} if memory else {}),
        )
        busy_ms = int(self.timeout * 1000)

        def on_connect(dbapi_connection: Any, _record: Any) -> None:
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
        return engine

    def _postgres_engine(self, url: Any) -> Engine:
        connect_args: dict[str, Any] = {
            "connect_timeout": max(1, round(min(self.timeout, 10))),
            "application_name": "tenantwave",
        }
        # libpq options from the URL (say, ?options=-csearch_path=ledger) are kept; the lock
        # timeout is added to them unless the URL sets one.
        options = str(url.query.get("options", ""))
        if "lock_timeout" not in options:
            options = f"{options} -c lock_timeout={int(self.timeout * 1000)}".strip()
        connect_args["options"] = options
        url = url.difference_update_query(["options"])
        return create_engine(url, pool_pre_ping=True, max_overflow=25, connect_args=connect_args)

    def _writer_lock(self) -> threading.Lock | None:
        """SQLite allows one writer at a time, and a thread that finds the file locked sleeps in
        SQLite's busy handler for milliseconds at a time: threads of one process take turns on a
        lock instead (other processes still meet the busy timeout). PostgreSQL needs none."""
        if not self.is_sqlite:
            return None
        with _LOCKS_GUARD:
            return _SQLITE_LOCKS.setdefault(self.url, threading.Lock())

    @contextmanager
    def _turn(self) -> Iterator[None]:
        lock = self._writer_lock()
        if lock is None:
            yield
            return
        if not lock.acquire(timeout=self.timeout):
            raise LedgerError(
                f"ledger {self.shown_url} is locked: other threads of this process kept it busy "
                f"for more than {self.timeout:g} s"
            )
        try:
            yield
        finally:
            lock.release()

    def _write(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one write transaction (retried on a PostgreSQL deadlock)."""
        self._migrate()
        return self._transaction(work, write=True)

    def _read(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one read transaction: a consistent snapshot, no write lock."""
        self._migrate()
        return self._transaction(work, write=False)

    def _transaction(self, work: Callable[[Connection], T], *, write: bool) -> T:
        """Retried: a PostgreSQL deadlock or serialization failure (a few times), and a SQLite
        "database is locked" that came back before the busy timeout was spent (SQLite skips its
        busy handler in some cases: a connection opened while another one checkpoints or recovers
        the WAL, a journal mode switch), until the timeout is spent."""
        memory = self.is_sqlite and self._sqlite_path() is None
        self._get_engine()  # first: a SQLite URL's ?timeout=N sets self.timeout, which bounds the retries
        deadline = time.monotonic() + self.timeout
        attempt = 0
        while True:
            attempt += 1
            try:
                engine = self._write_engine() if write else self._get_engine()
                if write or memory:
                    with self._turn(), engine.begin() as conn:
                        return work(conn)
                with engine.begin() as conn:
                    return work(conn)
            except DBAPIError as exc:
                if attempt < 4 and getattr(exc.orig, "sqlstate", None) in RETRIED_SQLSTATES:
                    continue
                if self.is_sqlite and "database is locked" in str(exc.orig) and time.monotonic() < deadline - 0.05:
                    time.sleep(min(0.05 * attempt, 0.5, max(0.0, deadline - time.monotonic())) * random.random())
                    continue
                raise self._error(exc) from None
            except SQLAlchemyError as exc:
                raise self._error(exc) from None

    def _error(self, exc: BaseException) -> LedgerError:
        detail = _one_line(str(getattr(exc, "orig", None) or exc))
        password = self._password()
        if password:
            detail = detail.replace(password, "***")
        if self.is_sqlite and "database is locked" in detail:
            return LedgerError(
                f"ledger {self.shown_url} is locked: another process held it for more than "
                f"{self.timeout:g} s (database is locked); retry when it is done"
            )
        return LedgerError(f"ledger {self.shown_url} cannot be used: {detail}")

    def _password(self) -> str | None:
        try:
            password = make_url(self.url).password
        except (ArgumentError, ValueError):
            return None
        return str(password) if password else None

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
            self._writer = None
            self._ready = False

    # -- schema -------------------------------------------------------------------------------

    def _migrate(self) -> None:
        """Bring the schema up to date once per Ledger. An up-to-date ledger is only read (no write
        lock: reading never waits for a writer); creating or upgrading it is one write transaction."""
        if self._ready:
            return
        with self._setup:
            if self._ready:
                return
            if self._transaction(_stored_version, write=False) != s.SCHEMA_VERSION:
                self._transaction(self._migrate_in, write=True)  # checks the version again, locked
            self._ready = True

    def _migrate_in(self, conn: Connection) -> None:
        if not self.is_sqlite:  # SQLite: BEGIN IMMEDIATE already keeps other processes out
            conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        version = _stored_version(conn)
        if version is None:
            s.metadata.create_all(conn, checkfirst=True)
            conn.execute(insert(s.schema_version).values(version=s.SCHEMA_VERSION, applied_at=self._now(conn)))
            return
        if version > s.SCHEMA_VERSION:
            raise LedgerError(
                f"ledger {self.shown_url} has schema version {version}, newer than this "
                f"tenantwave ({s.SCHEMA_VERSION}): upgrade tenantwave"
            )
        for target in range(version + 1, s.SCHEMA_VERSION + 1):
            MIGRATIONS[target](conn)
            conn.execute(insert(s.schema_version).values(version=target, applied_at=self._now(conn)))

    def schema_version(self) -> int | None:
        return self._read(_stored_version)

    def _now(self, conn: Connection) -> datetime:
        """Naive UTC: the server's clock on PostgreSQL, this machine's for SQLite (a local file)."""
        if self.is_sqlite:
            return utcnow()
        value = conn.execute(q.POSTGRES_NOW).scalar_one()
        assert isinstance(value, datetime)
        return value

    # -- reads for the planning path ---------------------------------------------------------

    def release_history(self, release: str) -> ReleaseHistory:
        """Facts about `release` (its successes, what each stack runs), in one read transaction."""
        if not self.exists():
            return ReleaseHistory(release=release)
        return self._read(lambda conn: planreads.release_history(_executor(conn), release))

    def status(self) -> list[StackStatus]:
        """Per stack ever deployed: what it runs and its last attempt."""
        if not self.exists():
            return []
        return self._read(lambda conn: planreads.fleet_status(_executor(conn)))

    def deployments(
        self, *, release: str | None = None, run_id: str | None = None, stack: str | None = None
    ) -> list[DeploymentRecord]:
        if not self.exists():
            return []
        d = s.deployments
        query = select(d).order_by(d.c.id)
        if release is not None:
            query = query.where(d.c.release == release)
        if run_id is not None:
            query = query.where(d.c.run_id == run_id)
        if stack is not None:
            query = query.where(d.c.stack == stack)
        return self._read(lambda conn: [_deployment(r) for r in conn.execute(query)])

    def runs(self, limit: int = 50) -> list[RunRecord]:
        """The latest runs, newest first."""
        if not self.exists():
            return []
        r = s.runs
        query = select(r).order_by(r.c.started_at.desc(), r.c.id.desc()).limit(limit)
        return self._read(lambda conn: [_run(x) for x in conn.execute(query)])

    # -- writes for the runner ---------------------------------------------------------------

    def start_run(
        self,
        *,
        release: str,
        command: str,
        engine: str,
        commit: str | None = None,
        wave: int | None = None,
        simulated: bool = False,
        user: str | None = None,
        detail: str | None = None,
    ) -> str:
        run_id = f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"

        def write(conn: Connection) -> None:
            now = self._now(conn)
            conn.execute(
                insert(s.runs).values(
                    id=run_id,
                    release=release,
                    commit=commit,
                    command=command,
                    wave=wave,
                    engine=engine,
                    simulated=simulated,
                    status="running",
                    started_at=now,
                    heartbeat_at=now,
                    user=user or _user(),
                    host=socket.gethostname()[:200],
                    pid=os.getpid(),
                    detail=detail,
                )
            )

        self._write(write)
        return run_id

    def finish_run(self, run_id: str, status: str, detail: str | None = None) -> None:
        """Record how the run ended; `detail` (when given) replaces what the run started with."""
        self._write(
            lambda conn: conn.execute(
                update(s.runs)
                .where(s.runs.c.id == run_id)
                .values(status=status, ended_at=self._now(conn), **({"detail": detail} if detail is not None else {}))
            )
        )

    def last_run(self, *, release: str, command: str, wave: int | None = None) -> RunRecord | None:
        """The latest finished run of `command` for the release (and wave): e.g. the last `verify`."""
        if not self.exists():
            return None
        r = s.runs
        query = (
            select(r)
            .where(r.c.release == release, r.c.command == command, r.c.status != "running")
            .order_by(r.c.started_at.desc(), r.c.id.desc())
            .limit(1)
        )
        if wave is not None:
            query = query.where(r.c.wave == wave)
        return self._read(lambda conn: next((_run(x) for x in conn.execute(query)), None))

    def mark_health(self, deployment_id: int, *, healthy: bool, error: str | None) -> bool:
        """A later verification's verdict on a finished deployment: `unhealthy` (with the failed
        checks as its error) or back to `succeeded`. Only succeeded/unhealthy records change."""
        d = s.deployments
        return self._write(
            lambda conn: conn.execute(
                update(d)
                .where(d.c.id == deployment_id, d.c.status.in_(HEALTH_STATUSES))
                .values(status="succeeded" if healthy else "unhealthy", error=None if healthy else error)
            ).rowcount
            == 1
        )

    def heartbeat(self, run_id: str) -> None:
        """The run and every claim it holds are alive now."""

        def write(conn: Connection) -> None:
            now = self._now(conn)
            conn.execute(q.HEARTBEAT_CLAIMS, {"b_run": run_id, "b_now": now})
            conn.execute(q.HEARTBEAT_RUN, {"b_run": run_id, "b_now": now})

        self._write(write)

    def claim(
        self,
        *,
        run_id: str,
        stack: Any,
        release: str,
        operation: str,
        fingerprint: str | None,
        stale_after: timedelta,
        commit: str | None = None,
        simulated: bool = False,
        log_path: str | None = None,
        unless_current: str | None = None,
    ) -> Claim:
        """Atomically take `stack` for this run and open its deployment record, in one transaction.

        With `unless_current`, a stack that already runs that release with the same fingerprint
        (another run finished it after this run planned) is released again and reported as
        `already_current`: checking after the claim is what makes two runs deploy it only once.

        A claim held by a run whose heartbeat is older than `stale_after` is settled (its
        deployment and run marked abandoned) and taken over; any other claim is reported as held.
        """
        opening = _Opening(run_id, stack, release, operation, fingerprint, commit, simulated, log_path, unless_current)
        return self._write(lambda conn: self._claim(conn, opening, stale_after))

    def _claim(self, conn: Connection, o: _Opening, stale_after: timedelta) -> Claim:
        name = o.stack.name
        insert_if_free = q.CLAIM_IF_FREE[conn.dialect.name]
        for _attempt in range(5):
            now = self._now(conn)
            values = {"stack": name, "run_id": o.run_id, "release": o.release, "claimed_at": now, "heartbeat_at": now}
            if conn.execute(insert_if_free, values).first() is not None:
                return self._open_deployment(conn, o, now, took_over=None)
            held = conn.execute(q.CLAIM_ROW, {"b_stack": name}).first()  # locked until commit
            if held is None:
                continue  # released since the insert (PostgreSQL, read committed): try again
            if held.heartbeat_at >= now - stale_after:
                return Claim(stack=name, granted=False, held_by=held.run_id)
            taken = conn.execute(
                q.TAKE_CLAIM,
                {"b_stack": name, "b_stale_run": held.run_id, "b_run": o.run_id, "b_release": o.release, "b_now": now},
            ).rowcount
            if taken != 1:
                continue
            self._abandon(conn, held.run_id, name, now)
            return self._open_deployment(conn, o, now, took_over=str(held.run_id))
        raise LedgerError(f"ledger {self.shown_url}: the claim on {name} kept changing under this run; retry")

    def _open_deployment(self, conn: Connection, o: _Opening, now: datetime, took_over: str | None) -> Claim:
        """Inside the claiming transaction: skip a stack already current, else open its record."""
        name = o.stack.name
        if o.unless_current is not None and _is_current(conn, name, o.unless_current, o.fingerprint):
            conn.execute(q.DELETE_CLAIM, {"b_stack": name, "b_run": o.run_id})
            return Claim(stack=name, granted=False, already_current=True, took_over=took_over)
        key = conn.execute(
            q.INSERT_DEPLOYMENT,
            {
                "run_id": o.run_id,
                "release": o.release,
                "commit": o.commit,
                "stack": name,
                "environment": o.stack.environment,
                "kind": o.stack.kind,
                "tier": o.stack.tier,
                "tenants": json.dumps(list(o.stack.tenants)),
                "operation": o.operation,
                "status": "running",
                "fingerprint": o.fingerprint,
                "started_at": now,
                "simulated": o.simulated,
                "log_path": o.log_path,
            },
        ).inserted_primary_key
        assert key is not None
        deployment_id = int(key[0])
        conn.execute(q.SET_CLAIM_DEPLOYMENT, {"b_stack": name, "b_run": o.run_id, "b_deployment": deployment_id})
        return Claim(stack=name, granted=True, deployment_id=deployment_id, took_over=took_over)

    @staticmethod
    def _abandon(conn: Connection, stale_run: str, stack: str, now: datetime) -> None:
        """The stale run's deployment of `stack` and the run itself are abandoned (claim already gone)."""
        conn.execute(q.ABANDON_DEPLOYMENTS, {"b_stale_run": stale_run, "b_stack": stack, "b_now": now})
        conn.execute(q.ABANDON_RUN, {"b_stale_run": stale_run, "b_now": now})

    def settle_stale(self, stale_after: timedelta) -> list[str]:
        """Settle every claim and run whose heartbeat is older than `stale_after`; the stacks freed."""
        t = s.claims
        c = t.c

        def write(conn: Connection) -> list[str]:
            now = self._now(conn)
            cutoff = now - stale_after
            stale = conn.execute(
                select(t).where(c.heartbeat_at < cutoff).order_by(c.stack).with_for_update()
            ).all()
            freed: list[str] = []
            for row in stale:
                if conn.execute(q.DELETE_CLAIM, {"b_stack": row.stack, "b_run": row.run_id}).rowcount == 1:
                    self._abandon(conn, row.run_id, row.stack, now)
                    freed.append(row.stack)
            silent = [row.id for row in conn.execute(q.SILENT_RUNS, {"b_cutoff": cutoff})]
            if silent:
                d, r = s.deployments, s.runs
                conn.execute(
                    update(d)
                    .where(d.c.run_id.in_(silent), d.c.status == "running")
                    .values(status="abandoned", ended_at=now, error=q.ABANDONED)
                )
                conn.execute(
                    update(r)
                    .where(r.c.id.in_(silent), r.c.status == "running")
                    .values(status="abandoned", ended_at=now, detail=q.ABANDONED)
                )
            return freed

        return self._write(write)

    def finish_deployment(
        self,
        *,
        run_id: str,
        deployment_id: int,
        stack: str,
        status: str,
        error: str | None = None,
        resources: int | None = None,
        log_path: str | None = None,
    ) -> bool:
        """Record the outcome and release the claim, in one transaction. False if the deployment
        was no longer this run's to finish (settled as abandoned after the run went silent): then
        nothing changes, and the claim another run took over stays with it."""

        def write(conn: Connection) -> bool:
            conn.execute(q.DELETE_CLAIM, {"b_stack": stack, "b_run": run_id})
            recorded = conn.execute(
                q.FINISH_DEPLOYMENT,
                {"b_id": deployment_id, "b_run": run_id, "b_status": status, "b_ended": self._now(conn),
                 "b_error": error, "b_resources": resources},
            ).rowcount
            if recorded and log_path is not None:
                d = s.deployments
                conn.execute(update(d).where(d.c.id == deployment_id).values(log_path=log_path))
            return recorded == 1

        return self._write(write)

    # -- approvals ----------------------------------------------------------------------------

    def approve(self, release: str, wave: int, approved_by: str, comment: str | None = None) -> Approval:
        """Record who approved `wave` of `release`; approving again keeps (and returns) the first."""

        def write(conn: Connection) -> Approval:
            conn.execute(
                q.APPROVE_IF_NEW[conn.dialect.name],
                {"release": release, "wave": wave, "approved_by": approved_by, "approved_at": self._now(conn),
                 "comment": comment},
            )
            row = conn.execute(q.APPROVAL, {"b_release": release, "b_wave": wave}).one()
            return Approval(row.release, row.wave, row.approved_by, row.approved_at, row.comment)

        return self._write(write)

    def approval(self, release: str, wave: int) -> Approval | None:
        if not self.exists():
            return None

        def read(conn: Connection) -> Approval | None:
            row = conn.execute(q.APPROVAL, {"b_release": release, "b_wave": wave}).first()
            if row is None:
                return None
            return Approval(row.release, row.wave, row.approved_by, row.approved_at, row.comment)

        return self._read(read)

    def stack_results(self, release: str, stacks: Sequence[str]) -> dict[str, DeploymentRecord]:
        """The last attempt at `release` of each of `stacks` (for the wave gate)."""
        if not self.exists() or not stacks:
            return {}
        d = s.deployments
        wanted = set(stacks)
        latest = (
            select(func.max(d.c.id).label("id"))
            .where(d.c.release == release, d.c.operation.in_(DEPLOYING_OPERATIONS))
            .group_by(d.c.stack)
            .subquery()
        )
        query = select(d).join(latest, d.c.id == latest.c.id)
        return self._read(lambda conn: {r.stack: _deployment(r) for r in conn.execute(query) if r.stack in wanted})


@dataclass(frozen=True)
class _Opening:
    """What a claim records when it opens a deployment."""

    run_id: str
    stack: Any
    release: str
    operation: str
    fingerprint: str | None
    commit: str | None
    simulated: bool
    log_path: str | None
    unless_current: str | None


def _stored_version(conn: Connection) -> int | None:
    if not inspect(conn).has_table(s.schema_version.name):
        return None
    version = conn.execute(select(func.max(s.schema_version.c.version))).scalar()
    return int(version) if version is not None else None


def _is_current(conn: Connection, stack: str, release: str, fingerprint: str | None) -> bool:
    row = conn.execute(q.LAST_SUCCESS, {"b_stack": stack}).first()
    if row is None or row.operation not in DEPLOYING_OPERATIONS or row.release != release:
        return False
    return fingerprint is None or row.fingerprint in (None, fingerprint)


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "unknown error"


def _run(x: Any) -> RunRecord:
    return RunRecord(
        id=x.id,
        release=x.release,
        command=x.command,
        wave=x.wave,
        engine=x.engine,
        status=x.status,
        started_at=x.started_at,
        ended_at=x.ended_at,
        user=x.user,
        simulated=bool(x.simulated),
        detail=x.detail,
    )


def _deployment(r: Any) -> DeploymentRecord:
    return planreads.deployment([r._mapping[column] for column in planreads.DEPLOYMENT_FIELDS])


def _executor(conn: Connection) -> planreads.Execute:
    """planreads' plain SQL (named :parameters) on a SQLAlchemy connection, any backend."""
    return lambda sql, params: conn.execute(text(sql), params)


def _user() -> str:
    for name in ("PLATFORM_USER", "GITHUB_ACTOR", "USER", "LOGNAME"):
        if value := os.environ.get(name):
            return value[:200]
    return "unknown"
