"""Whether this machine can tell that a run's process is alive (ledger.liveness)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from tenantwave.ledger.claims import is_silent
from tenantwave.ledger.liveness import run_alive, this_host

pytestmark = pytest.mark.unit


def test_a_process_of_ours_on_this_host_is_alive_and_gone_once_it_exits() -> None:
    ours = subprocess.Popen([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)",
                             "tenantwave"], stdout=subprocess.PIPE)
    try:
        assert ours.stdout is not None and ours.stdout.readline() == b"up\n"  # exec'd: its own command line
        assert run_alive(this_host(), ours.pid) is True
    finally:
        ours.kill()
        ours.wait()
    assert run_alive(this_host(), ours.pid) is False


def test_what_cannot_be_told_is_left_to_the_heartbeat() -> None:
    assert run_alive("another-host", 1) is None
    assert run_alive(this_host(), os.getpid()) is None  # this very process
    assert run_alive(None, 1) is None and run_alive(this_host(), None) is None


def test_a_reused_process_id_running_another_program_is_not_the_run() -> None:
    other = subprocess.Popen(["sleep", "60"])
    try:
        assert run_alive(this_host(), other.pid) is False
    finally:
        other.kill()
        other.wait()


def test_silence_by_liveness_then_by_the_clock() -> None:
    at = datetime(2026, 1, 1, 12, 0)
    stale = timedelta(minutes=2)
    assert not is_silent(at - timedelta(hours=1), at, stale, alive=True)  # alive: whatever the clock says
    assert is_silent(at + timedelta(hours=1), at, stale, alive=False)  # gone, heartbeat in the future
    assert not is_silent(at + timedelta(hours=1), at, stale, alive=None)  # cannot tell: held
    assert is_silent(at - timedelta(minutes=3), at, stale, alive=None)
    assert not is_silent(at - timedelta(minutes=1), at, stale, alive=False)  # gone, but not silent long enough
