"""A scripted deployment engine for the runner and CLI tests (pytest plugin + engine factory).

Per stack (or per "stack@release"), a `Step` says what happens: succeed, fail, hang until cancelled, or raise; after a
delay (`deaf`: sleeping through a cancellation, like an engine that ignores it), with a number of resources.
`prepare_delay` makes `prepare` take that long. The engine records every call and measures the largest number
of operations in flight at once. It is selected like any custom engine:

- in-process (CliRunner): the `test_engine` fixture installs an engine that `create` returns;
  pass `--engine support.testengine:create`;
- in a subprocess: set TENANTWAVE_TEST_SCRIPT to a JSON file `{"default": {...}, "stacks": {...}}`
  and TENANTWAVE_TEST_CALLS to a file where each call is appended as one JSON line.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest

from tenantwave.engine.base import CancelToken, EngineContext, Progress, ProgressCallback, Result, StackJob
from tenantwave.engine.changes import ResourceChange
from tenantwave.engine.drift import DriftedResource

SPEC = "support.testengine:create"


@dataclass(frozen=True)
class Step:
    outcome: Literal["succeeded", "failed", "hang", "raise"] = "succeeded"
    delay: float = 0.0
    resources: int = 4
    error: str = "Error: creating DynamoDB Table: AccessDeniedException: not authorized"
    deaf: bool = False  # ignore cancellation: the whole delay passes, then the step's outcome
    changes: dict[str, int] | None = None  # the change counts reported (default: {"create": resources})
    removed: tuple[tuple[str, str, str], ...] = ()  # (op, type, name) of each resource deleted or replaced
    # preview_refresh: (op, type, name, properties) of each drifted resource ("update" or "delete")
    drifted: tuple[tuple[str, str, str, tuple[str, ...]], ...] = ()


@dataclass
class Call:
    operation: str
    stack: str
    release: str
    config: dict[str, str]
    started: float
    ended: float = 0.0
    status: str = ""


@dataclass
class ScriptedEngine:
    steps: dict[str, Step] = field(default_factory=dict)
    default: Step = field(default_factory=Step)
    name: str = "test"
    simulated: bool = False
    calls_file: Path | None = None
    calls: list[Call] = field(default_factory=list)
    prepared: list[list[str]] = field(default_factory=list)
    max_in_flight: int = 0
    closed: bool = False
    stack_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # scripted outputs per stack
    prepare_delay: float = 0.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight = 0

    # -- the engine protocol -------------------------------------------------------------------

    def prepare(self, jobs: Sequence[StackJob]) -> None:
        self.prepared.append([job.name for job in jobs])
        if self.prepare_delay:
            time.sleep(self.prepare_delay)

    def up(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        return self._operate("up", job, progress, cancel)

    def preview(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        return self._operate("preview", job, progress, cancel)

    def destroy(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        return self._operate("destroy", job, progress, cancel)

    def refresh(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        return self._operate("refresh", job, progress, cancel)

    def preview_refresh(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        return self._operate("preview_refresh", job, progress, cancel)

    def outputs(self, job: StackJob) -> Mapping[str, Any]:
        if job.name in self.stack_outputs:
            return dict(self.stack_outputs[job.name])
        return {"endpoint": f"http://{job.name}.example.test"}

    def close(self) -> None:
        self.closed = True

    # -- helpers for tests ----------------------------------------------------------------------

    def operations(self, operation: str = "up") -> list[str]:
        return [call.stack for call in self.calls if call.operation == operation]

    def cancel_when_in_flight(self, count: int, cancel: CancelToken, timeout: float = 30.0) -> threading.Thread:
        """Cancel `cancel` as soon as `count` operations run at once (not after a fixed delay, which a loaded
        machine can outrun before any stack started), or after `timeout` seconds so that a run that never
        gets there fails on the test's assertions instead of hanging."""

        def watch() -> None:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                with self._lock:
                    if self._in_flight >= count:
                        break
                time.sleep(0.01)
            cancel.cancel()

        watcher = threading.Thread(target=watch, name="cancel-when-in-flight", daemon=True)
        watcher.start()
        return watcher

    def _operate(self, operation: str, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        step = self.steps.get(f"{job.name}@{job.release}") or self.steps.get(job.name, self.default)
        call = Call(operation, job.name, job.release, dict(job.config), time.monotonic())
        with self._lock:
            self.calls.append(call)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            result = self._play(step, job, progress, cancel)
            if operation == "preview_refresh" and result.ok:
                result = _drift_result(step)
        finally:
            with self._lock:
                self._in_flight -= 1
        call.ended, call.status = time.monotonic(), result.status
        self._append_call(call)
        return result

    def _play(self, step: Step, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        job.log_path.parent.mkdir(parents=True, exist_ok=True)
        with job.log_path.open("a", encoding="utf-8") as log:
            log.write(f"test engine: {job.name} {job.release}\n")
        if step.outcome == "raise":
            raise RuntimeError("the test engine was told to raise")
        progress(Progress(job.name, 0, step.resources))
        if step.deaf:
            time.sleep(step.delay)
            waited = False
        else:
            waited = cancel.wait(step.delay) if step.delay else cancel.is_set()
        if step.outcome == "hang":
            while not cancel.wait(0.05):
                pass
            waited = True
        if waited:
            return Result("cancelled", error="cancelled by the operator")
        progress(Progress(job.name, step.resources, step.resources))
        if step.outcome == "failed":
            return Result("failed", error=step.error)
        removed = tuple(ResourceChange(op, kind, name) for op, kind, name in step.removed)
        changes = step.changes if step.changes is not None else {"create": step.resources}
        return Result("succeeded", changes=changes, resources=step.resources, resource_changes=removed)

    def _append_call(self, call: Call) -> None:
        if self.calls_file is not None:
            with self.calls_file.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps({**asdict(call), "pid": os.getpid()}) + "\n")


def _drift_result(step: Step) -> Result:
    """What a refresh preview reports for `step`: its drifted resources, the rest unchanged."""
    drifted = tuple(DriftedResource(op, kind, name, tuple(props)) for op, kind, name, props in step.drifted)
    changes = {"same": step.resources - len(drifted)}
    for resource in drifted:
        changes[resource.op] = changes.get(resource.op, 0) + 1
    return Result("succeeded", changes=changes, resources=step.resources, drifted=drifted)


_installed: ScriptedEngine | None = None


def create(context: EngineContext) -> ScriptedEngine:
    """Engine factory: the engine a test installed, or one scripted from TENANTWAVE_TEST_SCRIPT."""
    if _installed is not None:
        return _installed
    script_path = os.environ.get("TENANTWAVE_TEST_SCRIPT")
    script: dict[str, Any] = json.loads(Path(script_path).read_text()) if script_path else {}
    calls = os.environ.get("TENANTWAVE_TEST_CALLS")
    return ScriptedEngine(
        steps={name: Step(**step) for name, step in script.get("stacks", {}).items()},
        default=Step(**script.get("default", {})),
        calls_file=Path(calls) if calls else None,
        prepare_delay=float(script.get("prepare_delay", 0.0)),
    )


@pytest.fixture
def test_engine() -> Any:
    """Install a ScriptedEngine for `--engine support.testengine:create`; returns it for scripting."""
    global _installed
    engine = ScriptedEngine()
    _installed = engine
    yield engine
    _installed = None
