"""Helpers for the ledger tests: stacks, raw table access, and a claiming worker for subprocesses."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, select, update
from sqlalchemy.engine import make_url

from tenantwave.ledger import Ledger, schema

RELEASE = "1.4.0"
LONG_AGO = datetime(2000, 1, 1)  # a heartbeat this old is stale under any stale_after
STALE_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class FakeStack:
    """What `Ledger.claim` reads from a stack (tenantwave.planning.inventory.Stack has more)."""

    name: str
    environment: str = "testing"
    kind: str = "pool"
    tier: str = "basic"
    tenants: tuple[str, ...] = ("acme", "globex")


def stack(name: str, **fields: Any) -> FakeStack:
    environment = fields.pop("environment", name.split(".")[0])
    return FakeStack(name=name, environment=environment, **fields)


def raw_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def rows(url: str, table: str) -> list[dict[str, Any]]:
    """Every row of a ledger table, read behind the ledger's back."""
    engine = create_engine(raw_url(url))
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(schema.metadata.tables[table]))]
    finally:
        engine.dispose()


def silence(url: str, run_id: str, since: datetime = LONG_AGO, *, claims: bool = True) -> None:
    """The run went silent at `since`: its heartbeat (and its claims' heartbeats) stop there."""
    engine = create_engine(raw_url(url))
    try:
        with engine.begin() as conn:
            if claims:
                c = schema.claims.c
                conn.execute(update(schema.claims).where(c.run_id == run_id).values(heartbeat_at=since))
            conn.execute(update(schema.runs).where(schema.runs.c.id == run_id).values(heartbeat_at=since))
    finally:
        engine.dispose()


def deploy(
    ledger: Ledger,
    run_id: str,
    target: FakeStack,
    release: str = RELEASE,
    *,
    operation: str = "up",
    status: str = "succeeded",
    fingerprint: str | None = "fp-1",
) -> int:
    """One whole deployment: claim, then finish with `status`; the deployment id."""
    claim = ledger.claim(
        run_id=run_id, stack=target, release=release, operation=operation, fingerprint=fingerprint,
        stale_after=STALE_AFTER,
    )
    assert claim.granted and claim.deployment_id is not None, claim
    assert ledger.finish_deployment(
        run_id=run_id, deployment_id=claim.deployment_id, stack=target.name, status=status,
        error="boom" if status == "failed" else None,
    )
    return claim.deployment_id


def race_worker(url: str, names: list[str], finish: bool, seed: int, barrier: Any, results: Any) -> None:
    """One contender in a claiming race (run in its own process, with its own Ledger): start a run,
    wait for the others, claim every stack in a random order, and finish what it got."""
    try:
        ledger = Ledger(url)
        barrier.wait(timeout=60)
        run_id = ledger.start_run(release=RELEASE, command="up", engine="race")
        order = list(names)
        random.Random(seed).shuffle(order)
        outcomes: list[tuple[str, bool, int | None, str | None, bool]] = []
        for name in order:
            claim = ledger.claim(
                run_id=run_id, stack=stack(name), release=RELEASE, operation="up", fingerprint="fp-1",
                stale_after=STALE_AFTER, unless_current=RELEASE if finish else None,
            )
            if claim.granted and finish:
                assert claim.deployment_id is not None
                ledger.finish_deployment(
                    run_id=run_id, deployment_id=claim.deployment_id, stack=name, status="succeeded"
                )
            outcomes.append((name, claim.granted, claim.deployment_id, claim.held_by, claim.already_current))
        ledger.finish_run(run_id, "succeeded")
        ledger.close()
        results.put((run_id, outcomes, None))
    except BaseException as exc:
        cause = exc.__context__  # the driver's error behind a LedgerError, for the test report
        results.put(("", [], f"{type(exc).__name__}: {exc}" + (f" (from {cause!r})" if cause else "")))
