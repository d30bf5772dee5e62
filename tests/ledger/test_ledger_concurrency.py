"""Racing claims: threads and separate processes, each with its own Ledger, on both backends.

Every contender starts on a ledger nobody has opened yet (so the schema creation races too) and
claims the same stacks in its own random order. Whatever the interleaving, each stack is granted
to exactly one contender, the others are told who holds it (or that it is already current), and
the tables hold exactly one deployment per stack: no row lost, none duplicated.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from collections import Counter
from typing import Any

import pytest

from support.ledgertools import RELEASE, race_worker, rows
from tenantwave.ledger import Ledger, schema

pytestmark = pytest.mark.integration

STACKS = [f"production-us.silo.t{index:02d}" for index in range(24)]
Outcome = tuple[str, bool, int | None, str | None, bool]


def check(url: str, results: list[tuple[str, list[Outcome], str | None]], finish: bool) -> None:
    errors = [error for _run, _outcomes, error in results if error]
    assert not errors, errors
    granted = Counter(name for _run, outcomes, _ in results for name, ok, *_rest in outcomes if ok)
    assert granted == dict.fromkeys(STACKS, 1), "every stack granted exactly once"
    winner = {name: run for run, outcomes, _ in results for name, ok, *_rest in outcomes if ok}

    deployments = rows(url, "tw_deployments")
    assert sorted(d["stack"] for d in deployments) == STACKS
    assert all(winner[d["stack"]] == d["run_id"] for d in deployments)
    ids = {name: deployment for _run, outcomes, _ in results for name, ok, deployment, *_ in outcomes if ok}
    assert {d["stack"]: d["id"] for d in deployments} == ids
    claims = rows(url, "tw_claims")
    runs = rows(url, "tw_runs")
    assert sorted(r["id"] for r in runs) == sorted(run for run, _o, _e in results)
    assert [r["version"] for r in rows(url, "tw_schema_version")] == [schema.SCHEMA_VERSION]
    for run, outcomes, _ in results:
        for name, ok, _deployment, held_by, already in outcomes:
            if ok:
                continue
            if finish:  # the holder finished it, or still had it
                assert already or held_by == winner[name], (run, name, held_by, already)
            else:
                assert held_by == winner[name] and not already
    if finish:
        assert claims == [] and {d["status"] for d in deployments} == {"succeeded"}
    else:
        assert {c["stack"]: (c["run_id"], c["deployment_id"]) for c in claims} == {
            name: (winner[name], ids[name]) for name in STACKS
        }


@pytest.mark.parametrize("finish", [False, True], ids=["hold", "finish"])
def test_threads_race_for_the_same_stacks(ledger_url: str, finish: bool) -> None:
    contenders = 6
    barrier = threading.Barrier(contenders)
    results: queue.Queue[Any] = queue.Queue()
    threads = [
        threading.Thread(target=race_worker, args=(ledger_url, STACKS, finish, seed, barrier, results))
        for seed in range(contenders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    check(ledger_url, [results.get_nowait() for _ in threads], finish)


def test_threads_sharing_one_ledger_race_for_the_same_stacks(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    run_ids = [ledger.start_run(release=RELEASE, command="up", engine="race") for _ in range(6)]
    granted: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(run_ids))

    def contend(run_id: str) -> None:
        from support.ledgertools import STALE_AFTER, stack

        barrier.wait(timeout=30)
        for name in STACKS:
            claim = ledger.claim(
                run_id=run_id, stack=stack(name), release=RELEASE, operation="up", fingerprint=None,
                stale_after=STALE_AFTER,
            )
            if claim.granted:
                with lock:
                    granted.append(name)

    threads = [threading.Thread(target=contend, args=(run_id,)) for run_id in run_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(granted) == STACKS
    assert sorted(d.stack for d in ledger.deployments()) == STACKS


@pytest.mark.parametrize("finish", [False, True], ids=["hold", "finish"])
def test_processes_race_for_the_same_stacks(ledger_url: str, finish: bool) -> None:
    contenders = 4
    # Not fork (this process has threads and open connections): forked from a clean server process
    # that has imported the ledger once, each contender opens its own engine like a second CI job.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["support.ledgertools"])
    barrier = context.Barrier(contenders)
    results = context.Queue()
    processes = [
        context.Process(target=race_worker, args=(ledger_url, STACKS, finish, seed, barrier, results))
        for seed in range(contenders)
    ]
    for process in processes:
        process.start()
    collected = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    check(ledger_url, collected, finish)
