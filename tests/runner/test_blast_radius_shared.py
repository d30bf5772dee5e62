"""max_tenants_in_flight across runs (issue 18 item 4, review): two `platform up` of one phase at once
(the CI workflow's matrix legs, `--env` or `--shard`) share the cap through the ledger's claims. Two
runners in two threads, each with its own workspace and ledger connection, on one SQLite file and on
PostgreSQL; the scripted engine records when each stack's operation started and ended."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from support.fleet import write_project
from support.testengine import Call, ScriptedEngine, Step
from tenantwave.engine.base import Progress
from tenantwave.planning.selection import Targets
from tenantwave.rollout.blastradius import tenant_limits
from tenantwave.rollout.listener import QuietListener
from tenantwave.rollout.prepare import prepare_rollout
from tenantwave.rollout.runner import Runner, RunOptions

pytestmark = pytest.mark.integration
RELEASE = "1.4.0"
US, EU = "production-us", "production-eu"


def fleet(root: Path, cap: int) -> Path:
    """One phase over two environments: 4 silo tenants in each, and a basic pool of 3 tenants in each."""
    premium = {f"{env[-2:]}{n}": {"tier": "premium", "environments": [env]} for env in (US, EU) for n in range(4)}
    basic = {f"b{env[-2:]}{n}": {"tier": "basic", "environments": [env]} for env in (US, EU) for n in range(3)}
    return write_project(
        root,
        tiers={"basic": {"model": "pool", "wave": 1}, "premium": {"model": "silo", "wave": 1}},
        tenants={**premium, **basic},
        lifecycle=[{"phase": "production", "environments": [US, EU]}],
        rollout={"phases": {"production": {"max_tenants_in_flight": cap}}},
    )


class Notes(QuietListener):
    def __init__(self) -> None:
        self.messages: list[str] = []

    def progress(self, event: Progress) -> None:
        if event.message:
            self.messages.append(event.message)


def tenants_of(call: Call) -> set[str]:
    env, kind, name = call.stack.rsplit(".", 2)
    short = env[-2:]
    return {f"b{short}{n}" for n in range(3)} if kind == "pool" else {name}


def run_both(ws_us: Any, ws_eu: Any, engine: ScriptedEngine) -> tuple[list[Any], list[Notes]]:
    reports: list[Any] = [None, None]
    notes = [Notes(), Notes()]
    together = threading.Barrier(2, timeout=30)  # both prepared: the runs start at the same time

    def one(index: int, ws: Any, env: str) -> None:
        plan = prepare_rollout(ws, RELEASE, wave=1, targets=Targets(environments=(env,)))
        options = RunOptions(concurrency=4, heartbeat_seconds=0.05, tenant_limits=tenant_limits(ws.project))
        together.wait()
        reports[index] = Runner(ws, engine, plan, options, notes[index]).run()

    legs = ((ws_us, US), (ws_eu, EU))
    threads = [threading.Thread(target=one, args=(i, ws, env)) for i, (ws, env) in enumerate(legs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return reports, notes


def test_two_runs_of_one_phase_share_the_tenant_cap(
    tmp_path: Path, ledger_url: str, open_ws: Any, test_engine: ScriptedEngine
) -> None:
    root = fleet(tmp_path / "fleet", cap=2)
    test_engine.default = Step(delay=0.3)
    reports, notes = run_both(open_ws(root, ledger_url), open_ws(root, ledger_url), test_engine)
    assert [r.status for r in reports] == ["succeeded", "succeeded"]
    calls = test_engine.calls
    assert len(calls) == 10
    for call in calls:
        running = [other for other in calls if other.started <= call.started < other.ended]
        changing = set().union(*(tenants_of(c) for c in running))
        # within the cap, or a pool over the cap alone in the whole phase
        assert len(changing) <= 2 or running == [call], (call.stack, sorted(c.stack for c in running))
    waited = [m for n in notes for m in n.messages if m.startswith("waiting: ")]
    assert waited, "one run waited for the other"
    assert all(m.endswith("of production in flight in other runs, cap 2") for m in waited), waited
