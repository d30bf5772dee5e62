"""Clock steps on one machine (SQLite): a live run keeps its claims whatever the clock does, and a
dead run's claims can be settled even when a backward step put its last heartbeat in the future.

The first run is a real `platform up` process; the second is a ledger in this test process whose
clock is stepped (an injectable clock), as another `platform` would see the ledger after the step.
"""

from __future__ import annotations

import signal
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import UP, Harness

from support.ledgertools import stack
from tenantwave.ledger import Ledger
from tenantwave.ledger.store import utcnow

pytestmark = pytest.mark.integration
STACK = "production-us.silo.t00"
STALE_AFTER = timedelta(minutes=2)


def started(harness: Harness, process: Any) -> None:
    deadline = time.monotonic() + 60
    while not list((harness.root / ".platform" / "logs").glob(f"*/{STACK}.log")):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)


def stepped(url: str, by: timedelta) -> Ledger:
    return Ledger(url, clock=lambda: utcnow() + by)


def take(ledger: Ledger) -> Any:
    run = ledger.start_run(release="1.4.0", command="up", engine="test")
    return ledger.claim(run_id=run, stack=stack(STACK, kind="silo"), release="1.4.0", operation="up",
                        fingerprint=None, stale_after=STALE_AFTER)


def test_a_forward_step_does_not_hand_a_live_runs_claim_to_another(harness_for: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    harness: Harness = harness_for(url, tenants=1, delay=3.0)
    first = harness.start(*UP)
    started(harness, first)
    after_the_step = stepped(url, timedelta(minutes=3))  # the first run's heartbeat now looks 3 minutes old
    assert after_the_step.settle_stale(STALE_AFTER) == []
    claim = take(after_the_step)
    assert not claim.granted and claim.held_by is not None
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, out.decode() + err.decode()
    assert [(d["stack"], d["status"]) for d in harness.deployments()] == [(STACK, "succeeded")]


def test_a_backward_step_does_not_keep_a_dead_runs_claim_forever(harness_for: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    harness: Harness = harness_for(url, tenants=1, delay=60.0)
    first = harness.start(*UP)
    started(harness, first)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)
    an_hour_back = stepped(url, -timedelta(hours=1))  # its last heartbeat is an hour in the future now
    claim = take(an_hour_back)
    assert claim.granted and claim.took_over is not None
    assert [d["status"] for d in harness.deployments() if d["run_id"] == claim.took_over] == ["abandoned"]
