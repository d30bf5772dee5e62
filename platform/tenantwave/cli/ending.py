"""How the `platform` process ends after a read command: at once, its heap left to the system.

validate, plan and status build a large structure (10,000 tenants: about two million objects),
print it, and the process ends. Tearing the interpreter down then costs a third of a second of a
two-second `plan --json`: every object freed one by one, the collector walking them all. A read
command writes nothing but stdout and stderr (its ledger work, if any, is committed before it
returns), so once those are out nothing is lost by ending the process without that teardown (the
technique Instagram used for its web workers).

`end_now` does it, and only for the `platform` console script itself (its entry point,
`tenantwave.cli:console`, arms it when the script runs `alone`): a program calling `main()` or the
click group in-process (CliRunner, a test, a benchmark) goes on as before, and so does a script run
by a tool that reports after it (python -m cProfile, trace, pdb). Everything the interpreter's own
exit does that can be seen is done first, in its order: other threads must have ended (else the
ordinary exit waits for them), atexit handlers run, stdout and stderr are flushed (a closed pipe
stays quiet: cli.streams); the exit code is the one SystemExit carries. When any of that cannot be
done exactly (a thread still running, a flush failing, an exit code that is not a plain number),
the ordinary exit happens.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from types import FrameType

_state = {"armed": False, "read_only": False}


def alone(caller: FrameType | None) -> bool:
    """Whether the console script, whose module called its entry point from the frame `caller`, runs
    alone: that frame is the bottom of the Python stack (no tool runs the script: `python -m
    cProfile`, `trace` or `pdb` report after it returns, which an early end would lose) and the
    interpreter does not stay after it (`python -i`, PYTHONINSPECT)."""
    return caller is not None and caller.f_back is None and not sys.flags.inspect


def arm(armed: bool) -> None:
    """Whether `end_now` may end the process: True only for the console script's entry point."""
    _state["armed"] = armed
    _state["read_only"] = False


def read_command() -> bool:
    """The command running writes nothing but stdout and stderr (validate, plan, status). True if
    its process ends with it (the console script): the read command need not restore what only
    the rest of a longer-lived process would need (cli.read: the cyclic collector)."""
    _state["read_only"] = True
    return _state["armed"]


def end_now(code: object) -> None:
    """End the process with SystemExit's `code`, without the interpreter's teardown, if it is armed
    and a read command ran; return (and let the ordinary exit happen) otherwise."""
    if not (_state["armed"] and _state["read_only"]):
        return
    status = 0 if code is None else code
    if not isinstance(status, int) or not 0 <= status <= 255:
        return
    if any(not thread.daemon for thread in threading.enumerate() if thread is not threading.main_thread()):
        return
    if not _flushed():
        return
    atexit._run_exitfuncs()
    if not _flushed():  # what the handlers wrote; on failure the interpreter flushes (and reports) again
        return
    os._exit(status)


def _flushed() -> bool:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is None:
            continue
        try:
            stream.flush()
        except Exception:
            return False
    return True
