"""Engine events to resource-level progress, and each stack's log, for the `pulumi` engine.

The Automation API calls `on_event` from its own thread (a file-tailing thread for CLIs up to
3.205, a gRPC server thread pool after: `Stack._setup_event_log` in `pulumi/automation/_stack.py`),
and an exception raised inside the callback ends that thread silently (`_watch_logs`) or is
swallowed as a warning (`_EventsServicer`): events stop for the rest of the operation. So the
callback only puts the event on a queue; `EventPump`'s own thread turns events into `Progress`
and keeps what the result needs (error diagnostics, the summary).

Pulumi announces no resource count before an update: `total` is the number of resources the
engine has started (`resourcePreEvent`), grows while the program registers more, and becomes the
summary's count at the end; `done` counts finished resources (`resOutputsEvent`, and failed ones).
The pump also keeps what the operation's result needs, so that no CLI call has to ask again: the
summary's resource changes and the stack outputs (the root stack's last `resOutputsEvent`).
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from tenantwave.engine.base import Progress, ProgressCallback
from tenantwave.engine.changes import ResourceChange
from tenantwave.engine.drift import DRIFT_OPS, MAX_RESOURCES, DriftedResource, changed_properties
from tenantwave.privacy.files import open_private, private_dirs
from tenantwave.privacy.redaction import REDACTED as REDACTED  # re-exported: its old home
from tenantwave.privacy.redaction import Redactor as Redactor  # re-exported: its old home

ROOT_TYPE = "pulumi:pulumi:Stack"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|<\{%[a-z]+%\}>")  # terminal colours and Pulumi's colour tags


def plain(text: str) -> str:
    return _ANSI.sub("", text)


class StackLog:
    """One stack's log file (private: 0600 in a 0700 directory): a header, then the CLI's output
    line by line, redacted, thread-safe."""

    def __init__(self, path: Path, redact: Redactor) -> None:
        private_dirs(path.parent)
        self.path = path
        self._redact = redact
        self._lock = threading.Lock()
        self._stream: IO[str] = open_private(path, "a")

    def line(self, text: str = "") -> None:
        clean = self._redact(plain(text))
        with self._lock:
            if self._stream.closed:
                return
            self._stream.write(clean + "\n")
            self._stream.flush()

    def stdout(self, text: str) -> None:
        self.line(text)

    def stderr(self, text: str) -> None:
        self.line(f"stderr: {text}")

    def header(self, fields: Mapping[str, str]) -> None:
        for key, value in fields.items():
            self.line(f"{key}: {value}")
        self.line(f"started: {datetime.now(UTC).isoformat(timespec='seconds')}")
        self.line()

    def close(self) -> None:
        with self._lock:
            self._stream.close()

    def __enter__(self) -> StackLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventPump:
    """Engine events -> Progress, on a thread of its own (the callback only enqueues)."""

    def __init__(self, stack: str, progress: ProgressCallback, log: StackLog | None = None) -> None:
        self.stack = stack
        self._progress = progress
        self._log = log
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._consume, name=f"pulumi-events:{stack}", daemon=True)
        self.started = 0
        self.done = 0
        self.total: int | None = None
        self.errors: list[str] = []
        self.changes: dict[str, int] | None = None
        self.outputs: dict[str, Any] | None = None  # the root stack's outputs, secrets still blinded
        self.removed: list[ResourceChange] = []  # each resource the operation deletes or replaces
        self.drifted: list[DriftedResource] = []  # refresh steps whose result is update/delete (drift)
        self.events = 0

    # The callback handed to the Automation API: cannot raise.
    def on_event(self, event: Any) -> None:
        self._queue.put(event)

    def __enter__(self) -> EventPump:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self, timeout: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _consume(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            try:
                self._handle(event)
            except Exception as exc:  # a malformed event must not stop progress for the others
                if self._log is not None:
                    self._log.line(f"(tenantwave: an engine event could not be read: {exc!r})")

    def _handle(self, event: Any) -> None:
        self.events += 1
        if event.prelude_event is not None:
            self._emit("starting")
        elif event.resource_pre_event is not None:
            self.started += 1
            self.total = max(self.total or 0, self.started)
            self._note_removal(event.resource_pre_event.metadata)
            self._emit(None)
        elif event.res_outputs_event is not None:
            self.done = min(self.done + 1, self.total) if self.total is not None else self.done + 1
            self._emit(None)
            self._keep_stack_outputs(event.res_outputs_event)
            self._note_drift(event.res_outputs_event.metadata)
        elif event.res_op_failed_event is not None:
            self.done += 1
            self._emit(f"failed: {_resource(event.res_op_failed_event.metadata)}")
        elif event.diagnostic_event is not None and event.diagnostic_event.severity == "error":
            message = " ".join(plain(event.diagnostic_event.message).split())
            if message:
                self.errors.append(message)
                self._emit(message)
        elif event.summary_event is not None:
            self.changes = dict(event.summary_event.resource_changes or {})
            count = sum(self.changes.values())
            self.total = count
            self.done = count
            self._emit(None)

    def _keep_stack_outputs(self, outputs_event: Any) -> None:
        """The root stack's resource (no parent) carries the stack outputs; the last event wins."""
        metadata = getattr(outputs_event, "metadata", None)
        new = getattr(metadata, "new", None)
        if getattr(outputs_event, "planning", False) or getattr(metadata, "type", None) != ROOT_TYPE:
            return
        if new is not None and not getattr(new, "parent", None):
            self.outputs = dict(getattr(new, "outputs", None) or {})

    def _note_removal(self, metadata: Any) -> None:
        op = _op(metadata)
        kind = {"delete": "delete", "replace": "replace"}.get(op)
        if kind is not None and getattr(metadata, "type", "") != ROOT_TYPE:
            urn = getattr(metadata, "urn", "") or ""
            name = urn.rsplit("::", 1)[-1] if urn else "?"
            self.removed.append(ResourceChange(kind, str(getattr(metadata, "type", "") or ""), name))

    def _note_drift(self, metadata: Any) -> None:
        """A refresh step's outputs event carries its result op (same/update/delete, the engine's
        `RefreshStep.ResultOp`) and the provider's diff (`diffs`, `detailedDiff`)."""
        op = _op(metadata)
        if op not in DRIFT_OPS or getattr(metadata, "type", "") == ROOT_TYPE or len(self.drifted) >= MAX_RESOURCES:
            return
        old, new = getattr(metadata, "old", None), getattr(metadata, "new", None)
        properties = () if op == "delete" else changed_properties(
            getattr(metadata, "diffs", None), getattr(metadata, "detailed_diff", None),
            getattr(old, "outputs", None), getattr(new, "outputs", None),
        )
        urn = getattr(metadata, "urn", "") or ""
        name = urn.rsplit("::", 1)[-1] if urn else "?"
        self.drifted.append(DriftedResource(op, str(getattr(metadata, "type", "") or ""), name, properties))

    def _emit(self, message: str | None) -> None:
        try:
            self._progress(Progress(self.stack, self.done, self.total, message))
        except Exception as exc:  # the contract says progress never raises; do not trust it blindly
            if self._log is not None:
                self._log.line(f"(tenantwave: progress callback failed: {exc!r})")


def _op(metadata: Any) -> str:
    return str(getattr(getattr(metadata, "op", None), "value", getattr(metadata, "op", "")) or "")


def _resource(metadata: Any) -> str:
    urn = getattr(metadata, "urn", "") or ""
    kind = getattr(metadata, "type", "") or ""
    name = urn.rsplit("::", 1)[-1] if urn else "?"
    return f"{kind} {name}".strip()
