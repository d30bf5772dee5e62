"""Standard output that cannot be written: one plain line on stderr and exit code 2, never a
traceback or an "internal error", whatever the command and with or without --json.

- a closed standard output (`platform plan >&-`): refused before the command runs (nothing is
  deployed, nothing is read for nobody);
- a write that fails (`> /dev/full`: no space left on device, an I/O error): the rest of the output
  is dropped, the command goes on to its end (a run is never stopped half way by its display,
  as with a reader that went away: cli.streams), and then `cannot write the output: <why> (the
  command ran to its end; `platform status` shows anything it recorded)` is said on stderr; the exit
  code is 2, or the command's own when it failed otherwise (1, 3, 4: a failed deployment is never
  reported as bad usage). This 2 is not "bad input": the command's work (a deployment) is done and
  recorded, which the line says;
- an encoding that cannot hold the text: the C locale's ASCII (LANG=C or unset in a CI container,
  Python's UTF-8 mode turned off) is written as UTF-8, as Python's own UTF-8 mode would (PEP 540:
  that ASCII is taken to mean "not configured"); an encoding chosen with PYTHONIOENCODING (ascii
  included) is kept, and so is any other (latin-1, ...): rich then draws ASCII boxes where the
  encoding is not UTF-8, and what the encoding cannot hold is written as backslash escapes
  (`\\u2192`) unless a handler that replaces was chosen (PYTHONIOENCODING=ascii:replace): one that
  raises (strict, surrogateescape) would stop the command at the first such character.

A reader that goes away (`| head -1`) is not a failure: cli.streams keeps it quiet.
Installed by the console entry points (cli.main / cli.console) only, never under CliRunner.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import sys
from typing import BinaryIO, cast

from tenantwave.cli.streams import DroppingOutput

EXIT_OUTPUT = 2  # bad usage or environment (README, exit codes)

RAN = "the command ran to its end; `platform status` shows anything it recorded"

CLOSED = (
    "cannot write the output: standard output is closed; run the command with its output on a terminal,"
    " a file or a pipe"
)


class WatchedOutput(DroppingOutput):
    """A binary stream over `inner` that keeps the first write error (other than a closed pipe,
    which cli.streams handles) as `failure` and drops everything from then on."""

    def takes(self, exc: OSError) -> bool:
        return not isinstance(exc, BrokenPipeError)


def watch_stdout() -> WatchedOutput | None:
    """Put a WatchedOutput under sys.stdout, written in an encoding that can hold any text (see the
    module's docstring); None when stdout is not a file's text stream (nothing to watch). Raises
    SystemExit(2) with CLOSED on stderr when there is no standard output."""
    stream = sys.stdout
    if stream is None:
        if sys.stderr is not None:
            print(f"error: {CLOSED}", file=sys.stderr)
        raise SystemExit(EXIT_OUTPUT)
    buffer = getattr(stream, "buffer", None)
    if buffer is None or not isinstance(stream, io.TextIOWrapper):
        return None
    layer = buffer
    while layer is not None:  # watched already (main() called again in one process), under cli.streams' guard
        if isinstance(layer, WatchedOutput):
            return layer
        layer = getattr(layer, "inner", None)
    encoding, errors = _encoding(stream.encoding, stream.errors, _requested())
    stream.flush()
    watched = WatchedOutput(buffer)
    sys.stdout = io.TextIOWrapper(
        cast(BinaryIO, watched),
        encoding=encoding,
        errors=errors,
        line_buffering=stream.line_buffering,
        write_through=True,
    )
    return watched


def _encoding(encoding: str, errors: str | None, requested: str) -> tuple[str, str | None]:
    """The encoding and error handler stdout is written with, given stdout's and `requested`, the
    PYTHONIOENCODING Python used ("" when unset or ignored): the locale's ASCII becomes UTF-8; an
    encoding chosen in `requested`, or any other that is not UTF-8, is kept and escapes what it cannot
    hold, unless its error handler already replaces it."""
    name = codecs.lookup(encoding).name
    if name == "ascii" and not requested.partition(":")[0].strip():
        return "utf-8", errors
    if not name.startswith("utf") and errors in (None, "strict", "surrogateescape", "surrogatepass"):
        return encoding, "backslashreplace"
    return encoding, errors


def _requested() -> str:
    """PYTHONIOENCODING as Python used it for stdout ("" when unset, or ignored: python -E, -I)."""
    if sys.flags.ignore_environment:
        return ""
    return os.environ.get("PYTHONIOENCODING", "")


def exit_code(watched: WatchedOutput | None, code: object) -> object:
    """The exit code of a command that ended with SystemExit's `code`: unchanged when its output
    was written; else, with the failure said on stderr, 2 (or the command's own failure code)."""
    if watched is None:
        return code
    with contextlib.suppress(BrokenPipeError, ValueError):
        sys.stdout.flush()  # what is still buffered: the last failure shows here
    failure = watched.failure
    if failure is None:
        return code
    if sys.stderr is not None:
        with contextlib.suppress(OSError, ValueError):
            why = failure.strerror or failure
            print(f"error: cannot write the output: {why} ({RAN})", file=sys.stderr, flush=True)
    return EXIT_OUTPUT if code in (None, 0) else code
