"""A stack another run holds says how long ago that run last sent a heartbeat and when its claim
becomes stale; a run that settles the claims of a run gone silent says so (issue 16, point 10)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, update

from support.clirunner import Platform
from support.ledgertools import raw_url, silence
from support.testengine import SPEC, ScriptedEngine
from tenantwave.config.loader import load_project
from tenantwave.ledger import Ledger, schema
from tenantwave.planning.inventory import build_inventory
from tenantwave.rollout.held import duration, held_reason

pytestmark = pytest.mark.cli

STACK = "testing.pool.basic"


@pytest.fixture
def platform(platform: Platform) -> Platform:
    return platform.with_engine(SPEC)


def killed_run(root: Path, silent_for: timedelta) -> str:
    """A run that claimed STACK, then was killed: its process is gone, its last heartbeat `silent_for` ago."""
    url = f"sqlite:///{root / '.platform' / 'ledger.db'}"
    stack = next(s for s in build_inventory(load_project(root)) if s.name == STACK)
    ledger = Ledger(url)
    try:
        run = ledger.start_run(release="1.4.0", command="up", engine="test")
        assert ledger.claim(run_id=run, stack=stack, release="1.4.0", operation="up", fingerprint=None,
                            stale_after=timedelta(minutes=2)).granted
        silence(url, run, ledger.now() - silent_for)
    finally:
        ledger.close()
    engine = create_engine(raw_url(url))
    try:
        with engine.begin() as conn:  # a process that no longer exists, on another machine
            conn.execute(update(schema.runs).where(schema.runs.c.id == run).values(host="gone.example", pid=1))
    finally:
        engine.dispose()
    return run


@pytest.mark.unit
@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "0 s"), (45, "45 s"), (80, "1 min 20 s"), (120, "2 min"), (7500, "2 h 5 min")]
)
def test_durations_read_as_an_operator_says_them(seconds: int, shown: str) -> None:
    assert duration(timedelta(seconds=seconds)) == shown


def test_a_held_stack_says_when_its_claim_becomes_stale(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    run = killed_run(project, timedelta(seconds=40))
    result = platform("up", "--release", "1.4.0", "--wave", "1", "--yes")
    assert result.exit_code == 3
    assert re.search(
        rf"^held {STACK}: in progress by run {run} \(last heartbeat 4[01] s ago; stale in 1 min (19|20) s, "
        r"then a later run settles it and takes the stack over\)$",
        result.output,
        re.MULTILINE,
    ), result.output
    assert test_engine.calls == []


def test_a_run_settling_a_killed_runs_claims_says_so(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    killed_run(project, timedelta(minutes=5))
    result = platform("up", "--release", "1.4.0", "--wave", "1", "--yes")
    assert result.exit_code == 0, result.output
    assert (
        "settled 1 stale claim(s) left by a run that stopped sending heartbeats (recorded as abandoned): "
        f"{STACK}\n"
    ) in result.text
    assert test_engine.operations() == [STACK]
    document = platform("up", "--release", "1.5.0", "--wave", "1", "--yes", "--json").json()
    assert document["settled"] == []


@pytest.mark.unit
def test_a_live_run_past_its_stale_time_points_to_unlock() -> None:
    class Claim:
        run_id = "R"
        heartbeat_at = datetime(2025, 3, 1, 12, 0, 0)

    now = Claim.heartbeat_at + timedelta(minutes=3, seconds=5)
    assert held_reason(STACK, "R", Claim(), now, timedelta(minutes=2)) == (
        "in progress by run R (last heartbeat 3 min 5 s ago, but its process still runs on this machine: "
        f"it is not stale while it runs; if it hangs, `platform unlock --stack {STACK}` releases the stack)"
    )
    assert held_reason(STACK, "R", None, now, timedelta(minutes=2)) == (
        "in progress by run R (its claim was released since: rerun to deploy the stack)"
    )
