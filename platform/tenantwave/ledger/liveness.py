"""Whether the process behind a run is alive, when this machine can tell.

A heartbeat says a run is alive as long as clocks agree. On one machine the process table says so
whatever the clock does: a run recorded with this host's name and a process id that is running
one of our commands is alive (its claims stay held even if a forward clock step makes its
heartbeat look old), and one whose process is gone is dead (its claims can be settled even if a
backward clock step put its last heartbeat in the future). Runs of other hosts, and of this very
process, are for the heartbeat alone to judge (None).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

OURS = (b"tenantwave", b"platform")  # in the command line of a process running the tool


def this_host() -> str:
    return socket.gethostname()[:200]  # as runs record it


def run_alive(host: str | None, pid: int | None) -> bool | None:
    """True: the run's process is alive on this host; False: it is gone; None: cannot tell."""
    if not host or pid is None or pid <= 0 or host != this_host() or pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    except OSError:
        return None
    proc = Path("/proc") / str(pid)
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        command = (proc / "cmdline").read_bytes()
    except (OSError, IndexError):
        return True  # no /proc (not Linux): the process exists
    if state == "Z":
        return False  # exited, not yet reaped
    return any(word in command for word in OURS)  # else its id was reused by another program
