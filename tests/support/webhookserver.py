"""A real webhook receiver on 127.0.0.1 for the notification tests: it records every POST and answers
as each test scripts it (status, a delay, or holding the answer until the test releases it)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from support.loopback import QuietHandler, loopback_server


@dataclass
class Reply:
    status: int = 200
    delay: float = 0.0  # seconds before answering (a slow webhook)
    hold: threading.Event | None = None  # answer only once this is set (a webhook that hangs)
    location: str | None = None  # a Location header (a redirect)


@dataclass
class WebhookServer:
    """`script[path]` is a list of replies played in order, the last one repeating (default 200)."""

    port: int = 0
    script: dict[str, list[Reply]] = field(default_factory=dict)
    received: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)  # set at each request
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def bodies(self, path: str = "/hook") -> list[Any]:
        with self._lock:
            return [json.loads(raw) for where, raw, _ in self.received if where == path]

    def hits(self, path: str = "/hook") -> int:
        with self._lock:
            return sum(1 for where, _, _ in self.received if where == path)

    def reply(self, path: str, raw: bytes, headers: dict[str, str]) -> Reply:
        with self._lock:
            count = sum(1 for where, _, _ in self.received if where == path)
            self.received.append((path, raw, headers))
        self.arrived.set()
        replies = self.script.get(path) or [Reply()]
        return replies[min(count, len(replies) - 1)]


@contextmanager
def webhook_server() -> Iterator[WebhookServer]:
    state = WebhookServer()

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            reply = state.reply(self.path, raw, dict(self.headers.items()))
            if reply.hold is not None:
                reply.hold.wait(30)
            if reply.delay:
                time.sleep(reply.delay)
            try:
                self.send_response(reply.status)
                if reply.location:
                    self.send_header("Location", reply.location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the client gave up (a timeout test)

    with loopback_server(Handler) as port:
        state.port = port
        try:
            yield state
        finally:
            for replies in state.script.values():  # let every held answer go before shutting down
                for reply in replies:
                    if reply.hold is not None:
                        reply.hold.set()


def refused_url() -> str:
    """A loopback URL where nothing listens (the port was just bound and released): connection refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"
