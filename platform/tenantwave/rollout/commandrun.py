"""Running a check's or a hook's command with bounded time, memory and output.

The command runs in a process group of its own (a new session). Its output (stdout and stderr
together) is read as it comes and only the last `limit` bytes are kept, in every case: a command
that prints without end costs at most `limit` bytes of memory and of log, however long it runs.
When the command ends, or its time is up, the whole group is killed: nothing it started outlives
it (a timeout sends SIGTERM to the group, then SIGKILL a second later). A command that exits while
something it started still holds its output is done once that output has been quiet for a moment.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

TERM_GRACE = 1.0  # seconds between SIGTERM and SIGKILL on a timeout
LINGER = 0.5  # seconds the output of what the command left behind is still read after it exits
POLL = 0.1


@dataclass(frozen=True)
class Finished:
    returncode: int | None  # None when it was killed on its timeout
    output: str  # the last `limit` bytes of its output, decoded (a note first if more was dropped)
    dropped: int  # bytes of output not kept
    timed_out: bool


class Tail:
    """The last `limit` bytes of a stream, in amortised constant memory."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        self.data += chunk
        if len(self.data) > 2 * self.limit:
            self.trim()

    def trim(self) -> None:
        excess = len(self.data) - self.limit
        if excess > 0:
            del self.data[:excess]
            self.dropped += excess

    def text(self) -> str:
        self.trim()
        body = self.data.decode("utf-8", errors="replace")
        if self.dropped:
            return f"[{self.dropped} bytes of output dropped: only the last {self.limit} are kept]\n{body}"
        return body


def run_command(
    argv: Sequence[str], *, stdin: bytes, cwd: Path, env: Mapping[str, str], timeout: float, limit: int
) -> Finished:
    """Run `argv` with `stdin` as its input; OSError when it cannot be started."""
    process = subprocess.Popen(
        list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd,
        env=dict(env), start_new_session=True,
    )
    tail = Tail(limit)
    deadline = time.monotonic() + timeout
    try:
        ended = _pump(process, stdin, tail, deadline) and _wait_exit(process.pid, deadline)
        if not ended:
            _signal_group(process.pid, signal.SIGTERM)
            _wait_exit(process.pid, time.monotonic() + TERM_GRACE)
    finally:
        _signal_group(process.pid, signal.SIGKILL)  # before reaping: the group id stays reserved
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
    return Finished(process.returncode if ended else None, tail.text(), tail.dropped, timed_out=not ended)


def _pump(process: subprocess.Popen[bytes], stdin: bytes, tail: Tail, deadline: float) -> bool:
    """Feed stdin and collect output until the output ends (or the command has exited and its
    leftovers went quiet); False if the time ran out first."""
    assert process.stdin is not None and process.stdout is not None
    pending = memoryview(stdin)
    exited_at: float | None = None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if pending:
            os.set_blocking(process.stdin.fileno(), False)
            selector.register(process.stdin, selectors.EVENT_WRITE)
        else:
            process.stdin.close()
        while any(key.fileobj is process.stdout for key in selector.get_map().values()):
            now = time.monotonic()
            if now >= deadline:
                return False
            if exited_at is None and _exited(process.pid):
                exited_at = now
            if exited_at is not None and now - exited_at > LINGER:
                return True
            for key, _events in selector.select(min(POLL, deadline - now)):
                if key.fileobj is process.stdin:
                    pending = _feed(process, selector, pending)
                else:
                    chunk = os.read(process.stdout.fileno(), 65536)
                    if chunk:
                        tail.add(chunk)
                    else:
                        selector.unregister(process.stdout)
    return True


def _feed(process: subprocess.Popen[bytes], selector: selectors.BaseSelector, pending: memoryview) -> memoryview:
    assert process.stdin is not None
    try:
        written = os.write(process.stdin.fileno(), pending[:65536])
    except BlockingIOError:
        return pending
    except BrokenPipeError:  # it does not read its input: fine
        written = len(pending)
    pending = pending[written:]
    if not pending:
        selector.unregister(process.stdin)
        with contextlib.suppress(OSError):
            process.stdin.close()
    return pending


def _exited(pid: int) -> bool:
    """Whether the process has exited, without reaping it (its group id stays reserved)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _wait_exit(pid: int, deadline: float) -> bool:
    while not _exited(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)
