"""stdout and stderr through the redactor: whatever a command prints, no known secret leaves.

`redacted_output()` replaces `sys.stdout` and `sys.stderr` with `RedactingStream`s for the
duration of a block (the CLI wraps each command in it), so every writer is covered: click's
`echo`, rich consoles, `print`, tracebacks, warnings. Each `write` is redacted on its own: the
writers print a message in one call (a line, a table, a JSON document), so a value is never split
between two writes. The wrapper has no binary `buffer`: bytes cannot go around it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO, cast

from tenantwave.privacy.redaction import redact


class RedactingStream:
    """A text stream that redacts what is written, then hands it to the stream it wraps."""

    def __init__(self, stream: TextIO) -> None:
        self.wrapped = stream

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # click probes streams with b"": a text stream refuses bytes
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.wrapped.write(redact(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.wrapped.flush()

    def isatty(self) -> bool:
        return self.wrapped.isatty()

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    @property
    def encoding(self) -> str:
        return getattr(self.wrapped, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str:
        return getattr(self.wrapped, "errors", None) or "strict"

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":  # no way around the redactor
            raise AttributeError(name)
        return getattr(self.wrapped, name)


@contextmanager
def redacted_output() -> Iterator[None]:
    """sys.stdout and sys.stderr redacted inside the block (not wrapped twice), restored after."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _wrapped(sys.stdout), _wrapped(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def _wrapped(stream: TextIO) -> TextIO:
    if stream is None or isinstance(stream, RedactingStream):  # no stream (pythonw), or wrapped already
        return stream
    return cast(TextIO, RedactingStream(stream))
