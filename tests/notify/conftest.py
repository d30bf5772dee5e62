"""Fixtures of the notification tests: a real webhook receiver on loopback, no proxy in the way."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.webhookserver import WebhookServer, webhook_server


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookServer]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy",
                 "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with webhook_server() as state:
        yield state
