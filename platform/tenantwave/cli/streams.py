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


class ClosedPipeGuard(io.BufferedIOBase):
    """A binary stream over `inner` that swallows BrokenPipeError (and everything written after)."""

    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self.inner = inner
        self.reader_gone = False

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if not self.reader_gone:
            try:
                self.inner.write(data)
            except BrokenPipeError:
                self._drop_from_now_on()
        return len(data)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self.inner.flush()
            except BrokenPipeError:
                self._drop_from_now_on()

    def fileno(self) -> int:
        return self.inner.fileno()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def close(self) -> None:  # the descriptor belongs to the interpreter: flush, never close it
        self.flush()

    def _drop_from_now_on(self) -> None:
        self.reader_gone = True
        # what the inner buffer could not write is flushed again at exit: to /dev/null, harmlessly
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.inner.fileno())
            os.close(devnull)


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
