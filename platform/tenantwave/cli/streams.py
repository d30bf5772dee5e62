"""Standard output and error that a closed reader cannot break.

`platform up ... | head -7` closes the pipe after seven lines. The run must go on to its end and
be recorded: only the output stops. `guard_closed_pipes` puts a guard between `sys.stdout` /
`sys.stderr` and their file descriptors: the first BrokenPipeError points the descriptor at
/dev/null and every later write is dropped, quietly (click, rich and print all write through it).
It is installed by the console entry point only (never under CliRunner, whose streams are memory).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from typing import BinaryIO, cast


class DroppingOutput(io.BufferedIOBase):
    """A binary stream over `inner` that, at the first write error it takes (`takes`), keeps it as
    `failure`, points the descriptor at /dev/null and drops everything written from then on; other
    errors go through. The common part of ClosedPipeGuard (a reader gone) and
    cli.outputfailure.WatchedOutput (a write that failed)."""

    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self.inner = inner
        self.failure: OSError | None = None

    def takes(self, exc: OSError) -> bool:
        raise NotImplementedError

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if self.failure is None:
            try:
                self.inner.write(data)
            except OSError as exc:
                if not self.takes(exc):
                    raise
                self._drop_from_now_on(exc)
        return len(data)

    def flush(self) -> None:
        if self.failure is None:
            try:
                self.inner.flush()
            except OSError as exc:
                if not self.takes(exc):
                    raise
                self._drop_from_now_on(exc)

    def fileno(self) -> int:
        return self.inner.fileno()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def close(self) -> None:  # the descriptor belongs to the interpreter: flush, never close it
        self.flush()

    def _drop_from_now_on(self, exc: OSError) -> None:
        self.failure = exc
        # what the inner buffer could not write is flushed again at exit: to /dev/null, harmlessly
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.inner.fileno())
            os.close(devnull)


class ClosedPipeGuard(DroppingOutput):
    """A binary stream over `inner` that swallows BrokenPipeError (and everything written after)."""

    def takes(self, exc: OSError) -> bool:
        return isinstance(exc, BrokenPipeError)


def guard_closed_pipes() -> None:
    """Replace sys.stdout and sys.stderr with text streams over a ClosedPipeGuard."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        buffer = getattr(stream, "buffer", None)
        if buffer is None or isinstance(buffer, ClosedPipeGuard):
            continue
        guarded = io.TextIOWrapper(
            cast(BinaryIO, ClosedPipeGuard(buffer)),
            encoding=stream.encoding,
            errors=stream.errors,
            line_buffering=stream.line_buffering,
            write_through=True,
        )
        setattr(sys, name, guarded)
