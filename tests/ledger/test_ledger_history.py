"""What the ledger tells the lifecycle and the status commands, on both backends."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from support.ledgertools import RELEASE, STALE_AFTER, deploy, stack
from tenantwave.ledger import Ledger
from tenantwave.ledger.store import utcnow

pytestmark = pytest.mark.integration

BASIC = stack("testing.pool.basic", tenants=("acme", "globex"))
STAGING = stack("staging.pool.basic", tenants=("acme", "globex"))
SILO = stack("production-us.silo.helios", kind="silo", tier="premium", tenants=("helios",))


def test_release_history_facts(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    run = ledger.start_run(release=RELEASE, command="up", engine="test")
    deploy(ledger, run, BASIC)
    deploy(ledger, run, STAGING, status="failed")  # a failed deployment is no deployment
    deploy(ledger, run, SILO, "1.3.0")  # another release

    history = ledger.release_history(RELEASE)
    assert history.release == RELEASE
    assert history.environments == {"testing"}
    assert history.tenant_environments == {("acme", "testing"), ("globex", "testing")}
    assert {name: d.release for name, d in history.current.items()} == {
        "testing.pool.basic": RELEASE,
        "production-us.silo.helios": "1.3.0",
    }
    assert history.current["testing.pool.basic"].fingerprint == "fp-1"
    ended = history.current["testing.pool.basic"].ended_at
    assert ended is not None and ended.endswith("Z")
    assert history.running == {}

    older = ledger.release_history("1.3.0")
    assert older.environments == {"production-us"}
    assert older.tenant_environments == {("helios", "production-us")}
    assert ledger.release_history("9.9.9").environments == frozenset()


def test_current_follows_the_last_success_destroy_clears_it_rollback_counts(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    run = ledger.start_run(release=RELEASE, command="up", engine="test")
    deploy(ledger, run, SILO, "1.3.0")
    deploy(ledger, run, SILO, RELEASE, status="failed")
    assert ledger.release_history(RELEASE).current["production-us.silo.helios"].release == "1.3.0"

    deploy(ledger, run, SILO, RELEASE)
    assert ledger.release_history(RELEASE).current["production-us.silo.helios"].release == RELEASE

    deploy(ledger, run, SILO, RELEASE, operation="destroy", fingerprint=None)
    history = ledger.release_history(RELEASE)
    assert "production-us.silo.helios" not in history.current
    assert history.environments == {"production-us"}  # it was deployed there all the same

    deploy(ledger, run, SILO, "1.3.0", operation="rollback")
    history = ledger.release_history("1.3.0")
    assert history.current["production-us.silo.helios"].release == "1.3.0"
    assert history.environments == {"production-us"}
    results = ledger.stack_results("1.3.0", ["production-us.silo.helios", "elsewhere"])
    assert {name: (r.operation, r.status) for name, r in results.items()} == {
        "production-us.silo.helios": ("rollback", "succeeded")
    }


def test_a_held_claim_shows_as_running(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    run = ledger.start_run(release=RELEASE, command="up", engine="test")
    claim = ledger.claim(
        run_id=run, stack=BASIC, release=RELEASE, operation="up", fingerprint="fp-1", stale_after=STALE_AFTER
    )
    assert claim.granted
    assert ledger.release_history("any").running == {"testing.pool.basic": run}


def test_status_lists_what_each_stack_runs_and_its_last_attempt(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    run = ledger.start_run(release=RELEASE, command="up", engine="test")
    deploy(ledger, run, BASIC, "1.3.0")
    deploy(ledger, run, BASIC, RELEASE, status="failed")
    deploy(ledger, run, SILO, RELEASE)
    deploy(ledger, run, STAGING, RELEASE)
    deploy(ledger, run, STAGING, RELEASE, operation="destroy", fingerprint=None)
    ledger.claim(run_id=run, stack=SILO, release="1.5.0", operation="up", fingerprint="f", stale_after=STALE_AFTER)

    statuses = {s.stack: s for s in ledger.status()}
    assert list(statuses) == sorted(statuses)
    basic, silo, staging = (statuses[n] for n in ("testing.pool.basic", SILO.name, STAGING.name))
    assert basic.current_release == "1.3.0"
    assert basic.last is not None and (basic.last.release, basic.last.status, basic.last.error) == (
        RELEASE, "failed", "boom"
    )
    assert silo.current_release == RELEASE
    assert silo.last is not None and (silo.last.release, silo.last.status) == ("1.5.0", "running")
    assert staging.current_release is None
    assert staging.last is not None and staging.last.operation == "destroy"


def test_runs_and_deployments_are_recorded_as_given(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    before = utcnow() - timedelta(seconds=5)
    first = ledger.start_run(release="1.3.0", command="up", engine="mock", wave=2, simulated=True, user="alice")
    second = ledger.start_run(release=RELEASE, command="destroy", engine="pulumi", commit="abc123")
    claim = ledger.claim(
        run_id=second, stack=SILO, release=RELEASE, operation="destroy", fingerprint=None,
        stale_after=STALE_AFTER, commit="abc123", simulated=False, log_path="/logs/a.log",
    )
    assert claim.deployment_id is not None
    assert ledger.finish_deployment(
        run_id=second, deployment_id=claim.deployment_id, stack=SILO.name, status="succeeded", resources=7,
        log_path="/logs/b.log",
    )
    ledger.finish_run(first, "failed", detail="engine down")

    runs = {r.id: r for r in ledger.runs()}
    assert [r.id for r in ledger.runs(limit=1)] == [second]
    assert (runs[first].release, runs[first].wave, runs[first].simulated, runs[first].user) == (
        "1.3.0", 2, True, "alice"
    )
    assert runs[first].status == "failed" and runs[first].ended_at is not None
    assert runs[second].status == "running" and runs[second].ended_at is None
    assert before <= runs[first].started_at <= utcnow() + timedelta(seconds=5)

    (record,) = ledger.deployments(run_id=second)
    assert (record.stack, record.environment, record.kind, record.tier, record.tenants) == (
        SILO.name, "production-us", "silo", "premium", ("helios",)
    )
    assert (record.operation, record.status, record.resources, record.log_path) == (
        "destroy", "succeeded", 7, "/logs/b.log"
    )
    assert record.ended_at is not None and record.ended_at >= record.started_at
    assert ledger.deployments(release="1.3.0") == [] and ledger.deployments(stack="nope") == []
    assert ledger.deployments(stack=SILO.name) == [record]


def test_approvals_are_idempotent_and_say_who_and_when(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    assert ledger.approval(RELEASE, 3) is None
    before = utcnow() - timedelta(seconds=5)
    first = ledger.approve(RELEASE, 3, "alice", "change CHG-1")
    assert (first.release, first.wave, first.approved_by, first.comment) == (RELEASE, 3, "alice", "change CHG-1")
    assert before <= first.approved_at <= utcnow() + timedelta(seconds=5)

    assert not first.repeated
    again = ledger.approve(RELEASE, 3, "bob", "me too")
    # the first approval stands, marked repeated, with the new comment kept as a note
    assert (again.approved_by, again.approved_at, again.repeated) == ("alice", first.approved_at, True)
    assert again.comment is not None
    assert re.fullmatch(r"change CHG-1\nnote by bob at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ: me too", again.comment)
    assert ledger.approval(RELEASE, 3) == replace(again, repeated=False)
    assert ledger.approve(RELEASE, 3, "carol").comment == again.comment  # no comment, no note
    assert ledger.approval(RELEASE, 4) is None and ledger.approval("1.3.0", 3) is None
    assert ledger.approve(RELEASE, 4, "bob").approved_by == "bob"
