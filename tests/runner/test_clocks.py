"""Whose clock a gate reads: the ledger's. On PostgreSQL that is the server's (the clock every
record is stamped with), so a runner whose own clock is off never shortens a bake."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

import tenantwave.ledger.store as store
import tenantwave.rollout.prepare as prepare
from support.fleet import write_project
from support.testengine import ScriptedEngine
from tenantwave.planning.selection import Targets
from tenantwave.planning.workspace import open_workspace
from tenantwave.rollout.prepare import prepare_rollout
from tenantwave.rollout.runner import Runner, RunOptions

pytestmark = pytest.mark.integration
RELEASE = "1.4.0"


def baking_fleet(root: Path) -> Path:
    return write_project(
        root,
        tiers={"basic": {"model": "pool", "wave": 1}, "standard": {"model": "pool", "wave": 2}},
        tenants={},
        lifecycle=[{"phase": "testing", "environments": ["testing"]}],
        rollout={"phases": {"testing": {"bake_minutes": 60}}},
    )


@pytest.mark.postgres
def test_a_runner_clock_an_hour_ahead_does_not_skip_a_bake_on_postgres(
    tmp_path: Path, postgres_url: str, test_engine: ScriptedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = open_workspace(baking_fleet(tmp_path / "bake"), postgres_url, "test")
    plan = prepare_rollout(ws, RELEASE, wave=1, targets=Targets())
    Runner(ws, test_engine, plan, RunOptions(concurrency=1, heartbeat_seconds=0.05)).run()

    ahead = store.utcnow() + timedelta(minutes=61)
    for module in (store, prepare):  # this machine's clock, 61 minutes fast, wherever it is read
        monkeypatch.setattr(module, "utcnow", lambda: ahead, raising=False)
    gate = prepare_rollout(ws, RELEASE, wave=2, targets=Targets()).gate
    assert gate is not None and not gate.open
    assert "bakes for 60 min: wave 2 may start at" in gate.reason
    assert abs(ws.ledger.now() - (ahead - timedelta(minutes=61))) < timedelta(minutes=1)  # the server's


def test_the_deferred_ledger_gives_this_machines_time_for_sqlite_without_opening_it(tmp_path: Path) -> None:
    ws = open_workspace(baking_fleet(tmp_path / "p"), f"sqlite:///{tmp_path / 'none.db'}", "test")
    assert abs(ws.ledger.now() - store.utcnow()) < timedelta(seconds=5)
    assert not (tmp_path / "none.db").exists()
    assert getattr(ws.ledger, "_real", None) is None
