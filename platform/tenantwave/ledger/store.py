"""The ledger store: one class over SQLAlchemy Core, the same code on SQLite and PostgreSQL.

Free text written to it (a deployment's error, a run's detail, an approval's comment) goes through
the redactor first (`tenantwave.privacy.redaction`): no known secret value is ever stored.

Nothing happens in the constructor; the database is opened on first use (connection), and its
schema created or upgraded once per Ledger (migrations). Reads on a SQLite ledger that does not
exist yet return an empty history instead of creating the file.

Transactions: every write is one transaction that takes its locks up front and in one order
(claims, deployments, runs); how a claim takes its locks is in claims. A PostgreSQL deadlock or
serialization failure is retried, and so is a SQLite "database is locked" that came back before
the busy timeout was spent. An outage (a PostgreSQL server restarting, a SQLite disk full for a
moment) of a ledger that answered before is waited out with backoff for a bounded window (retry);
every write is safe to try again after a commit whose answer was lost. Times that are compared
across runs (heartbeats) come from the database server's clock on PostgreSQL: CI runners on
different machines never compare clocks.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, text, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from tenantwave.errors import LedgerError
from tenantwave.ledger import (
    approvals,
    claims,
    connection,
    driftchecks,
    driftreads,
    migrations,
    planreads,
    recordreads,
    retry,
    unlocking,
)
from tenantwave.ledger import schema as s
from tenantwave.ledger import statements as q
from tenantwave.ledger.connection import DEFAULT_TIMEOUT
from tenantwave.ledger.connection import redact as redact  # re-exported: its old home
from tenantwave.ledger.history import ReleaseHistory
from tenantwave.ledger.migrations import MIGRATION_LOCK as MIGRATION_LOCK  # re-exported: its old home
from tenantwave.ledger.migrations import MIGRATIONS as MIGRATIONS  # re-exported: its old home
from tenantwave.ledger.planreads import DEPLOYING_OPERATIONS as DEPLOYING_OPERATIONS  # re-exported
from tenantwave.ledger.records import Approval, Claim, DeploymentRecord, RunRecord, StackStatus, StoredValueError
from tenantwave.ledger.urls import resolve_url as resolve_url  # re-exported: its old home
from tenantwave.privacy.redaction import redact_optional

HEALTH_STATUSES = ("succeeded", "unhealthy")  # deployments that changed the stack and ran its checks
RETRIED_SQLSTATES = ("40001", "40P01")  # serialization failure, deadlock detected
T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Ledger:
    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry_seconds: float | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """`timeout`: seconds to wait for a lock held by another writer before giving up with a
        LedgerError (a SQLite URL may also say `?timeout=N`). `retry_seconds`: how long an outage
        of a ledger that answered before is waited out (retry.retry_seconds). `clock`: this
        machine's time for a SQLite ledger (naive UTC; default utcnow), injectable for tests."""
        self.url = url
        self.timeout = timeout
        self._clock = clock
        self.retry_seconds = retry.retry_seconds(retry_seconds)
        self._answered = False  # the database answered once: an error now is an outage, waited out
        self._down = False  # an outage outlasted the window: fail at once until the ledger answers
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
        return connection.is_sqlite(self.url)

    def _sqlite_path(self) -> Path | None:
        return connection.sqlite_path(self.url)

    def exists(self) -> bool:
        path = self._sqlite_path()
        return path is None or path.exists()

    def _get_engine(self) -> Engine:
        if self._engine is None:
            with self._opening:
                if self._engine is None:
                    engine, self.timeout = connection.open_engine(self.url, self.timeout)
                    self._writer = engine.execution_options(tw_write=True)
                    self._engine = engine
        return self._engine

    def _write_engine(self) -> Engine:
        self._get_engine()
        assert self._writer is not None
        return self._writer

    def _write(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one write transaction (retried on a PostgreSQL deadlock)."""
        self._migrate()
        return self._transaction(work, write=True)

    def _read(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one read transaction: a consistent snapshot, no write lock. A stored value
        the read cannot take is reported naming this ledger (records.StoredValueError)."""
        self._migrate()
        try:
            return self._transaction(work, write=False)
        except StoredValueError as exc:
            raise exc.at(self.shown_url) from None

    def _transaction(self, work: Callable[[Connection], T], *, write: bool) -> T:
        """Retried: a PostgreSQL deadlock or serialization failure (a few times), and a SQLite
        "database is locked" that came back before the busy timeout was spent (SQLite skips its
        busy handler in some cases: a connection opened while another one checkpoints or recovers
        the WAL, a journal mode switch), until the timeout is spent."""
        memory = self.is_sqlite and self._sqlite_path() is None
        self._get_engine()  # first: a SQLite URL's ?timeout=N sets self.timeout, which bounds the retries
        deadline = time.monotonic() + self.timeout
        outage_ends: float | None = None
        attempt = 0
        while True:
            attempt += 1
            try:
                result = self._attempt(work, write=write, memory=memory)
            except DBAPIError as exc:
                if attempt < 4 and getattr(exc.orig, "sqlstate", None) in RETRIED_SQLSTATES:
                    continue
                if self.is_sqlite and "database is locked" in str(exc.orig) and time.monotonic() < deadline - 0.05:
                    time.sleep(min(0.05 * attempt, 0.5, max(0.0, deadline - time.monotonic())) * random.random())
                    continue
                if not (self._answered and retry.is_outage(exc, sqlite=self.is_sqlite)):
                    raise connection.ledger_error(self.url, self.timeout, exc) from None
                if outage_ends is None:
                    outage_ends = time.monotonic() + (0.0 if self._down else self.retry_seconds)
                if (remaining := outage_ends - time.monotonic()) > 0:
                    time.sleep(retry.pause(attempt, remaining))
                    continue
                self._down = True
                raise self._outage_error(exc) from None
            except SQLAlchemyError as exc:
                raise connection.ledger_error(self.url, self.timeout, exc) from None
            self._answered, self._down = True, False
            return result

    def _attempt(self, work: Callable[[Connection], T], *, write: bool, memory: bool) -> T:
        engine = self._write_engine() if write else self._get_engine()
        if write or memory:
            with connection.writer_turn(self.url, self.timeout), engine.begin() as conn:
                return work(conn)
        with engine.begin() as conn:
            return work(conn)

    def _outage_error(self, exc: DBAPIError) -> LedgerError:
        error = connection.ledger_error(self.url, self.timeout, exc)
        return LedgerError(f"{error.message} (still unusable after {self.retry_seconds:g} s of retries)")

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
            if self._transaction(migrations.stored_version, write=False) != s.SCHEMA_VERSION:
                self._transaction(self._migrate_in, write=True)  # checks the version again, locked
            self._ready = True

    def _migrate_in(self, conn: Connection) -> None:
        migrations.migrate(conn, sqlite=self.is_sqlite, now=self._now, shown_url=self.shown_url)

    def schema_version(self) -> int | None:
        return self._read(migrations.stored_version)

    def _now(self, conn: Connection) -> datetime:
        """Naive UTC: the server's clock on PostgreSQL, this machine's for SQLite (a local file)."""
        if self.is_sqlite:
            return self._clock() if self._clock is not None else utcnow()
        value = conn.execute(q.POSTGRES_NOW).scalar_one()
        assert isinstance(value, datetime)
        return value

    def now(self) -> datetime:
        """The ledger's time, naive UTC: the PostgreSQL server's clock (the one its records are
        stamped with: a bake or a heartbeat is never compared with a client's clock), this
        machine's for SQLite."""
        if self.is_sqlite:
            return self._clock() if self._clock is not None else utcnow()
        return self._read(self._now)

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
        return self._read(
            lambda conn: recordreads.deployments(_executor(conn), release=release, run_id=run_id, stack=stack)
        )

    def runs(self, limit: int = 50) -> list[RunRecord]:
        """The latest runs, newest first."""
        if not self.exists():
            return []
        return self._read(lambda conn: recordreads.runs(_executor(conn), limit))

    def read_plain(self, work: Callable[[planreads.Execute], T]) -> T:
        """`work` over plain SQL (named :parameters, planreads.Execute) in one read transaction,
        with the ledger's retries: the dashboard's reads (ledger.overview)."""
        return self._read(lambda conn: work(_executor(conn)))

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
            conn.execute(  # if new: a retried transaction may find the row its lost commit wrote
                q.RUN_IF_NEW[conn.dialect.name].values(
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
                    detail=redact_optional(detail),
                )
            )

        self._write(write)
        return run_id

    def finish_run(self, run_id: str, status: str, detail: str | None = None) -> None:
        """Record how the run ended; `detail` (when given) replaces what the run started with."""
        shown = {"detail": redact_optional(detail)} if detail is not None else {}
        self._write(
            lambda conn: conn.execute(
                update(s.runs).where(s.runs.c.id == run_id).values(status=status, ended_at=self._now(conn), **shown)
            )
        )

    def last_run(self, *, release: str, command: str, wave: int | None = None) -> RunRecord | None:
        """The latest finished run of `command` for the release (and wave): e.g. the last `verify`."""
        if not self.exists():
            return None
        return self._read(
            lambda conn: recordreads.last_run(_executor(conn), release=release, command=command, wave=wave)
        )

    def mark_health(self, deployment_id: int, *, healthy: bool, error: str | None) -> bool:
        """A later verification's verdict on a finished deployment: `unhealthy` (with the failed
        checks as its error) or back to `succeeded`. Only succeeded/unhealthy records change."""
        d = s.deployments
        error = None if healthy else redact_optional(error)
        return self._write(
            lambda conn: conn.execute(
                update(d)
                .where(d.c.id == deployment_id, d.c.status.in_(HEALTH_STATUSES))
                .values(status="succeeded" if healthy else "unhealthy", error=error)
            ).rowcount
            == 1
        )

    def heartbeat(self, run_id: str) -> None:
        """The run and every claim it holds are alive now."""
        self._write(lambda conn: claims.heartbeat(conn, run_id, now=self._now))

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
        revision: str | None = None,
        config: str | None = None,
        admit: claims.Admit | None = None,
    ) -> Claim:
        """Atomically take `stack` for this run and open its deployment record, in one transaction.

        With `unless_current`, a stack that already runs that release with the same fingerprint and
        revision (another run finished it after this run planned) is released again and reported as
        `already_current`: checking after the claim is what makes two runs deploy it only once.
        `revision` and `config` (JSON) are recorded on the deployment (planning/revision.py).

        A claim held by a run whose heartbeat is older than `stale_after` is settled (its
        deployment and run marked abandoned) and taken over; any other claim is reported as held.

        With `admit`, once the stack is free it is given the stacks other live runs claim (read in
        the same transaction, one admission at a time across runs): a reason it returns gives the
        claim back and reports the stack as `waiting` (the blast radius across runs).
        """
        opening = claims.Opening(
            run_id, stack, release, operation, fingerprint, commit, simulated, log_path, unless_current, revision,
            config, admit,
        )
        return self._write(
            lambda conn: claims.claim(conn, opening, stale_after, now=self._now, shown_url=self.shown_url)
        )

    def settle_stale(self, stale_after: timedelta) -> list[str]:
        """Settle every claim and run whose heartbeat is older than `stale_after`; the stacks freed."""
        return self._write(lambda conn: claims.settle_stale(conn, stale_after, now=self._now))

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
        error = redact_optional(error)
        return self._write(
            lambda conn: claims.finish_deployment(
                conn, run_id, deployment_id, stack, status, error, resources, log_path, now=self._now
            )
        )

    def record_late(
        self, *, run_id: str, deployment_id: int, stack: str, status: str, error: str | None, resources: int | None
    ) -> bool:
        """A result kept in the runner's journal while the ledger was unusable (claims.record_late)."""
        return self._write(
            lambda conn: claims.record_late(conn, run_id, deployment_id, stack, status, error, resources, now=self._now)
        )

    def held(self, *, stack: str | None = None, run_id: str | None = None) -> list[unlocking.HeldClaim]:
        """The claims on `stack`, or those of run `run_id`, with what is known of their runs."""
        if not self.exists():
            return []
        return self._read(lambda conn: unlocking.held(conn, stack=stack, run_id=run_id))

    def unlock(
        self, claims: Sequence[unlocking.HeldClaim], *, by: str, whole_run: bool
    ) -> tuple[list[str], str | None]:
        """Release claims by hand, recorded (unlocking.unlock)."""
        return self._write(lambda conn: unlocking.unlock(conn, claims, by=by, whole_run=whole_run, now=self._now))

    # -- approvals ----------------------------------------------------------------------------

    def approve(
        self,
        release: str,
        wave: int,
        approved_by: str,
        comment: str | None = None,
        scope: dict[str, str] | None = None,
    ) -> Approval:
        """Record who approved `wave` of `release` for `scope` (stack -> the revision it covers);
        approving the same scope again keeps (and returns) the first approval of it."""
        comment = redact_optional(comment)
        return self._write(
            lambda conn: approvals.approve(conn, release, wave, approved_by, comment, scope or {}, now=self._now)
        )

    def approval(self, release: str, wave: int) -> Approval | None:
        """The latest approval of `wave` of `release`, whatever it covers."""
        if not self.exists():
            return None
        return self._read(lambda conn: recordreads.latest_approval(_executor(conn), release, wave))

    def stack_results(self, release: str, stacks: Sequence[str]) -> dict[str, DeploymentRecord]:
        """The last attempt at `release` of each of `stacks` (for the wave gate)."""
        if not self.exists() or not stacks:
            return {}
        return self._read(lambda conn: recordreads.stack_results(_executor(conn), release, stacks))

    # -- drift checks (driftchecks writes them, driftreads reads them) ----------------------------

    def claim_check(self, *, run_id: str, stack: Any, stale_after: timedelta) -> driftchecks.CheckClaim:
        """Take `stack` for a drift check and open its record (driftchecks.claim_check)."""
        return self._write(
            lambda conn: driftchecks.claim_check(conn, run_id, stack, stale_after, now=self._now,
                                                 shown_url=self.shown_url)
        )

    def finish_check(self, *, run_id: str, check_id: int, stack: str, status: str, resources: int | None,
                     findings: str | None, error: str | None, log_path: str | None) -> bool:
        """Record a drift check's finding and release its claim (driftchecks.finish_check)."""
        error = redact_optional(error)
        return self._write(
            lambda conn: driftchecks.finish_check(conn, run_id, check_id, stack, status, resources, findings, error,
                                                  log_path, now=self._now)
        )

    def drift_marks(self) -> dict[str, driftreads.DriftMark]:
        """stack -> the drift that stands on it (driftreads.outstanding)."""
        if not self.exists():
            return {}
        return self._read(lambda conn: driftreads.outstanding(_executor(conn)))

    def drift_checks(self, run_id: str) -> list[driftreads.DriftCheck]:
        if not self.exists():
            return []
        return self._read(lambda conn: driftreads.run_checks(_executor(conn), run_id))


def _executor(conn: Connection) -> planreads.Execute:
    """planreads' plain SQL (named :parameters) on a SQLAlchemy connection, any backend."""
    return lambda sql, params: conn.execute(text(sql), params)


def _user() -> str:
    for name in ("PLATFORM_USER", "GITHUB_ACTOR", "USER", "LOGNAME"):
        if value := os.environ.get(name):
            return value[:200]
    return "unknown"
