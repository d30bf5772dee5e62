"""Serving the dashboard: uvicorn on loopback by default, the snapshot refreshed by one background
thread every `poll` seconds (pages poll the app for the snapshot's marker, never the ledger)."""

from __future__ import annotations

import errno
import gc
import ipaddress
import logging
import socket
import sys
import threading
from collections.abc import Sequence
from typing import Any

from tenantwave.errors import UsageError
from tenantwave.views.snapshot import Source

log = logging.getLogger("tenantwave.dashboard")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, extra: Sequence[str]) -> tuple[str, ...]:
    """The names a request's Host header may give (port aside): the bound address (an IPv6 one in
    brackets, as in a URL), localhost, 127.0.0.1 and [::1] when bound to loopback (or to every
    address), and `extra`
    (`--allowed-host`, the name a reverse proxy passes on), lower case."""
    names = [f"[{host.strip('[]')}]" if ":" in host else host]
    if is_loopback(host) or host.strip("[]") in ("0.0.0.0", "::"):  # every address: loopback among them
        names += ["127.0.0.1", "localhost", "[::1]"]
    names += list(extra)
    return tuple(dict.fromkeys(name.lower() for name in names))


def exposure_warning(host: str) -> str | None:
    """What to tell the operator when the dashboard would be reachable from other machines."""
    if is_loopback(host):
        return None
    return (
        f"warning: the dashboard binds to {host}: anyone who can reach this machine on that address can read "
        "the fleet's state, runs and logs, and the dashboard has no login of its own. Serve it on 127.0.0.1 "
        "behind an authenticating reverse proxy instead (docs/dashboard.md)"
    )


def check_address(host: str, port: int) -> int:
    """The port to listen on (`port`, or the one the system picks for 0); UsageError (exit 2) now,
    before the snapshot is built, when the address cannot be listened on (in use, not this machine's)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(f"--host {host}: not an address of this machine ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRNOTAVAIL:
                raise UsageError(f"--host {host}: not an address of this machine; "
                                 "name one of its own (127.0.0.1 by default)") from None
            raise UsageError(
                f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc}); "
                "choose another --port, or stop what uses it"
            ) from None
        return int(probe.getsockname()[1])


class Freezer:
    """Keeps the snapshots out of the collector's full passes (gc.freeze after each rebuild) without
    keeping garbage forever: a reference cycle that happens to be alive when the heap is frozen is
    never collected while frozen, so once the frozen heap has grown by `growth` since the last
    clean-up (leaked cycles, or a bigger fleet), it is unfrozen, collected once and frozen again.
    That bounds what can leak to a quarter of the heap, for one full pass every so many rebuilds."""

    def __init__(self, growth: float = 1.25, collector: Any = gc) -> None:
        self.growth = growth
        self._gc = collector
        self._baseline = 0
        self.cleanups = 0

    def clean(self) -> None:
        """Collect everything once (the frozen part too), then freeze what is left."""
        self._gc.unfreeze()
        self._gc.collect()
        self._gc.freeze()
        self._baseline = self._gc.get_freeze_count()
        self.cleanups += 1

    def after_rebuild(self) -> None:
        """Freeze the new snapshot; clean up instead when the frozen heap has grown too much."""
        self._gc.freeze()
        if self._gc.get_freeze_count() > self._baseline * self.growth:
            self.clean()


class Refresher:
    """Calls `source.refresh()` every `every` seconds on a daemon thread until stopped. An error
    (the ledger unreachable for a while) is logged and tried again next time."""

    def __init__(self, source: Source, every: float, freezer: Freezer | None = None) -> None:
        self.source = source
        self.every = every
        self.freezer = freezer
        self.error = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="dashboard-refresh", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                before = self.source.current
                if self.source.refresh() is not before and self.freezer is not None:
                    self.freezer.after_rebuild()  # the new snapshot: out of the collector's full passes
                self.error = ""
            except Exception as exc:  # the ledger may be away for a while: keep serving the last snapshot
                self.error = " ".join(f"{type(exc).__name__}: {exc}".split())[:500]  # one log line
                log.warning("the dashboard could not refresh its snapshot: %s", self.error)


def serve(source: Source, host: str, port: int, poll: float, hosts: Sequence[str] = ()) -> None:
    """Run the dashboard until interrupted."""
    import uvicorn

    from tenantwave.web.app import create_app

    # A rebuild makes a snapshot's worth of objects while requests are served: the collector's full
    # passes over every live object (a 10,000-tenant snapshot is millions) would stall requests for
    # most of a second each. Snapshots hold no reference cycles, so they are frozen out of those passes
    # (their objects are still freed, by reference counting, when the next snapshot replaces them);
    # what else was frozen with them is collected now and then (Freezer).
    freezer = Freezer()
    freezer.clean()
    sys.setswitchinterval(0.001)  # requests take the interpreter from a rebuilding refresh thread sooner
    refresher = Refresher(source, max(0.5, poll / 2), freezer)
    refresher.start()
    try:
        app = create_app(source, poll=poll, allowed_hosts=allowed_hosts(host, hosts))
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False, access_log=False)
    finally:
        refresher.stop()
