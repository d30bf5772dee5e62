"""Sending notifications to webhooks without ever holding a deployment up (docs/notifications.md).

`Notifier.notify` only queues: each webhook has its own queue and background thread, so a slow or
dead webhook delays neither the run nor the other webhooks. An attempt is one HTTP POST with the
webhook's `timeout_seconds`; a connection error, a timeout, HTTP 408, 429 or 5xx is retried up to
`retries` times (after BACKOFF, 2*BACKOFF, ... seconds); any other answer is final. Redirects are
not followed (a POST must not turn into a GET somewhere else).

`Notifier.flush(timeout)`, at the end of the command, waits at most `timeout` seconds for the
queues to empty, then stops them: what was not delivered by then is reported as such. Nothing here
raises to its caller; every failure (a variable that is not set, a refused connection, HTTP 500
after the retries, still queued at the deadline) is a `Delivery` in the summary and a line in the
notifications log (private, redacted). The URL, and its path, query and user info, are registered
with the redactor the moment it is read; a URL that is not a valid http(s) URL (no host, another
scheme, whitespace or control characters, a bad port) is not tried, and no failure's reason is made
from an exception's text that could carry the URL: it never appears in output, logs or bodies.

Only the commands that deploy import this module (never the planning path).
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tenantwave.config.notify import Webhook
from tenantwave.privacy import files
from tenantwave.privacy.redaction import redact, register
from tenantwave.rollout.notifications import Notification, body, cap

FLUSH_SECONDS = 10.0  # the longest the end of a command waits for notifications still on their way
BACKOFF = 0.5  # seconds before the first retry; doubled before each next one
RETRY_STATUSES = frozenset({408, 429})
USER_AGENT = "tenantwave-notify/1"
MIN_PART = 8  # characters of a part of the URL (path, query, user info) masked on its own
MIN_SEGMENT = 16  # characters of one segment of its path masked on its own (a token, not a word)

# POST `data` to `url` within `timeout` seconds: the HTTP status (raises OSError when no answer came)
Post = Callable[[str, bytes, float], int]


@dataclass(frozen=True)
class Delivery:
    """What became of one notification at one webhook."""

    webhook: str
    event: str
    delivered: bool
    attempts: int
    error: str | None = None

    def describe(self) -> str:
        tries = f" ({self.attempts} attempt{'s' if self.attempts != 1 else ''})" if self.attempts else ""
        return f"{self.webhook}: {self.event} not delivered: {self.error}{tries}"


@dataclass(frozen=True)
class NotifySummary:
    deliveries: tuple[Delivery, ...]

    @property
    def failed(self) -> tuple[Delivery, ...]:
        return tuple(d for d in self.deliveries if not d.delivered)

    @property
    def sent(self) -> int:
        return sum(1 for d in self.deliveries if d.delivered)

    def lines(self) -> list[str]:
        """One line of counts, then one per notification not delivered."""
        failed = self.failed
        head = f"notifications: {self.sent} sent" + (f", {len(failed)} not delivered" if failed else "")
        return [head, *(f"  {d.describe()}" for d in failed)]

    def to_json(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "failed": [{"webhook": d.webhook, "event": d.event, "attempts": d.attempts, "error": d.error}
                       for d in self.failed],
        }


def http_post(url: str, data: bytes, timeout: float) -> int:
    """One POST of a JSON body; the status of the answer, whatever it is (redirects not followed)."""
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json", "User-Agent": USER_AGENT}
    )
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            answer.read(1024)
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        with contextlib.suppress(OSError):
            exc.read(1024)
        exc.close()
        return int(exc.code)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx comes back as an HTTPError: final, reported with its status


_OPENER = urllib.request.build_opener(_NoRedirect)


class Notifier:
    """The webhooks of platform.yaml `notify`, each with its queue and (once used) its thread."""

    def __init__(
        self,
        hooks: Sequence[Webhook],
        environ: Mapping[str, str],
        *,
        project: str,
        log_path: Path | None = None,
        post: Post = http_post,
        backoff: float = BACKOFF,
    ) -> None:
        self.project = project
        self._log_path = log_path
        self._lock = threading.Condition()  # over an RLock: `_record` also runs under it
        self._pending = 0
        self._deliveries: list[Delivery] = []
        self._stop = threading.Event()
        self._channels = [_Channel(self, hook, environ.get(hook.url_env, ""), post, backoff) for hook in hooks]

    def wants(self, event: str) -> bool:
        """Whether some webhook wants `event` (an event nobody wants need not even be built)."""
        return any(channel.hook.wants(event) for channel in self._channels)

    def problem(self, event: str, why: str) -> None:
        """`event` could not be sent to any webhook that wants it, for this reason."""
        self._record([channel.failed(event, why) for channel in self._channels if channel.hook.wants(event)])

    def notify(self, notification: Notification | None) -> None:
        """Queue `notification` for every webhook that wants its event; never blocks, never raises."""
        if notification is None:
            return
        for channel in self._channels:
            if not channel.hook.wants(notification.event):
                continue
            try:
                channel.put(notification)
            except Exception as exc:  # a bug here must not cost a deployment; its text may hold the URL
                self._record([channel.failed(notification.event, f"internal error: {type(exc).__name__}")])

    def flush(self, timeout: float = FLUSH_SECONDS) -> NotifySummary:
        """Wait at most `timeout` seconds for what is queued, stop every queue, and say what became
        of each notification (what is still on its way at the deadline counts as not delivered)."""
        deadline = time.monotonic() + timeout
        late = f"still on its way after waiting {timeout:g} s at the end of the command"
        with self._lock:
            while self._pending and (left := deadline - time.monotonic()) > 0:
                self._lock.wait(left)
            self._stop.set()
            abandoned = [channel.failed(event, late) for channel in self._channels for event in channel.abandon()]
        self._record(abandoned)
        order = {channel.hook.label: index for index, channel in enumerate(self._channels)}
        with self._lock:  # by webhook (as platform.yaml lists them), then in the order they happened
            return NotifySummary(tuple(sorted(self._deliveries, key=lambda d: order.get(d.webhook, len(order)))))

    # -- for the channels (under the lock: a notification is recorded once, by its thread or by flush) --

    def _record(self, deliveries: list[Delivery]) -> None:
        """Keep and log these (under the lock, a re-entrant one: in the summary once `flush` returns)."""
        with self._lock:
            self._deliveries.extend(deliveries)
            for delivery in deliveries:
                if not delivery.delivered:
                    self._log(delivery)

    def _log(self, delivery: Delivery) -> None:
        if self._log_path is None:
            return
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with contextlib.suppress(OSError):  # a log that cannot be written fails nothing
            files.append_text(self._log_path, f"{stamp} {delivery.describe()}\n")


class _Channel:
    """One webhook: its URL (read once, registered with the redactor), its queue and thread."""

    def __init__(self, owner: Notifier, hook: Webhook, url: str, post: Post, backoff: float) -> None:
        self.owner = owner
        self.hook = hook
        self.url = url.strip()
        register([self.url, *_url_parts(self.url)])
        self.post = post
        self.backoff = backoff
        self.problem = _url_problem(hook.url_env, self.url)
        self.queue: queue.Queue[tuple[str, bytes]] = queue.Queue()  # (event, body)
        self.thread: threading.Thread | None = None
        self.sending: str | None = None  # the event on its way right now (under the owner's lock)

    def failed(self, event: str, why: str, attempts: int = 0) -> Delivery:
        return Delivery(self.hook.label, event, False, attempts, why)

    def put(self, notification: Notification) -> None:
        owner = self.owner
        if self.problem is not None:
            owner._record([self.failed(notification.event, self.problem)])
            return
        data = body(notification, self.hook.format, owner.project)
        with owner._lock:
            if owner._stop.is_set():
                late = self.failed(notification.event, "not sent: the command had already finished notifying")
            else:
                late = None
                owner._pending += 1
                self.queue.put((notification.event, data))
                if self.thread is None:
                    self.thread = threading.Thread(target=self._run, name=f"notify-{self.hook.label}", daemon=True)
                    self.thread.start()
        if late is not None:
            owner._record([late])

    def abandon(self) -> list[str]:
        """The events being sent or still queued (the flush's deadline passed): given up."""
        events = [self.sending] if self.sending is not None else []
        while True:
            try:
                events.append(self.queue.get_nowait()[0])
            except queue.Empty:
                return events

    def _run(self) -> None:
        owner = self.owner
        while True:
            try:
                event, data = self.queue.get(timeout=0.2)
            except queue.Empty:
                if owner._stop.is_set():
                    return
                continue
            with owner._lock:
                if owner._stop.is_set():  # taken just as flush gave up: it is this thread's to record
                    given_up = self.failed(event, "still on its way at the end of the command")
                else:
                    given_up = None
                    self.sending = event
            if given_up is not None:
                owner._record([given_up])
                continue
            try:
                delivery = self._send(event, data)
            except Exception as exc:  # never let a bug end the thread silently (its text may hold the URL)
                delivery = self.failed(event, f"internal error: {type(exc).__name__}")
            with owner._lock:
                self.sending = None
                owner._pending -= 1
                if not owner._stop.is_set():  # else flush recorded it as still on its way
                    owner._record([delivery])
                owner._lock.notify_all()

    def _send(self, event: str, data: bytes) -> Delivery:
        attempts = 0
        error = "not sent"
        while attempts <= self.hook.retries:
            if attempts and self.owner._stop.wait(self.backoff * 2 ** (attempts - 1)):
                break  # the command finished notifying meanwhile: no more tries
            attempts += 1
            why, retry = self._attempt(data)
            if why is None:
                return Delivery(self.hook.label, event, True, attempts)
            error = why
            if not retry:
                break
        return self.failed(event, error, attempts)

    def _attempt(self, data: bytes) -> tuple[str | None, bool]:
        """(None, _) when delivered, else (why, whether another try may do better)."""
        try:
            status = self.post(self.url, data, self.hook.timeout_seconds)
        except urllib.error.URLError as exc:
            return _network_error(exc.reason, self.hook.timeout_seconds), True
        except OSError as exc:  # TimeoutError, ConnectionRefusedError, ...
            return _network_error(exc, self.hook.timeout_seconds), True
        except Exception as exc:  # ValueError, http.client.InvalidURL, ...: their text may quote the URL
            return f"cannot send: {type(exc).__name__}", False
        if 200 <= status < 300:
            return None, False
        return f"HTTP {status}", status >= 500 or status in RETRY_STATUSES


def _url_problem(variable: str, url: str) -> str | None:
    """Why `url` (stripped) cannot be posted to, never quoting any part of it; None when it can."""
    if not url:
        return f"{variable} is not set (it holds the webhook's URL): nothing sent"
    if not _valid_url(url):
        return f"{variable} is not a valid http(s) URL: nothing sent"
    return None


def _valid_url(url: str) -> bool:
    """http or https, a host, a valid port if any; no whitespace or control character anywhere."""
    if any(char.isspace() or ord(char) < 32 or 127 <= ord(char) < 160 for char in url):
        return False
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _url_parts(url: str) -> list[str]:
    """The parts of `url` that may show up on their own in an error (path, query, user info, a long
    path segment), to be masked like the URL itself."""
    try:
        parts = urllib.parse.urlsplit(url)
        found = [parts.path, parts.query, parts.fragment, parts.netloc.rpartition("@")[0],
                 parts.password or "", parts.username or ""]
    except ValueError:
        return []
    found = [part for part in found if len(part) >= MIN_PART]
    found += [segment for segment in parts.path.split("/") if len(segment) >= MIN_SEGMENT]
    return found + [urllib.parse.unquote(part) for part in found]


def _network_error(reason: object, timeout: float) -> str:
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return "the webhook's host name does not resolve"
    text = reason.strerror if isinstance(reason, OSError) and reason.strerror else str(reason)
    return cap(redact(f"cannot connect: {text}"), 200)
