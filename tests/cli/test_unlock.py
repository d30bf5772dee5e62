"""`platform unlock`: a claim released by hand, asked for, refused while its run is alive here,
and recorded (the deployment abandoned, the unlock a run of its own)."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from support.clirunner import Platform
from support.fleet import write_project
from support.ledgertools import rows, stack
from tenantwave.ledger import Ledger

pytestmark = pytest.mark.cli
STACK = "testing.pool.basic"


@pytest.fixture
def held(tmp_path: Path) -> tuple[Path, str, str]:
    """A project whose only stack is claimed by a run that went silent: (root, ledger URL, run id)."""
    root = write_project(tmp_path / "p", tiers={"basic": {"model": "pool", "wave": 1}}, tenants={},
                         lifecycle=[{"phase": "testing", "environments": ["testing"]}])
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger(url)
    run = ledger.start_run(release="1.4.0", command="up", engine="test", user="carol")
    claim = ledger.claim(run_id=run, stack=stack(STACK), release="1.4.0", operation="up", fingerprint=None,
                         stale_after=timedelta(minutes=2))
    assert claim.granted
    ledger.close()
    return root, url, run


def unlock(platform: Platform, root: Path, url: str, *args: str) -> Any:
    return platform("unlock", *args, "--by", "alice", "--project", str(root), "--ledger", url)


def test_a_stack_held_by_a_silent_run_is_released_and_recorded(platform: Platform, held: Any) -> None:
    root, url, run = held
    result = unlock(platform, root, url, "--stack", STACK, "--yes")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.fullmatch(
        rf"{STACK}: held by run {run} \(up by carol on \S+ pid \d+\) since \S+ \S+Z; last heartbeat \d+ s ago", lines[0]
    ), lines[0]
    assert re.fullmatch(rf"unlocked {STACK} \(recorded as run \S+\); their deployments are abandoned", lines[1])
    assert rows(url, "tw_claims") == []
    [deployment] = rows(url, "tw_deployments")
    assert deployment["status"] == "abandoned" and deployment["error"] == "released by hand (platform unlock) by alice"
    record = next(r for r in rows(url, "tw_runs") if r["command"] == "unlock")
    assert record["status"] == "succeeded" and record["user"] == "alice"
    assert record["detail"] == f"released {STACK} held by run {run}"
    assert next(r for r in rows(url, "tw_runs") if r["id"] == run)["status"] == "running"  # --stack: only the claim


def test_a_whole_run_is_released_and_settled(platform: Platform, held: Any) -> None:
    root, url, run = held
    result = unlock(platform, root, url, "--run", run, "--yes")
    assert result.exit_code == 0, result.output
    assert next(r for r in rows(url, "tw_runs") if r["id"] == run)["status"] == "abandoned"


def test_what_cannot_be_unlocked_is_a_usage_error(platform: Platform, held: Any) -> None:
    root, url, _run = held
    for args, message in (
        (("--stack", "testing.pool.nope", "--yes"), "error: no run holds a claim on testing.pool.nope\n"),
        (("--run", "20000101T000000-00000000", "--yes"), "error: run 20000101T000000-00000000 holds no claim\n"),
        ((), "error: choose what to unlock: --stack NAME or --run ID\n"),
        (("--stack", STACK), "error: unlock asks for confirmation: pass --yes to unlock without a terminal\n"),
    ):
        result = unlock(platform, root, url, *args)
        assert result.exit_code == 2, result.output
        assert result.stderr.endswith(message), result.stderr
    assert len(rows(url, "tw_claims")) == 1  # nothing released


def test_a_run_alive_on_this_machine_is_refused_unless_forced(platform: Platform, held: Any, tmp_path: Path) -> None:
    root, url, run = held
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "tenantwave"])  # our command
    try:
        engine = Ledger(url)._get_engine()
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE tw_runs SET pid = ? WHERE id = ?", (alive.pid, run))
        engine.dispose()
        refused = unlock(platform, root, url, "--stack", STACK, "--yes")
        assert refused.exit_code == 2
        assert refused.stderr.endswith(
            f"error: run {run} is alive (process {alive.pid} on this machine): its engine call may still be running; "
            "stop it (Ctrl-C) and let it finish, or pass --force\n"
        )
        assert len(rows(url, "tw_claims")) == 1
        forced = unlock(platform, root, url, "--stack", STACK, "--yes", "--force")
        assert forced.exit_code == 0 and rows(url, "tw_claims") == []
    finally:
        alive.kill()
        alive.wait()
