"""Drift checks in the ledger (issue 19), on SQLite and PostgreSQL: claimed like deployments, recorded
with their findings, standing until the stack is deployed again or found clean."""

from __future__ import annotations

import json

import pytest

from support.ledgertools import RELEASE, STALE_AFTER, rows, stack
from tenantwave.ledger import Ledger, open_ledger
from tenantwave.ledger.deferred import DeferredLedger

pytestmark = pytest.mark.integration

POOL = "production.pool.basic"
FINDINGS = json.dumps([{"op": "update", "type": "aws:sqs/queue:Queue", "name": "jobs", "properties": ["tags"]}])


def _deploy(ledger: Ledger, name: str = POOL, release: str = RELEASE, status: str = "succeeded") -> int:
    run = ledger.start_run(release=release, command="up", engine="test")
    claim = ledger.claim(run_id=run, stack=stack(name), release=release, operation="up", fingerprint="f" * 16,
                         stale_after=STALE_AFTER, revision=f"{release}+aaaa")  # fmt: skip
    assert claim.granted and claim.deployment_id is not None
    ledger.finish_deployment(run_id=run, deployment_id=claim.deployment_id, stack=name, status=status)
    ledger.finish_run(run, status)
    return claim.deployment_id


def _check(ledger: Ledger, status: str, name: str = POOL, resources: int = 1) -> str:
    run = ledger.start_run(release="drift", command="drift", engine="test")
    claim = ledger.claim_check(run_id=run, stack=stack(name), stale_after=STALE_AFTER)
    assert claim.granted and claim.check_id is not None
    findings = FINDINGS if status == "drifted" else None
    assert ledger.finish_check(run_id=run, check_id=claim.check_id, stack=name, status=status,
                               resources=resources if status == "drifted" else 0, findings=findings,
                               error=None, log_path="/logs/x.log")  # fmt: skip
    ledger.finish_run(run, "succeeded")
    return run


def test_a_check_is_recorded_against_the_deployment_the_stack_runs(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    deployed = _deploy(ledger)
    run = _check(ledger, "drifted", resources=2)
    (row,) = rows(ledger_url, "tw_drift")
    assert (row["run_id"], row["stack"], row["environment"], row["release"], row["deployment_id"]) == (
        run, POOL, "production", RELEASE, deployed
    )
    assert (row["status"], row["resources"], json.loads(row["tenants"])) == ("drifted", 2, ["acme", "globex"])
    assert rows(ledger_url, "tw_claims") == []  # released with the finding
    mark = ledger.drift_marks()[POOL]
    assert (mark.run_id, mark.release, mark.resources, mark.tenants) == (run, RELEASE, 2, ("acme", "globex"))
    assert [dict(f) for f in mark.findings] == json.loads(FINDINGS)
    (check,) = ledger.drift_checks(run)
    assert (check.status, check.log_path, check.ended_at is not None) == ("drifted", "/logs/x.log", True)


def test_drift_stands_until_a_deployment_or_a_clean_check_and_a_failed_check_changes_nothing(
    ledger_url: str,
) -> None:
    ledger = Ledger(ledger_url)
    _deploy(ledger)
    _check(ledger, "drifted")
    _check(ledger, "failed")  # could not read the cloud: says nothing about the stack
    assert set(ledger.drift_marks()) == {POOL}
    _deploy(ledger, status="failed")  # a failed up leaves the drift where it was
    assert set(ledger.drift_marks()) == {POOL}
    _deploy(ledger)  # the configuration re-applied
    assert ledger.drift_marks() == {}
    _check(ledger, "drifted")
    _check(ledger, "clean")
    assert ledger.drift_marks() == {}


def test_a_drifted_stack_is_not_current_for_an_up_of_its_release(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    _deploy(ledger)

    def claim_again() -> bool:
        run = ledger.start_run(release=RELEASE, command="up", engine="test")
        claim = ledger.claim(run_id=run, stack=stack(POOL), release=RELEASE, operation="up", fingerprint="f" * 16,
                             stale_after=STALE_AFTER, revision=f"{RELEASE}+aaaa", unless_current=RELEASE)  # fmt: skip
        if claim.granted:
            assert claim.deployment_id is not None
            ledger.finish_deployment(run_id=run, deployment_id=claim.deployment_id, stack=POOL, status="succeeded")
        return claim.granted

    assert claim_again() is False  # already current
    _check(ledger, "drifted")
    assert claim_again() is True  # drifted: deployed again
    assert claim_again() is False  # and current again


def test_checks_and_deployments_hold_each_others_stacks(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    _deploy(ledger)
    checking = ledger.start_run(release="drift", command="drift", engine="test")
    check = ledger.claim_check(run_id=checking, stack=stack(POOL), stale_after=STALE_AFTER)
    assert check.granted
    again = ledger.claim_check(run_id=checking, stack=stack(POOL), stale_after=STALE_AFTER)  # a retried write
    assert (again.granted, again.check_id) == (True, check.check_id)
    deploying = ledger.start_run(release=RELEASE, command="up", engine="test")
    up = ledger.claim(run_id=deploying, stack=stack(POOL), release=RELEASE, operation="up", fingerprint=None,
                      stale_after=STALE_AFTER)  # fmt: skip
    assert (up.granted, up.held_by) == (False, checking)
    assert check.check_id is not None
    ledger.finish_check(run_id=checking, check_id=check.check_id, stack=POOL, status="clean", resources=0,
                        findings=None, error=None, log_path=None)  # fmt: skip
    up = ledger.claim(run_id=deploying, stack=stack(POOL), release=RELEASE, operation="up", fingerprint=None,
                      stale_after=STALE_AFTER)  # fmt: skip
    assert up.granted
    other = ledger.start_run(release="drift", command="drift", engine="test")
    held = ledger.claim_check(run_id=other, stack=stack(POOL), stale_after=STALE_AFTER)
    assert (held.granted, held.held_by, held.check_id) == (False, deploying, None)


def test_the_quick_read_of_a_sqlite_ledger_finds_the_same_drift(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger(url)
    _deploy(ledger)
    _check(ledger, "drifted", resources=3)
    ledger.close()
    deferred = open_ledger(url)
    assert isinstance(deferred, DeferredLedger)
    marks = deferred.drift_marks()
    assert deferred._real is None  # answered with the standard library's sqlite3
    assert marks == Ledger(url).drift_marks() and marks[POOL].resources == 3


@pytest.mark.parametrize("how", ["settle_stale", "taken_over", "unclaimed"])
def test_the_checks_of_a_drift_run_that_died_are_settled(ledger_url: str, how: str) -> None:
    from support.ledgertools import silence

    ledger = Ledger(ledger_url)
    _deploy(ledger)
    dead = ledger.start_run(release="drift", command="drift", engine="test")
    claim = ledger.claim_check(run_id=dead, stack=stack(POOL), stale_after=STALE_AFTER)
    assert claim.granted
    if how == "unclaimed":  # its claim is gone already (released), the run and its row are not
        raw = rows(ledger_url, "tw_claims")
        assert [c["stack"] for c in raw] == [POOL]
        ledger.finish_check(run_id=dead, check_id=-1, stack=POOL, status="failed", resources=None, findings=None,
                            error=None, log_path=None)  # releases the claim only: no such check
    silence(ledger_url, dead)
    if how == "taken_over":
        _check(ledger, "clean")
    else:
        ledger.settle_stale(STALE_AFTER)
    (row, *_) = [r for r in rows(ledger_url, "tw_drift") if r["stack"] == POOL]
    assert (row["run_id"], row["status"]) == (dead, "abandoned") and row["ended_at"] is not None
    assert ledger.held() == [] and [r.status for r in ledger.runs() if r.id == dead] == ["abandoned"]


def test_unlocking_a_drift_check_abandons_its_row_and_records_no_release(ledger_url: str) -> None:
    from tenantwave.ledger import overview

    ledger = Ledger(ledger_url)
    _deploy(ledger)
    run = ledger.start_run(release="-", command="drift", engine="test")
    assert ledger.claim_check(run_id=run, stack=stack(POOL), stale_after=STALE_AFTER).granted
    released, _ = ledger.unlock(ledger.held(run_id=run), by="ops", whole_run=True)
    assert released == [POOL]
    (row,) = [r for r in rows(ledger_url, "tw_drift") if r["run_id"] == run]
    assert (row["status"], row["error"]) == ("abandoned", "released by hand (platform unlock) by ops")
    assert ledger.read_plain(overview.releases) == [RELEASE]
