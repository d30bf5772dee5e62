"""Fixtures of the health tests: a real HTTP server on 127.0.0.1 (random port, own thread) whose
answers each test scripts, a command that records what it receives, a workspace opener."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.healthserver import RECORDER, HealthServer
from support.loopback import QuietHandler, loopback_server


@pytest.fixture
def health_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[HealthServer]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    state = HealthServer()

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            answer = state.answer(self.path)
            if answer.delay:
                time.sleep(answer.delay)
            payload = answer.body.encode()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (a timeout test)

    with loopback_server(Handler) as port:
        state.port = port
        yield state


@pytest.fixture
def recorder(tmp_path: Path) -> Path:
    script = tmp_path / "recorder.py"
    script.write_text(RECORDER)
    return script


@pytest.fixture
def open_ws(tmp_path: Path) -> Any:
    """open_ws(root) -> Workspace on a SQLite ledger in tmp_path."""
    from tenantwave.planning.workspace import open_workspace

    def opener(root: Path, ledger_url: str | None = None) -> Any:
        return open_workspace(root, ledger_url or f"sqlite:///{tmp_path / 'ledger.db'}", engine="test")

    return opener
