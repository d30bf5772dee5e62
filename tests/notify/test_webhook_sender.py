"""Sending notifications (issue 19): against a real HTTP server on loopback, one that is down, one that is
slow, one that fails then answers; queued without blocking, retried within bounds, flushed with a bounded
wait, every failure in the summary and the log, never the URL."""

from __future__ import annotations

import threading
import urllib.error
from pathlib import Path
from typing import Any

import pytest

from support.webhookserver import Reply, WebhookServer, refused_url
from tenantwave.config.notify import Webhook
from tenantwave.rollout.notifications import Notification
from tenantwave.rollout.webhooks import Delivery, Notifier

pytestmark = pytest.mark.integration

FINISHED = Notification("run_finished", "up 1.4.0 wave 1 failed: 1 failed (run R)", ("staging.silo.a: failed: boom",),
                        {"status": "failed"})
STARTED = Notification("run_started", "up 1.4.0 wave 1 started: 1 stack (run R)", ("staging.silo.a",))


def notifier(tmp_path: Path, *hooks: dict[str, Any], env: dict[str, str]) -> Notifier:
    return Notifier([Webhook.model_validate(h) for h in hooks], env, project="fleet",
                    log_path=tmp_path / "notifications.log", backoff=0.01)


def test_each_webhook_receives_the_events_it_wants_in_its_format(tmp_path: Path, server: WebhookServer) -> None:
    sender = notifier(
        tmp_path,
        {"url_env": "JSON_HOOK"},
        {"name": "chat", "url_env": "CHAT_HOOK", "format": "slack", "events": ["run_finished"]},
        env={"JSON_HOOK": server.url("/json"), "CHAT_HOOK": server.url("/chat")},
    )
    sender.notify(STARTED)
    sender.notify(FINISHED)
    summary = sender.flush(timeout=30)
    assert (summary.sent, summary.failed) == (3, ())
    assert summary.lines() == ["notifications: 3 sent"]
    assert [b["event"] for b in server.bodies("/json")] == ["run_started", "run_finished"]
    assert server.bodies("/json")[1] == {
        "source": "tenantwave", "project": "fleet", "event": "run_finished",
        "title": "up 1.4.0 wave 1 failed: 1 failed (run R)",
        "text": "up 1.4.0 wave 1 failed: 1 failed (run R)\nstaging.silo.a: failed: boom",
        "lines": ["staging.silo.a: failed: boom"], "details": {"status": "failed"},
    }
    assert server.bodies("/chat") == [
        {"text": "*up 1.4.0 wave 1 failed: 1 failed (run R)*\n• staging.silo.a: failed: boom"}
    ]
    headers = next(h for path, _, h in server.received if path == "/chat")
    assert headers["Content-Type"] == "application/json"
    assert not (tmp_path / "notifications.log").exists()  # nothing failed, nothing logged


def test_a_webhook_that_is_down_is_retried_then_reported(tmp_path: Path) -> None:
    url = refused_url()
    sender = notifier(tmp_path, {"name": "down", "url_env": "HOOK", "retries": 2}, env={"HOOK": url})
    sender.notify(FINISHED)
    summary = sender.flush(timeout=30)
    assert summary.failed == (Delivery("down", "run_finished", False, 3, "connection refused"),)
    assert summary.lines() == [
        "notifications: 0 sent, 1 not delivered",
        "  down: run_finished not delivered: connection refused (3 attempts)",
    ]
    log = (tmp_path / "notifications.log").read_text()
    assert log.endswith(" down: run_finished not delivered: connection refused (3 attempts)\n")
    assert url not in log and url not in repr(summary.to_json())
    assert (tmp_path / "notifications.log").stat().st_mode & 0o777 == 0o600


def test_a_slow_webhook_times_out_and_is_retried(tmp_path: Path, server: WebhookServer) -> None:
    server.script["/slow"] = [Reply(delay=3)]
    sender = notifier(tmp_path, {"name": "slow", "url_env": "HOOK", "timeout_seconds": 0.2, "retries": 1},
                      env={"HOOK": server.url("/slow")})
    sender.notify(FINISHED)
    summary = sender.flush(timeout=30)
    assert summary.failed == (Delivery("slow", "run_finished", False, 2, "no answer within 0.2 s"),)
    assert server.hits("/slow") == 2


def test_a_server_error_then_success_is_delivered_on_the_retry(tmp_path: Path, server: WebhookServer) -> None:
    server.script["/flaky"] = [Reply(500), Reply(200)]
    sender = notifier(tmp_path, {"url_env": "HOOK", "retries": 2}, env={"HOOK": server.url("/flaky")})
    sender.notify(FINISHED)
    summary = sender.flush(timeout=30)
    assert summary.deliveries == (Delivery("HOOK", "run_finished", True, 2),)
    assert server.hits("/flaky") == 2
    first, second = server.bodies("/flaky")
    assert first == second  # the same body again


@pytest.mark.parametrize(("status", "attempts"), [(500, 3), (429, 3), (404, 1), (400, 1), (302, 1)])
def test_which_answers_are_retried(tmp_path: Path, server: WebhookServer, status: int, attempts: int) -> None:
    server.script["/h"] = [Reply(status, location=server.url("/elsewhere") if status == 302 else None)]
    sender = notifier(tmp_path, {"url_env": "HOOK", "retries": 2}, env={"HOOK": server.url("/h")})
    sender.notify(FINISHED)
    summary = sender.flush(timeout=30)
    assert summary.failed == (Delivery("HOOK", "run_finished", False, attempts, f"HTTP {status}"),)
    assert server.hits("/h") == attempts
    assert server.hits("/elsewhere") == 0  # a redirect is not followed


def test_notify_never_waits_for_the_webhook(tmp_path: Path, server: WebhookServer) -> None:
    """notify() returns while the webhook has not answered yet (it answers only when the test lets it)."""
    release = threading.Event()
    server.script["/hold"] = [Reply(hold=release)]
    sender = notifier(tmp_path, {"url_env": "HOOK"}, env={"HOOK": server.url("/hold")})
    sender.notify(FINISHED)
    sender.notify(STARTED)
    assert server.arrived.wait(30)  # the first request is at the server, held there
    assert not release.is_set()
    release.set()
    assert sender.flush(timeout=30).sent == 2


def test_the_end_of_the_command_waits_a_bounded_time(tmp_path: Path, server: WebhookServer) -> None:
    release = threading.Event()
    server.script["/hold"] = [Reply(hold=release)]
    sender = notifier(tmp_path, {"name": "stuck", "url_env": "HOOK", "timeout_seconds": 30},
                      env={"HOOK": server.url("/hold")})
    sender.notify(STARTED)
    sender.notify(FINISHED)
    assert server.arrived.wait(30)
    summary = sender.flush(timeout=0.1)  # the webhook still holds its answer: flush gives up
    release.set()
    assert summary.lines() == [
        "notifications: 0 sent, 2 not delivered",
        "  stuck: run_started not delivered: still on its way after waiting 0.1 s at the end of the command",
        "  stuck: run_finished not delivered: still on its way after waiting 0.1 s at the end of the command",
    ]
    sender.notify(FINISHED)  # after the flush: reported, not sent
    assert sender.flush(timeout=1).failed[-1].error == "not sent: the command had already finished notifying"


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({}, "HOOK is not set (it holds the webhook's URL): nothing sent"),
        ({"HOOK": "  "}, "HOOK is not set (it holds the webhook's URL): nothing sent"),
        ({"HOOK": "ftp://example.com/x"}, "HOOK is not a valid http(s) URL: nothing sent"),
    ],
)
def test_a_missing_or_odd_url_is_a_failure_to_notify(tmp_path: Path, env: dict[str, str], error: str) -> None:
    sender = notifier(tmp_path, {"url_env": "HOOK"}, env=env)
    sender.notify(FINISHED)
    assert sender.flush(timeout=1).failed == (Delivery("HOOK", "run_finished", False, 0, error),)


def test_the_url_is_masked_wherever_it_would_show(tmp_path: Path, server: WebhookServer) -> None:
    from tenantwave.privacy.redaction import redact

    url = server.url("/token-abcdef123456")
    notifier(tmp_path, {"url_env": "HOOK"}, env={"HOOK": url})
    assert redact(f"posting to {url}") == "posting to [redacted]"


BAD_URLS = [
    "http://127.0.0.1:18901/a b<c>",
    "http://127.0.0.1:18901/a\x07bell-secret-part",
    "http://127.0.0.1:18901/a\x1b[31mred-secret-part",
    "http://127.0.0.1:18901/tab\there-secret-part",
    "http://127.0.0.1:18901/nl\nhere-secret-part",
    "http://127.0.0.1:notaport/secret-part-xyz",
    "http://[::1/secret-part-xyz",
    "http:///secret-part-xyz",
    "https:/secret-part-xyz",
    "ftp://example.com/secret-part-xyz",
    "hooks.slack.com/services/T1/B2/secret-part-xyz",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_url_that_is_not_a_valid_http_url_is_refused_without_any_part_of_it(
    tmp_path: Path, url: str
) -> None:
    def post(url: str, data: bytes, timeout: float) -> int:
        raise AssertionError("an invalid URL must not be tried")

    sender = Notifier([Webhook(url_env="HOOK")], {"HOOK": url}, project="fleet", log_path=tmp_path / "n.log",
                      post=post, backoff=0.01)
    sender.notify(FINISHED)
    summary = sender.flush(timeout=5)
    assert summary.failed == (
        Delivery("HOOK", "run_finished", False, 0, "HOOK is not a valid http(s) URL: nothing sent"),
    )
    shown = "\n".join(summary.lines()) + repr(summary.to_json()) + (tmp_path / "n.log").read_text()
    for part in ("a b", "<c>", "bell", "red-", "here", "secret", "notaport", "slack"):
        assert part not in shown


@pytest.mark.parametrize(
    "error",
    [
        lambda url: ValueError(f"URL can't contain control characters. {url[20:]!r}"),
        lambda url: __import__("http.client").client.InvalidURL(f"nonnumeric port: {url}"),
        lambda url: RuntimeError(url),
        lambda url: OSError(f"cannot reach {url}"),
        lambda url: urllib.error.URLError(f"bad {url}"),
    ],
    ids=["ValueError", "InvalidURL", "RuntimeError", "OSError", "URLError"],
)
def test_no_failure_of_an_attempt_repeats_the_url_or_a_part_of_it(tmp_path: Path, error: Any) -> None:
    url = "https://user:pa55word-xyz@hooks.example.com/services/T1/B2/SECRETXYZSECRETXYZ?token=tok-123456789"

    def post(url: str, data: bytes, timeout: float) -> int:
        raise error(url)

    sender = Notifier([Webhook(url_env="HOOK", retries=0)], {"HOOK": url}, project="fleet",
                      log_path=tmp_path / "n.log", post=post, backoff=0.01)
    sender.notify(FINISHED)
    summary = sender.flush(timeout=5)
    (failed,) = summary.failed
    assert failed.attempts == 1 and failed.error
    shown = "\n".join(summary.lines()) + repr(summary.to_json()) + (tmp_path / "n.log").read_text()
    for part in ("pa55word", "hooks.example.com", "SECRETXYZ", "tok-123", "/services"):
        assert part not in shown, shown


def test_the_parts_of_the_url_are_masked_too(tmp_path: Path) -> None:
    from tenantwave.privacy.redaction import redact

    url = "https://ops:pa55word-abc@hooks.example.com/services/T9/B9/PARTSECRETPARTSECRET?token=tok-abcdefgh"
    Notifier([Webhook(url_env="HOOK")], {"HOOK": url}, project="fleet")
    assert redact("path /services/T9/B9/PARTSECRETPARTSECRET") == "path [redacted]"
    assert redact("segment PARTSECRETPARTSECRET") == "segment [redacted]"
    assert redact("query token=tok-abcdefgh") == "query [redacted]"
    assert redact("user ops:pa55word-abc") == "user [redacted]"


def test_failures_are_listed_by_webhook_then_time(tmp_path: Path) -> None:
    sender = notifier(tmp_path, {"name": "first", "url_env": "FIRST"}, {"name": "second", "url_env": "SECOND"},
                      env={})
    sender.notify(STARTED)
    sender.notify(FINISHED)
    summary = sender.flush(timeout=1)
    assert [(d.webhook, d.event) for d in summary.failed] == [
        ("first", "run_started"), ("first", "run_finished"), ("second", "run_started"), ("second", "run_finished"),
    ]
    assert [f["webhook"] for f in summary.to_json()["failed"]] == ["first", "first", "second", "second"]
    assert summary.lines()[1:] == [
        "  first: run_started not delivered: FIRST is not set (it holds the webhook's URL): nothing sent",
        "  first: run_finished not delivered: FIRST is not set (it holds the webhook's URL): nothing sent",
        "  second: run_started not delivered: SECOND is not set (it holds the webhook's URL): nothing sent",
        "  second: run_finished not delivered: SECOND is not set (it holds the webhook's URL): nothing sent",
    ]
