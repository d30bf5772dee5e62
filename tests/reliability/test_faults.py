"""Fault injection against real `platform up` processes (the test engine, a real ledger).

Each fault, and what must hold whatever it does:
- a PostgreSQL ledger stopped mid-wave and started again 1.5 s later;
- a SQLite ledger on a filesystem that fills up mid-wave (a 2 MB tmpfs: needs root to mount, skipped
  visibly otherwise), then freed;
- two Ctrl-C with an engine that ignores cancellation, and a second `up` started meanwhile;
- standard output closed by its reader (`platform up | head -3`);
- markup and escape sequences in an engine's error text, shown on a terminal (a pseudo-terminal).

Every stack the engine deployed is recorded exactly once (after the next command's replay of the
journal at the latest), no stack is ever in two engine calls at once, no traceback is printed, and
every run ends recorded (no `running` run, deployment or claim is left behind).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pty
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import UP, Harness, script_engine, successes_per_stack

from support.ledgertools import rows

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def reaper(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every `platform` process a test started is gone when it ends, whatever the test did."""
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def tracked(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        process = real_popen(*args, **kwargs)
        started.append(process)
        return process

    monkeypatch.setattr(subprocess, "Popen", tracked)
    yield
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def stack_logs(harness: Harness) -> int:
    return len(list((harness.root / ".platform" / "logs").glob("*/*.log")))


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Until `condition` holds; fails with the process's output if it ends first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"the run ended first ({process.returncode}): {out.decode()}{err.decode()}")
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the run to get there")
        time.sleep(0.02)


def no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text and "internal error" not in text, text


def assert_recorded_once(harness: Harness, stacks: list[str]) -> None:
    """Every engine call's result is in the ledger, under the run of the process that made it; each
    stack succeeded exactly once; no two calls on one stack overlapped; nothing is left running."""
    calls = harness.engine_calls()
    pid_of = {run["id"]: run["pid"] for run in harness.runs()}
    recorded = {(pid_of[d["run_id"]], d["stack"]): d["status"] for d in harness.deployments()}
    for call in calls:
        assert recorded.get((call["pid"], call["stack"])) == call["status"], (call, recorded)
    assert successes_per_stack(harness.deployments()) == dict.fromkeys(stacks, 1)
    for stack in stacks:
        spans = sorted((c["started"], c["ended"]) for c in calls if c["stack"] == stack)
        assert all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(spans)), spans
    assert [d for d in harness.deployments() if d["status"] == "running"] == []
    assert [r for r in harness.runs() if r["status"] == "running"] == []
    assert rows(harness.ledger, "tw_claims") == []


def stacks_of(tenants: int) -> list[str]:
    return [f"production-us.silo.t{index:02d}" for index in range(tenants)]


# -- the ledger goes away -------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_postgres_outage_mid_wave_loses_no_result(harness_for: Any, postgres_outage: Any) -> None:
    harness: Harness = harness_for(postgres_outage.url, tenants=6, delay=1.0)
    process = harness.start(*UP, "--concurrency", "3")
    wait_for(lambda: stack_logs(harness) >= 3, process)  # three engine calls under way
    postgres_outage.stop()
    time.sleep(1.5)
    postgres_outage.start()
    out, err = (stream.decode() for stream in process.communicate(timeout=120))

    assert process.returncode == 0, out + err
    no_traceback(out, err)
    assert out.count("\nok ") + out.startswith("ok ") == 6
    assert_recorded_once(harness, stacks_of(6))
    rerun = harness.up()
    assert rerun.returncode == 0 and "nothing to do" in rerun.stdout, rerun.stdout + rerun.stderr
    assert len(harness.engine_calls()) == 6


@pytest.fixture
def tiny_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("a full filesystem needs a tmpfs mount, which needs root")
    mount = tmp_path / "tiny"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Fill the filesystem of `folder` to the last byte; the file that did it."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return filler


def test_a_sqlite_ledger_on_a_full_disk_keeps_results_in_the_journal(
    harness_for: Any, tiny_filesystem: Path
) -> None:
    harness: Harness = harness_for(f"sqlite:///{tiny_filesystem / 'ledger.db'}", tenants=6, delay=1.0)
    process = harness.start(*UP, "--concurrency", "3", PLATFORM_LEDGER_RETRY_SECONDS="1")
    wait_for(lambda: stack_logs(harness) >= 3, process)
    filler = fill(tiny_filesystem)
    out, err = (stream.decode() for stream in process.communicate(timeout=120))

    assert process.returncode == 1, out + err
    no_traceback(out, err)
    journal = harness.root / ".platform" / "journal"
    assert "the next platform command records them" in out and str(journal) in out
    assert out.count("kept in the journal") >= 3  # each stack deployed but not yet recorded is named
    assert "error: the ledger became unusable" in err  # the claims it could not write: not started
    deployed = [call["stack"] for call in harness.engine_calls()]
    assert len(deployed) == 3

    filler.unlink()  # space again: the next command records what the journal kept, first
    status = harness.run("status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert list(journal.glob("*.jsonl")) == []
    assert successes_per_stack(harness.deployments()) == dict.fromkeys(deployed, 1)
    final = harness.up("--concurrency", "3")
    assert final.returncode == 0, final.stdout + final.stderr
    assert_recorded_once(harness, stacks_of(6))


# -- the operator, the terminal and the pipe ------------------------------------------------------------


def test_a_second_ctrl_c_keeps_the_claims_while_an_engine_ignores_it(harness_for: Any, tmp_path: Path) -> None:
    harness: Harness = harness_for(f"sqlite:///{tmp_path / 'ledger.db'}", tenants=2)
    script_engine(harness.script, 3.0, {name: {"delay": 3.0, "deaf": True} for name in stacks_of(2)})
    first = harness.start(*UP, "--concurrency", "2")
    wait_for(lambda: stack_logs(harness) >= 2, first)
    first.send_signal(signal.SIGINT)
    time.sleep(0.3)
    first.send_signal(signal.SIGINT)
    time.sleep(0.3)
    second = harness.up()  # while the first run's engine calls still run
    out, err = (stream.decode() for stream in first.communicate(timeout=60))

    assert second.returncode == 3, second.stdout + second.stderr  # held by the first run: nothing deployed
    assert "held" in second.stdout
    assert first.returncode == 1, out + err  # cancelled
    assert "stopping at once" in err
    no_traceback(out, err, second.stderr)
    assert [call["status"] for call in harness.engine_calls()] == ["succeeded", "succeeded"]
    assert_recorded_once(harness, stacks_of(2))  # the real results, not "cancelled"


def test_a_closed_stdout_stops_the_output_not_the_run(harness_for: Any, tmp_path: Path) -> None:
    harness: Harness = harness_for(f"sqlite:///{tmp_path / 'ledger.db'}", tenants=6, delay=0.3)
    process = harness.start(*UP, "--concurrency", "2")
    assert process.stdout is not None and process.stderr is not None
    for _ in range(3):  # `| head -3`
        process.stdout.readline()
    process.stdout.close()
    err = process.stderr.read().decode()
    process.wait(timeout=60)

    assert process.returncode == 0, err
    no_traceback(err)
    assert "Broken pipe" not in err
    assert_recorded_once(harness, stacks_of(6))
    assert [run["status"] for run in harness.runs()] == ["succeeded"]


def run_on_a_terminal(harness: Harness, *args: str) -> tuple[int, str, str]:
    """`platform ARGS` with its stdout on a pseudo-terminal (the live view); (code, screen, stderr)."""
    leader, follower = pty.openpty()
    env = harness.env(TERM="xterm", COLUMNS="160")
    process = subprocess.Popen(harness.command(*args), env=env, stdin=subprocess.DEVNULL, stdout=follower,
                               stderr=subprocess.PIPE)
    os.close(follower)
    screen: list[bytes] = []

    def read() -> None:
        with contextlib.suppress(OSError):  # EIO once the process has gone
            while chunk := os.read(leader, 65536):
                screen.append(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    assert process.stderr is not None
    err = process.stderr.read().decode()
    code = process.wait(timeout=60)
    reader.join(timeout=10)
    os.close(leader)
    return code, b"".join(screen).decode(errors="replace"), err


def test_markup_and_escape_sequences_in_an_error_are_shown_as_text_on_a_terminal(
    harness_for: Any, tmp_path: Path
) -> None:
    harness: Harness = harness_for(f"sqlite:///{tmp_path / 'ledger.db'}", tenants=3)
    error = "Error: [/bold] closing tag; [error] x; \x1b]0;owned\x07\x1b[2J done"
    # the failing stack fails last, so the other two have started whatever the machine's load (a failure
    # stops new starts: with the failure first, a loaded machine could leave a stack unstarted)
    failing = {"outcome": "failed", "error": error, "delay": 1.5}
    script_engine(harness.script, 0.2, {"production-us.silo.t01": failing})
    code, screen, err = run_on_a_terminal(harness, *UP, "--concurrency", "3")

    assert code == 1, screen + err
    no_traceback(screen, err)
    assert "[/bold] closing tag; [error] x;  done" in screen  # shown as text, nothing dropped
    assert "\x1b]0;owned" not in screen and "\x1b[2J" not in screen  # the engine's escapes are not sent
    statuses = sorted(d["status"] for d in harness.deployments())
    assert statuses == ["failed", "succeeded", "succeeded"]
    assert [run["status"] for run in harness.runs()] == ["failed"]
