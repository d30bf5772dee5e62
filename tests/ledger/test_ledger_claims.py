"""Claims, heartbeats and stale runs, on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from support.ledgertools import RELEASE, STALE_AFTER, deploy, rows, silence, stack
from tenantwave.ledger import Claim, Ledger

pytestmark = pytest.mark.integration

BASIC = stack("testing.pool.basic")
EDGE = stack("testing.pool.edge")


def claim(ledger: Ledger, run: str, target: object = BASIC, **extra: object) -> Claim:
    arguments: dict[str, object] = {
        "run_id": run, "stack": target, "release": RELEASE, "operation": "up", "fingerprint": "fp-1",
        "stale_after": STALE_AFTER, **extra,
    }
    return ledger.claim(**arguments)  # type: ignore[arg-type]


def runs(ledger: Ledger) -> dict[str, str]:
    return {r.id: r.status for r in ledger.runs()}


def test_a_claim_opens_a_running_deployment(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    run = ledger.start_run(release=RELEASE, command="up", engine="test")
    got = claim(ledger, run, commit="abc123", log_path="/logs/basic.log", simulated=True)
    assert got.granted and got.held_by is None and got.took_over is None and not got.already_current
    (record,) = ledger.deployments()
    assert (record.id, record.run_id, record.status, record.fingerprint, record.log_path) == (
        got.deployment_id, run, "running", "fp-1", "/logs/basic.log"
    )
    (held,) = rows(ledger_url, "tw_claims")
    assert (held["stack"], held["run_id"], held["deployment_id"], held["release"]) == (
        BASIC.name, run, got.deployment_id, RELEASE
    )
    (raw,) = rows(ledger_url, "tw_deployments")
    assert (raw["commit"], raw["simulated"]) == ("abc123", True)


def test_a_second_run_is_refused_with_the_holder(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    first = ledger.start_run(release=RELEASE, command="up", engine="test")
    second = ledger.start_run(release=RELEASE, command="up", engine="test")
    assert claim(ledger, first).granted
    refused = claim(Ledger(ledger_url), second)
    assert refused == Claim(stack=BASIC.name, granted=False, held_by=first)
    assert len(ledger.deployments()) == 1
    assert claim(ledger, second, EDGE).granted  # other stacks are free


def test_finishing_records_the_outcome_and_releases_the_claim(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    first = ledger.start_run(release=RELEASE, command="up", engine="test")
    second = ledger.start_run(release=RELEASE, command="up", engine="test")
    got = claim(ledger, first)
    assert got.deployment_id is not None
    assert ledger.finish_deployment(
        run_id=first, deployment_id=got.deployment_id, stack=BASIC.name, status="failed", error="quota", resources=3
    )
    assert rows(ledger_url, "tw_claims") == []
    (record,) = ledger.deployments()
    assert (record.status, record.error, record.resources) == ("failed", "quota", 3)
    assert record.ended_at is not None
    # finishing twice changes nothing
    assert not ledger.finish_deployment(run_id=first, deployment_id=got.deployment_id, stack=BASIC.name,
                                        status="succeeded")
    assert ledger.deployments()[0].status == "failed"
    assert claim(ledger, second).granted


def test_a_stack_already_on_the_release_is_not_deployed_twice(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    first = ledger.start_run(release=RELEASE, command="up", engine="test")
    second = ledger.start_run(release=RELEASE, command="up", engine="test")
    deploy(ledger, first, BASIC)
    skipped = claim(ledger, second, unless_current=RELEASE)
    assert skipped == Claim(stack=BASIC.name, granted=False, already_current=True)
    assert rows(ledger_url, "tw_claims") == [] and len(ledger.deployments()) == 1
    # another fingerprint (the configuration changed) or a forced run deploys again
    assert claim(ledger, second, fingerprint="fp-2", unless_current=RELEASE).granted


def test_a_stale_claim_is_taken_over_and_the_dead_run_abandoned(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    dead = ledger.start_run(release=RELEASE, command="up", engine="test")
    alive = ledger.start_run(release=RELEASE, command="up", engine="test")
    old = claim(ledger, dead)
    assert old.deployment_id is not None
    silence(ledger_url, dead)

    taken = claim(ledger, alive)
    assert taken.granted and taken.took_over == dead and taken.deployment_id != old.deployment_id
    by_id = {d.id: d for d in ledger.deployments()}
    assert by_id[old.deployment_id].status == "abandoned"
    assert "stopped sending heartbeats" in str(by_id[old.deployment_id].error)
    assert by_id[old.deployment_id].ended_at is not None
    assert taken.deployment_id is not None and by_id[taken.deployment_id].status == "running"
    assert runs(ledger) == {dead: "abandoned", alive: "running"}
    (held,) = rows(ledger_url, "tw_claims")
    assert (held["run_id"], held["deployment_id"]) == (alive, taken.deployment_id)

    # the dead run comes back: its result is not recorded and the claim stays with the new holder
    assert not ledger.finish_deployment(run_id=dead, deployment_id=old.deployment_id, stack=BASIC.name,
                                        status="succeeded")
    assert {d.id: d.status for d in ledger.deployments()}[old.deployment_id] == "abandoned"
    assert [r["run_id"] for r in rows(ledger_url, "tw_claims")] == [alive]


def test_a_heartbeat_keeps_a_claim_alive(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    slow = ledger.start_run(release=RELEASE, command="up", engine="test")
    other = ledger.start_run(release=RELEASE, command="up", engine="test")
    assert claim(ledger, slow).granted
    silence(ledger_url, slow)
    ledger.heartbeat(slow)
    assert claim(ledger, other).held_by == slow
    assert ledger.settle_stale(STALE_AFTER) == []
    assert runs(ledger)[slow] == "running"
    # with a shorter patience the same claim is stale
    assert claim(ledger, other, stale_after=timedelta(0)).took_over == slow


def test_settle_stale_frees_the_stacks_of_silent_runs_only(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    dead = ledger.start_run(release=RELEASE, command="up", engine="test")
    idle = ledger.start_run(release=RELEASE, command="up", engine="test")  # no claims at all
    alive = ledger.start_run(release=RELEASE, command="up", engine="test")
    done = ledger.start_run(release=RELEASE, command="up", engine="test")
    for target in (EDGE, BASIC):
        assert claim(ledger, dead, target).granted
    fresh = claim(ledger, alive, stack("testing.pool.standard"))
    ledger.finish_run(done, "succeeded")
    assert fresh.granted
    for run in (dead, idle, done):
        silence(ledger_url, run)
    silence(ledger_url, alive, claims=False)  # its own heartbeat is late, but it holds a fresh claim

    assert ledger.settle_stale(STALE_AFTER) == [BASIC.name, EDGE.name]
    assert runs(ledger) == {dead: "abandoned", idle: "abandoned", alive: "running", done: "succeeded"}
    statuses = {d.stack: d.status for d in ledger.deployments()}
    assert statuses == {EDGE.name: "abandoned", BASIC.name: "abandoned", "testing.pool.standard": "running"}
    assert [r["stack"] for r in rows(ledger_url, "tw_claims")] == ["testing.pool.standard"]
    assert ledger.settle_stale(STALE_AFTER) == []  # settling is idempotent


def test_admit_sees_the_live_claims_of_other_runs_only_and_a_refusal_gives_the_claim_back(ledger_url: str) -> None:
    """max_tenants_in_flight across runs: the check a claim makes is given the stacks that other live
    runs claim (not this run's, not a silent run's), and a reason from it leaves the stack unclaimed."""
    ledger = Ledger(ledger_url)
    dead = ledger.start_run(release=RELEASE, command="up", engine="test")
    alive = ledger.start_run(release=RELEASE, command="up", engine="test")
    mine = ledger.start_run(release=RELEASE, command="up", engine="test")
    assert claim(ledger, dead, EDGE).granted
    silence(ledger_url, dead)
    assert claim(ledger, alive, stack("testing.pool.standard")).granted
    assert claim(ledger, mine, stack("testing.pool.mine")).granted
    seen: list[list[str]] = []

    def refuse(claimed: list[str]) -> str:
        seen.append(sorted(claimed))
        return "waiting: 1 tenant of testing in flight in other runs, cap 1"

    refused = claim(ledger, mine, admit=refuse)
    assert refused == Claim(stack=BASIC.name, granted=False, waiting="waiting: 1 tenant of testing in flight "
                                                                     "in other runs, cap 1")
    assert seen == [["testing.pool.standard"]]
    assert BASIC.name not in [r["stack"] for r in rows(ledger_url, "tw_claims")]
    assert BASIC.name not in [d.stack for d in ledger.deployments()]
    granted = claim(ledger, mine, admit=lambda claimed: None)
    assert granted.granted and granted.deployment_id is not None
