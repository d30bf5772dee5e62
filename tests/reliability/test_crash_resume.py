"""A wave run killed with SIGKILL at random points, then resumed: every stack deployed exactly once.

Real `platform up` subprocesses with the test engine (each stack takes a while). Each killed run
is made stale the way time would (its heartbeats aged behind the ledger's back, as after the
2-minute stale_after) so the next run settles its records and takes its stacks over.
"""

from __future__ import annotations

import random
import signal
import time
from typing import Any

import pytest
from reliability_helpers import UP, Harness, successes_per_stack

from support.ledgertools import silence

pytestmark = pytest.mark.integration

STACKS = 12


def kill_at(harness: Harness, started: int, extra: float) -> int:
    """Start `platform up`, SIGKILL it `extra` seconds after the `started`-th stack of this run began
    (the test engine opens each stack's log first), or when it ends; its pid."""
    before = stack_logs(harness)
    process = harness.start(*UP, "--concurrency", "3")
    deadline = time.monotonic() + 60
    while process.poll() is None and stack_logs(harness) - before < started and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(extra)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    return process.pid


def stack_logs(harness: Harness) -> int:
    return len(list((harness.root / ".platform" / "logs").glob("*/*.log")))


def age_runs_of(harness: Harness, pid: int) -> None:
    for run in harness.runs():
        if run["pid"] == pid and run["status"] == "running":
            silence(harness.ledger, run["id"])


@pytest.mark.parametrize("seed", [8, 31])
def test_killed_runs_resume_and_deploy_every_stack_exactly_once(harness_for: Any, ledger_url: str, seed: int) -> None:
    harness: Harness = harness_for(ledger_url, tenants=STACKS, delay=0.4)
    rng = random.Random(seed)
    killed = []
    for _ in range(3):  # at a random point of the wave: a random stack started, then a random moment
        pid = kill_at(harness, rng.randint(1, 6), rng.uniform(0.0, 0.3))
        killed.append(pid)
        age_runs_of(harness, pid)

    final = harness.up("--concurrency", "3")

    assert final.returncode == 0, final.stdout + final.stderr
    assert "Traceback" not in final.stderr
    deployments = harness.deployments()
    stacks = {f"production-us.silo.t{index:02d}" for index in range(STACKS)}
    assert successes_per_stack(deployments) == dict.fromkeys(stacks, 1)
    assert [row for row in deployments if row["status"] == "running"] == []
    assert [run for run in harness.runs() if run["status"] == "running"] == []
    assert len({(row["run_id"], row["stack"]) for row in deployments}) == len(deployments)  # none duplicated
    assert any(row["status"] == "abandoned" for row in deployments)  # a kill did cut stacks short
    _every_finished_call_is_recorded(harness, killed)


def _every_finished_call_is_recorded(harness: Harness, killed: list[int]) -> None:
    """An engine call that returned in a killed run has that run's ledger row: succeeded, or abandoned
    when the kill came between the engine's answer and the ledger write (then it was redeployed)."""
    runs_of = {run["id"]: run["pid"] for run in harness.runs()}
    recorded = {(runs_of[row["run_id"]], row["stack"]): row["status"] for row in harness.deployments()}
    for call in harness.engine_calls():
        status = recorded.get((call["pid"], call["stack"]))
        assert status is not None, f"{call['stack']} deployed by pid {call['pid']} but not in the ledger"
        if call["pid"] in killed:
            assert status in ("succeeded", "abandoned"), (call, status)
        else:
            assert status == "succeeded", (call, status)
