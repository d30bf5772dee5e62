"""The ledger's health records on both backends: unhealthy deployments, verify runs, run details."""

from __future__ import annotations

import pytest

from support.ledgertools import RELEASE, deploy, stack
from tenantwave.ledger import Ledger

pytestmark = pytest.mark.integration
BASIC = stack("testing.pool.basic")


def test_unhealthy_deployments_are_not_current_and_a_verdict_can_change_them(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    run = ledger.start_run(release="1.3.0", command="up", engine="test")
    deploy(ledger, run, BASIC, "1.3.0")
    unhealthy = deploy(ledger, run, BASIC, RELEASE, status="unhealthy")
    history = ledger.release_history(RELEASE)
    assert history.current[BASIC.name].release == "1.3.0" and BASIC.environment not in history.environments
    assert ledger.stack_results(RELEASE, [BASIC.name])[BASIC.name].status == "unhealthy"
    assert ledger.mark_health(unhealthy, healthy=True, error=None)
    assert ledger.release_history(RELEASE).current[BASIC.name].release == RELEASE
    assert ledger.mark_health(unhealthy, healthy=False, error="check healthz failed: HTTP 500")
    record = ledger.deployments(stack=BASIC.name)[-1]
    assert (record.status, record.error) == ("unhealthy", "check healthz failed: HTTP 500")
    failed = deploy(ledger, run, BASIC, "1.5.0", status="failed")
    assert not ledger.mark_health(failed, healthy=True, error=None)  # only succeeded/unhealthy change
    assert ledger.deployments(stack=BASIC.name)[-1].status == "failed"


def test_run_detail_and_the_last_verify_run(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    assert ledger.last_run(release=RELEASE, command="verify", wave=1) is None
    skipped = ledger.start_run(release=RELEASE, command="up", engine="test", detail="hooks skipped")
    ledger.finish_run(skipped, "succeeded")
    first = ledger.start_run(release=RELEASE, command="verify", engine="test", wave=1)
    ledger.finish_run(first, "failed", detail="1 of 1 stack(s) failed")
    other_wave = ledger.start_run(release=RELEASE, command="verify", engine="test", wave=2)
    ledger.finish_run(other_wave, "succeeded", detail="1 stack(s) healthy")
    ledger.start_run(release=RELEASE, command="verify", engine="test", wave=1)  # still running: not counted
    last = ledger.last_run(release=RELEASE, command="verify", wave=1)
    assert last is not None and (last.id, last.status, last.detail) == (first, "failed", "1 of 1 stack(s) failed")
    assert {r.id: r.detail for r in ledger.runs()}[skipped] == "hooks skipped"
    assert ledger.last_run(release="9.9.9", command="verify", wave=1) is None
