"""The dashboard's background refresh: it keeps serving the last snapshot while the ledger is away."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tenantwave.web.serve import Refresher

pytestmark = pytest.mark.unit


class FlakySource:
    """A source whose refresh fails once, then succeeds; it says when it was called twice."""

    def __init__(self) -> None:
        self.calls = 0
        self.twice = threading.Event()
        self.current = None

    def refresh(self) -> Any:
        self.calls += 1
        if self.calls >= 2:
            self.twice.set()
        if self.calls == 1:
            raise ConnectionError("the ledger is restarting")
        return None


def test_a_failed_refresh_is_reported_and_tried_again(caplog: pytest.LogCaptureFixture) -> None:
    source = FlakySource()
    refresher = Refresher(source, every=0.01)  # type: ignore[arg-type]
    refresher.start()
    try:
        assert source.twice.wait(timeout=30)
    finally:
        refresher.stop()
    assert "the dashboard could not refresh its snapshot: ConnectionError: the ledger is restarting" in caplog.text
    assert refresher.error == ""  # the next refresh succeeded
    calls = source.calls
    assert not refresher._thread.is_alive() and source.calls == calls  # stopped: no more refreshes
