"""The ledger store: one class over SQLAlchemy Core, the same code on SQLite and PostgreSQL.

Nothing happens in the constructor; the database is opened on first use. Reads on a SQLite ledger
that does not exist yet return an empty history instead of creating the file.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError, SQLAlchemyError

from tenantwave.errors import LedgerError
from tenantwave.history import Deployed, ReleaseHistory, Success
from tenantwave.ledger import schema as s
from tenantwave.ledger import statements as q
from tenantwave.ledger.records import Approval, Claim, DeploymentRecord, RunRecord, StackStatus

DEPLOYING_OPERATIONS = ("up", "rollback")
_SQLITE_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def resolve_url(url: str, root: Path) -> str:
    """A ledger URL with a relative SQLite path made relative to the project root."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        relative = url.removeprefix("sqlite:///")
        if relative and relative != ":memory:":
            return f"sqlite:///{(root / relative).resolve()}"
    return url


class Ledger:
    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._ready = False

    # -- connection ---------------------------------------------------------------------------

    @property
    def shown_url(self) -> str:
        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except ArgumentError:
            return "<invalid ledger URL>"

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
            self._engine = self._create_engine()
        return self._engine

    def _create_engine(self) -> Engine:
        try:
            url = make_url(self.url)
        except ArgumentError:
            raise LedgerError(
                f"ledger URL {self.url!r} is not a database URL "
                "(use sqlite:///path/to/ledger.db or postgresql://user@host/db)"
            ) from None
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        try:
            if url.drivername.startswith("sqlite"):
                path = self._sqlite_path()
                if path is not None:
                    path.parent.mkdir(parents=True, exist_ok=True)
                engine = create_engine(url, connect_args={"timeout": 30})
                event.listen(engine, "connect", _sqlite_pragmas)
                return engine
            if url.drivername.startswith("postgresql"):
                return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
        except (NoSuchModuleError, ImportError) as exc:
            raise LedgerError(
                f"ledger {self.shown_url}: the database driver is missing ({exc}); "
                "install tenantwave[postgres] for PostgreSQL"
            ) from None
        except OSError as exc:
            raise LedgerError(f"ledger {self.shown_url}: cannot create its directory: {exc}") from None
        raise LedgerError(f"ledger {self.shown_url}: only sqlite:// and postgresql:// URLs are supported")

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        self._migrate()
        try:
            with self._writer_lock(), self._get_engine().begin() as conn:
                yield conn
        except IntegrityError:
            raise
        except (DBAPIError, SQLAlchemyError) as exc:
            raise self._error(exc) from None

    def _writer_lock(self) -> Any:
        """SQLite allows one writer at a time, and a thread that finds the file locked sleeps in
        SQLite's busy handler for milliseconds at a time: threads of one process take turns on a
        lock instead (other processes still meet the busy timeout). PostgreSQL needs none."""
        if not self.is_sqlite:
            return contextlib.nullcontext()
        with _LOCKS_GUARD:
            return _SQLITE_LOCKS.setdefault(self.url, threading.Lock())

    def _error(self, exc: BaseException) -> LedgerError:
        detail = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
        return LedgerError(f"ledger {self.shown_url} cannot be used: {detail}")

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
            self._ready = False

    # -- schema -------------------------------------------------------------------------------

    def _migrate(self) -> None:
        if self._ready:
            return
        try:
            engine = self._get_engine()
            with engine.begin() as conn:
                if not self.is_sqlite:
                    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7311902)")
                s.metadata.create_all(conn, checkfirst=True)
                version = conn.execute(select(func.max(s.schema_version.c.version))).scalar()
                if version is None:
                    conn.execute(insert(s.schema_version).values(version=s.SCHEMA_VERSION, applied_at=utcnow()))
                elif version > s.SCHEMA_VERSION:
                    raise LedgerError(
                        f"ledger {self.shown_url} has schema version {version}, newer than this "
                        f"tenantwave ({s.SCHEMA_VERSION}): upgrade tenantwave"
                    )
        except LedgerError:
            raise
        except (DBAPIError, SQLAlchemyError) as exc:
            raise self._error(exc) from None
        self._ready = True

    def schema_version(self) -> int | None:
        with self._begin() as conn:
            return conn.execute(select(func.max(s.schema_version.c.version))).scalar()

    # -- reads for the planning path ---------------------------------------------------------

    def release_history(self, release: str) -> ReleaseHistory:
        """Facts about `release` (one query for its successes, one for what each stack runs)."""
        if not self.exists():
            return ReleaseHistory(release=release)
        d = s.deployments
        with self._begin() as conn:
            rows = conn.execute(
                select(d.c.stack, d.c.environment, d.c.tenants).where(
                    d.c.release == release,
                    d.c.status == "succeeded",
                    d.c.operation.in_(DEPLOYING_OPERATIONS),
                )
            )
            successes = [Success(r.stack, r.environment, tuple(json.loads(r.tenants))) for r in rows]
            current = self._current(conn)
            running = {r.stack: r.run_id for r in conn.execute(select(s.claims.c.stack, s.claims.c.run_id))}
        return ReleaseHistory.from_records(release, successes, current, running)

    def _current(self, conn: Connection) -> dict[str, Deployed]:
        d = s.deployments
        latest = (
            select(func.max(d.c.id).label("id")).where(d.c.status == "succeeded").group_by(d.c.stack).subquery()
        )
        rows = conn.execute(
            select(d.c.stack, d.c.release, d.c.fingerprint, d.c.operation, d.c.ended_at).join(
                latest, d.c.id == latest.c.id
            )
        )
        return {
            r.stack: Deployed(r.release, r.fingerprint, _iso(r.ended_at))
            for r in rows
            if r.operation in DEPLOYING_OPERATIONS
        }

    def status(self) -> list[StackStatus]:
        """Per stack ever deployed: what it runs and its last attempt."""
        if not self.exists():
            return []
        d = s.deployments
        with self._begin() as conn:
            current = self._current(conn)
            latest = select(func.max(d.c.id).label("id")).group_by(d.c.stack).subquery()
            rows = conn.execute(select(d).join(latest, d.c.id == latest.c.id).order_by(d.c.stack))
            return [
                StackStatus(stack=r.stack, current_release=_release(current.get(r.stack)), last=_deployment(r))
                for r in rows
            ]

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
        with self._begin() as conn:
            return [_deployment(r) for r in conn.execute(query)]

    def runs(self, limit: int = 50) -> list[RunRecord]:
        if not self.exists():
            return []
        r = s.runs
        with self._begin() as conn:
            rows = conn.execute(select(r).order_by(r.c.started_at.desc()).limit(limit))
            return [
                RunRecord(
                    id=x.id,
                    release=x.release,
                    command=x.command,
                    wave=x.wave,
                    engine=x.engine,
                    status=x.status,
                    started_at=x.started_at,
                    ended_at=x.ended_at,
                    user=x.user,
                    simulated=x.simulated,
                )
                for x in rows
            ]

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
    ) -> str:
        run_id = f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        now = utcnow()
        with self._begin() as conn:
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
                )
            )
        return run_id

    def finish_run(self, run_id: str, status: str, detail: str | None = None) -> None:
        with self._begin() as conn:
            conn.execute(
                update(s.runs).where(s.runs.c.id == run_id).values(status=status, ended_at=utcnow(), detail=detail)
            )

    def heartbeat(self, run_id: str) -> None:
        now = utcnow()
        with self._begin() as conn:
            conn.execute(update(s.runs).where(s.runs.c.id == run_id).values(heartbeat_at=now))
            conn.execute(update(s.claims).where(s.claims.c.run_id == run_id).values(heartbeat_at=now))

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
        """Atomically take `stack` for this run and open its deployment record.

        With `unless_current`, a stack that already runs that release with the same fingerprint
        (another run finished it after this run planned) is released again and reported as
        `already_current`: checking after the claim is what makes two runs deploy it only once.

        A claim held by a run whose heartbeat is older than `stale_after` is settled (its
        deployment marked abandoned) and taken over; any other claim is reported as held.
        """
        now = utcnow()
        opening = _Opening(run_id, stack, release, operation, fingerprint, commit, simulated, log_path, unless_current)
        try:
            with self._begin() as conn:  # the common case, one transaction: claim, check, open
                conn.execute(
                    q.INSERT_CLAIM,
                    {"stack": stack.name, "run_id": run_id, "release": release, "claimed_at": now, "heartbeat_at": now},
                )
                return self._open_deployment(conn, opening, now, took_over=None)
        except IntegrityError:
            pass  # claimed already: by a live run, or by one that died
        took_over = self._take_stale_claim(run_id, stack.name, release, now, stale_after)
        if took_over is None:
            return Claim(stack=stack.name, granted=False, held_by=self._claim_holder(stack.name))
        with self._begin() as conn:
            return self._open_deployment(conn, opening, now, took_over=took_over)

    def _open_deployment(self, conn: Connection, o: _Opening, now: datetime, took_over: str | None) -> Claim:
        """Inside the claiming transaction: skip a stack already current, else open its record."""
        name = o.stack.name
        if o.unless_current is not None and self._is_current(conn, name, o.unless_current, o.fingerprint):
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
    def _is_current(conn: Connection, stack: str, release: str, fingerprint: str | None) -> bool:
        row = conn.execute(q.LAST_SUCCESS, {"b_stack": stack}).first()
        if row is None or row.operation not in DEPLOYING_OPERATIONS or row.release != release:
            return False
        return fingerprint is None or row.fingerprint in (None, fingerprint)

    def _claim_holder(self, stack: str) -> str | None:
        with self._begin() as conn:
            return conn.execute(select(s.claims.c.run_id).where(s.claims.c.stack == stack)).scalar()

    def _take_stale_claim(
        self, run_id: str, stack: str, release: str, now: datetime, stale_after: timedelta
    ) -> str | None:
        t = s.claims
        c = t.c
        with self._begin() as conn:
            row = conn.execute(select(t).where(c.stack == stack)).first()
            if row is None or row.heartbeat_at >= now - stale_after:
                return None
            taken = conn.execute(
                update(t)
                .where(c.stack == stack, c.run_id == row.run_id, c.heartbeat_at == row.heartbeat_at)
                .values(run_id=run_id, release=release, claimed_at=now, heartbeat_at=now, deployment_id=None)
            ).rowcount
            if taken != 1:
                return None
            self._abandon(conn, row.run_id, row.deployment_id, now)
        return str(row.run_id)

    def _abandon(self, conn: Connection, stale_run: str, deployment_id: int | None, now: datetime) -> None:
        note = "abandoned: the run stopped sending heartbeats (killed or lost); settled by a later run"
        if deployment_id is not None:
            conn.execute(
                update(s.deployments)
                .where(s.deployments.c.id == deployment_id, s.deployments.c.status == "running")
                .values(status="abandoned", ended_at=now, error=note)
            )
        conn.execute(
            update(s.runs)
            .where(s.runs.c.id == stale_run, s.runs.c.status == "running")
            .values(status="abandoned", ended_at=now, detail=note)
        )

    def settle_stale(self, stale_after: timedelta) -> list[str]:
        """Settle every claim and run whose heartbeat is older than `stale_after`; the stacks freed."""
        now = utcnow()
        cutoff = now - stale_after
        t = s.claims
        c = t.c
        with self._begin() as conn:
            stale = conn.execute(select(t).where(c.heartbeat_at < cutoff)).all()
            freed: list[str] = []
            for row in stale:
                gone = conn.execute(
                    delete(t).where(c.stack == row.stack, c.run_id == row.run_id, c.heartbeat_at == row.heartbeat_at)
                ).rowcount
                if gone == 1:
                    self._abandon(conn, row.run_id, row.deployment_id, now)
                    freed.append(row.stack)
            conn.execute(
                update(s.runs)
                .where(s.runs.c.status == "running", s.runs.c.heartbeat_at < cutoff)
                .values(status="abandoned", ended_at=now, detail="abandoned: no heartbeat")
            )
        return freed

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
    ) -> None:
        """Record the outcome and release the claim, in one transaction."""
        with self._begin() as conn:
            conn.execute(
                q.FINISH_DEPLOYMENT,
                {"b_id": deployment_id, "b_status": status, "b_ended": utcnow(), "b_error": error,
                 "b_resources": resources},
            )
            if log_path is not None:
                conn.execute(update(s.deployments).where(s.deployments.c.id == deployment_id).values(log_path=log_path))
            conn.execute(q.DELETE_CLAIM, {"b_stack": stack, "b_run": run_id})

    # -- approvals ----------------------------------------------------------------------------

    def approve(self, release: str, wave: int, approved_by: str, comment: str | None = None) -> Approval:
        now = utcnow()
        try:
            with self._begin() as conn:
                conn.execute(
                    insert(s.approvals).values(
                        release=release, wave=wave, approved_by=approved_by, approved_at=now, comment=comment
                    )
                )
        except IntegrityError:
            existing = self.approval(release, wave)
            assert existing is not None
            return existing
        return Approval(release, wave, approved_by, now, comment)

    def approval(self, release: str, wave: int) -> Approval | None:
        if not self.exists():
            return None
        a = s.approvals
        with self._begin() as conn:
            row = conn.execute(select(a).where(a.c.release == release, a.c.wave == wave)).first()
        if row is None:
            return None
        return Approval(row.release, row.wave, row.approved_by, row.approved_at, row.comment)

    def stack_results(self, release: str, stacks: Sequence[str]) -> dict[str, DeploymentRecord]:
        """The last attempt at `release` of each of `stacks` (for the wave gate)."""
        if not self.exists() or not stacks:
            return {}
        d = s.deployments
        wanted = set(stacks)
        with self._begin() as conn:
            latest = (
                select(func.max(d.c.id).label("id"))
                .where(d.c.release == release, d.c.operation.in_(DEPLOYING_OPERATIONS))
                .group_by(d.c.stack)
                .subquery()
            )
            rows = conn.execute(select(d).join(latest, d.c.id == latest.c.id))
            return {r.stack: _deployment(r) for r in rows if r.stack in wanted}


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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _deployment(r: Any) -> DeploymentRecord:
    return DeploymentRecord(
        id=r.id,
        run_id=r.run_id,
        release=r.release,
        stack=r.stack,
        environment=r.environment,
        kind=r.kind,
        tier=r.tier,
        tenants=tuple(json.loads(r.tenants)),
        operation=r.operation,
        status=r.status,
        started_at=r.started_at,
        ended_at=r.ended_at,
        error=r.error,
        log_path=r.log_path,
        fingerprint=r.fingerprint,
        resources=r.resources,
    )


def _release(deployed: Deployed | None) -> str | None:
    return deployed.release if deployed else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def _user() -> str:
    for name in ("PLATFORM_USER", "GITHUB_ACTOR", "USER", "LOGNAME"):
        if value := os.environ.get(name):
            return value[:200]
    return "unknown"
