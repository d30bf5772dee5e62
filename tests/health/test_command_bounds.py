"""Command checks and hooks cannot exhaust the machine: output is capped in memory and in the log
in every case (timeout included), and nothing a command started outlives it."""

from __future__ import annotations

import os
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from tenantwave.config.checks import CommandCheck, Hook
from tenantwave.planning.inventory import Stack
from tenantwave.rollout.checks import MAX_OUTPUT, CheckTarget, run_check, run_hook
from tenantwave.rollout.commandrun import Tail

pytestmark = pytest.mark.unit

STACK = Stack(name="staging.pool.basic", environment="staging", phase="staging", phase_index=1, kind="pool",
              tier="basic", tenant=None, tenants=("acme",), wave_key=(1, 1))
TARGET = CheckTarget(STACK, "1.4.0", {"endpoint": "http://x"}, current_release="1.3.0")


def check(script: str, timeout: float = 30) -> CommandCheck:
    return CommandCheck(kind="command", name="noisy", command=[sys.executable, "-c", script], timeout_seconds=timeout)


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for its parent to reap it does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


ENDLESS = "import sys\nwhile True:\n    sys.stdout.write('x' * 65535 + '\\n')\n"


def test_a_command_printing_without_end_is_capped_on_its_timeout(tmp_path: Path) -> None:
    tracemalloc.start()
    try:
        result = run_check(check(ENDLESS, timeout=2), TARGET, tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not result.passed
    assert result.summary.endswith("timed out after 2 s")
    first, _, body = result.output.partition("\n")
    assert first.startswith("[") and "bytes of output dropped: only the last 65536 are kept]" in first
    assert int(first[1:].split()[0]) > 10 * MAX_OUTPUT  # it did print a lot more than was kept
    assert len(body.encode()) <= MAX_OUTPUT
    assert peak < 8 * MAX_OUTPUT  # memory: a few times the cap, never the output


def test_output_is_capped_when_the_command_ends_on_its_own_too(tmp_path: Path) -> None:
    script = "import sys\nsys.stdout.write('y' * 5_000_000)\nsys.stdout.write('\\nlast words')\nsys.exit(3)\n"
    result = run_check(check(script), TARGET, tmp_path)
    assert result.summary == f"check noisy failed: `{sys.executable} -c {script}` exited 3: last words"
    assert len(result.output.encode()) < MAX_OUTPUT + 100 and result.output.endswith("last words")
    assert "bytes of output dropped" in result.output


def test_a_hook_that_times_out_takes_what_it_started_with_it(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen(['sleep', '300'])\n"
        f"open({str(pids)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(300)\n"
    )
    result = run_hook(Hook(command=[sys.executable, "-c", script], timeout_seconds=1), TARGET, tmp_path)
    assert not result.passed and result.summary.endswith("timed out after 1 s")
    child = int(pids.read_text())
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child)


def test_a_command_that_exits_leaving_a_child_on_its_output_is_done_and_the_child_gone(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    script = (
        "import subprocess\n"
        "child = subprocess.Popen(['sleep', '300'])\n"  # inherits stdout: the pipe stays open
        f"open({str(pids)!r}, 'w').write(str(child.pid))\n"
        "print('ok')\n"
    )
    result = run_check(check(script, timeout=60), TARGET, tmp_path)
    assert result.passed and result.output == "ok\n"
    assert result.seconds < 30  # not its timeout: done once the output went quiet after it exited
    child = int(pids.read_text())
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child)


def test_a_command_that_does_not_read_its_input_is_fine(tmp_path: Path) -> None:
    big = CheckTarget(STACK, "1.4.0", {"blob": "z" * 100_000})  # a document larger than a pipe holds
    result = run_check(check("print('not reading')"), big, tmp_path)
    assert result.passed and result.output == "not reading\n"


def test_the_tail_keeps_the_last_bytes() -> None:
    tail = Tail(10)
    for chunk in (b"0123456789", b"abcdefghij", b"KLMNO"):
        tail.add(chunk)
    assert tail.text() == "[15 bytes of output dropped: only the last 10 are kept]\nfghijKLMNO"
    assert Tail(10).text() == "" and os.linesep == "\n"
