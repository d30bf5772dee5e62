"""The `mock` engine: the real stack program under Pulumi's mocks. Nothing is deployed.

Every operation runs `stacks/` in-process for the job's stack config (`tenantwave.engine.simulate`), so
a wrong tier parameter or a program bug fails here exactly as it would in a real `up`. It needs no
cloud account and no Pulumi CLI: the README demo, offline previews and CI dry runs use it.

What it keeps: the last declared graph and outputs of each stack, in
`<state_dir>/simulated/<stack>.json` (apart from anything real), so a second `up` reports what
would change (`same`/`update`/`create`/`delete`) like Pulumi does, and `outputs` returns the last
ones. Each job's log gets one line per resource, the outputs, a summary and the plain statement
"simulated: nothing was deployed".

Drift is simulated from a scenario file (`PLATFORM_MOCK_DRIFT`, default `.platform/mock-drift.json`):
`{"<stack name or *>": {"<resource name or type token>": ["<property>", ...] or "deleted"}}`. A
`preview_refresh` reports the stack's simulated resources that the file names as drifted, and
nothing else; without the file nothing ever drifts (`engine.mockdrift`).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tenantwave.engine.base import (
    CancelToken,
    EngineContext,
    Operation,
    Progress,
    ProgressCallback,
    Result,
    StackJob,
)
from tenantwave.engine.changes import ResourceChange
from tenantwave.engine.drift import bounded
from tenantwave.engine.mockdrift import DriftScenario, ScenarioError
from tenantwave.engine.simulate import (
    DeclaredResource,
    ResourceGraph,
    SimulationError,
    declared_resources,
    diff_graphs,
    load_program,
)
from tenantwave.privacy.files import open_private, private_dirs, write_text
from tenantwave.privacy.redaction import redact

NOTHING_DEPLOYED = "simulated: nothing was deployed"
STATE_SUBDIR = "simulated"
RETAIN_KEY = "tenantwave:retain_data"
_SYMBOL = {"create": "+", "update": "~", "same": " ", "delete": "-"}
_PAST = {"create": "created", "update": "updated", "same": "unchanged", "delete": "deleted"}
_PLANNED = {"create": "to create", "update": "to update", "same": "unchanged", "delete": "to delete"}


@dataclass(frozen=True)
class _Step:
    action: str  # create | update | same | delete
    resource: DeclaredResource


def _plan(previous: ResourceGraph | None, graph: ResourceGraph) -> list[_Step]:
    before = previous.by_urn() if previous is not None else {}
    steps: list[_Step] = []
    for resource in graph.resources:
        old = before.get(resource.urn)
        if old is None:
            action = "create"
        elif old.fingerprint() == resource.fingerprint():
            action = "same"
        else:
            action = "update"
        steps.append(_Step(action, resource))
    current = graph.by_urn()
    steps.extend(_Step("delete", old) for urn, old in before.items() if urn not in current)
    return steps


class _Log:
    """The job's log file: a human account of the simulated operation."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def line(self, text: str = "") -> None:
        self._stream.write(redact(text) + "\n")
        self._stream.flush()

    def resource(self, action: str, resource: DeclaredResource, done: bool) -> None:
        status = _PAST[action] if done else _PLANNED[action]
        retained = " (retained on delete)" if resource.retain_on_delete and action == "delete" else ""
        self.line(f" {_SYMBOL[action]}  {resource.type:<52} {resource.name:<28} {status}{retained}")

    def outputs(self, outputs: Mapping[str, Any]) -> None:
        if not outputs:
            return
        self.line("Outputs:")
        width = max(len(name) for name in outputs)
        for name, value in sorted(outputs.items()):
            self.line(f"    {name:<{width}}: {json.dumps(value, sort_keys=True)}")
        self.line()

    def summary(self, changes: Mapping[str, int], done: bool, elapsed: float) -> None:
        self.line("Resources:")
        for action in ("create", "update", "delete", "same"):
            if changes.get(action):
                words = _PAST[action] if done else _PLANNED[action]
                self.line(f"    {_SYMBOL[action].strip() or '='} {changes[action]} {words}")
        if not any(changes.values()):
            self.line("    no resources")
        self.line()
        self.line(f"Duration: {elapsed:.2f}s")
        self.line(NOTHING_DEPLOYED)


class MockEngine:
    name = "mock"
    simulated = True

    def __init__(self, context: EngineContext) -> None:
        self.context = context
        self.state_dir = context.state_dir / STATE_SUBDIR

    # -- the engine protocol -------------------------------------------------------------------

    def prepare(self, jobs: Sequence[StackJob]) -> None:
        """Import the program and the providers' SDKs once, before workers start (slow the first time)."""
        if not jobs:
            return
        with contextlib.suppress(Exception):  # a broken program fails each stack's operation, plainly
            load_program(self.context.project_root)

    def up(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        return self._run("up", job, progress, cancel)

    def preview(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        return self._run("preview", job, progress, cancel)

    def destroy(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        with self._open_log(job) as stream:
            log = _Log(stream)
            self._header(log, "destroy", job)
            if cancel.is_set():
                return self._cancelled(log)
            previous = self._load(job.name)
            resources = previous.resources if previous is not None else ()
            total = len(resources)
            progress(Progress(job.name, 0, total, "destroying (simulated)"))
            for done, resource in enumerate(reversed(resources), start=1):
                if cancel.is_set():
                    return self._cancelled(log)
                log.line(self._destroy_line(resource, job.retain_data))
                progress(Progress(job.name, done, total))
            retained = sum(1 for r in resources if r.retain_on_delete and job.retain_data)
            if retained:
                log.line(f"\n{retained} data-bearing resource(s) left in place (retain_data); their data is kept")
            log.line()
            changes = {"delete": total} if total else {}
            log.summary(changes, done=True, elapsed=0.0)
            self._forget(job.name)
            deleted = tuple(
                ResourceChange("delete", r.type, r.name, retained=r.retain_on_delete and job.retain_data)
                for r in resources
            )
            return Result("succeeded", changes=changes, outputs={}, resources=0, resource_changes=deleted)

    def refresh(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        previous = self._load(job.name)
        count = len(previous.resources) if previous is not None else 0
        with self._open_log(job) as stream:
            log = _Log(stream)
            self._header(log, "refresh", job)
            if cancel.is_set():
                return self._cancelled(log)
            progress(Progress(job.name, count, count))
            log.line("nothing to refresh: simulated resources never drift")
            log.line(NOTHING_DEPLOYED)
        return Result(
            "succeeded",
            changes={"same": count} if count else {},
            outputs=dict(previous.outputs) if previous is not None else {},
            resources=count,
        )

    def preview_refresh(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        """The stack's simulated resources against the drift scenario file; changes nothing."""
        previous = self._load(job.name)
        resources = previous.resources if previous is not None else ()
        with self._open_log(job) as stream:
            log = _Log(stream)
            self._header(log, "refresh --preview-only", job)
            if cancel.is_set():
                return self._cancelled(log)
            try:
                scenario = DriftScenario.load(self.context.project_root, self.context.environ)
            except ScenarioError as exc:
                log.line(f"error: {exc}")
                return Result("failed", error=str(exc))
            for name in scenario.unknown(job.name, [(r.type, r.name) for r in resources]):
                warning = (f"warning: the drift scenario names {name} for {job.name}, "
                           "which has no such resource (ignored)")
                log.line(warning)
                progress(Progress(job.name, 0, len(resources), message=warning))
            changes: dict[str, int] = {}
            for done, resource in enumerate(resources, start=1):
                found = scenario.drift_of(job.name, resource.type, resource.name)
                op = "same" if found is None else found.op
                changes[op] = changes.get(op, 0) + 1
                note = "" if found is None else f"  {found.describe()}"
                log.line(f" {_SYMBOL[op]}  {resource.type:<52} {resource.name:<28} {op}{note}")
                progress(Progress(job.name, done, len(resources)))
            drifted = tuple(d for r in resources if (d := scenario.drift_of(job.name, r.type, r.name)) is not None)
            log.line()
            log.line(f"drift (simulated from {scenario.source}): {len(drifted)} resource(s)")
            log.line(NOTHING_DEPLOYED)
        return Result("succeeded", changes=changes, resources=len(resources), drifted=bounded(drifted))

    def outputs(self, job: StackJob) -> Mapping[str, Any]:
        previous = self._load(job.name)
        return dict(previous.outputs) if previous is not None else {}

    def close(self) -> None:
        return None

    # -- up and preview --------------------------------------------------------------------------

    def _run(self, operation: Operation, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        started = time.monotonic()
        with self._open_log(job) as stream:
            log = _Log(stream)
            self._header(log, operation, job)
            if cancel.is_set():
                return self._cancelled(log)
            progress(Progress(job.name, 0, None, "running the program under mocks"))
            try:
                graph = declared_resources(self.context.project_root, self._config(job), job.secrets.keys())
            except SimulationError as exc:
                log.line(f"error: the stack program failed: {exc}")
                log.line(NOTHING_DEPLOYED)
                return Result("failed", error=f"stack program failed (simulated): {exc}")
            if cancel.is_set():
                return self._cancelled(log)
            previous = self._load(job.name)
            steps = _plan(previous, graph)
            done = operation == "up"
            log.line(f" {'':2} {'Type':<52} {'Name':<28} {'Status' if done else 'Plan'}")
            for count, step in enumerate(steps, start=1):
                if cancel.is_set():
                    return self._cancelled(log)
                log.resource(step.action, step.resource, done)
                progress(Progress(job.name, count, len(steps)))
            log.line()
            log.outputs(graph.outputs)
            changes = diff_graphs(previous, graph)
            log.summary(changes, done, time.monotonic() - started)
            if done:
                self._save(job, graph)
            deleted = tuple(
                ResourceChange("delete", r.type, r.name, retained=r.retain_on_delete)
                for r in (step.resource for step in steps if step.action == "delete")
            )
            return Result(
                "succeeded",
                changes=changes,
                outputs=dict(graph.outputs),
                resources=len(graph.resources),
                resource_changes=deleted,
            )

    def _config(self, job: StackJob) -> dict[str, str]:
        config = dict(job.config)
        config.setdefault(RETAIN_KEY, "true" if job.retain_data else "false")
        config.update(job.secrets)  # declared secret: masked in the graph, never logged
        return config

    # -- logs ------------------------------------------------------------------------------------

    def _open_log(self, job: StackJob) -> IO[str]:
        private_dirs(job.log_path.parent)
        return open_private(job.log_path, "a")

    @staticmethod
    def _header(log: _Log, operation: str, job: StackJob) -> None:
        log.line(f"{operation} {job.name} (release {job.release}) with the mock engine")
        log.line("simulated: the stack program runs under Pulumi's mocks; no cloud, no Pulumi CLI")
        log.line()

    @staticmethod
    def _cancelled(log: _Log) -> Result:
        log.line("cancelled")
        log.line(NOTHING_DEPLOYED)
        return Result("cancelled", error="cancelled")

    @staticmethod
    def _destroy_line(resource: DeclaredResource, retain_data: bool) -> str:
        kept = resource.retain_on_delete and retain_data
        status = "deleted from the stack, kept in the cloud (retained)" if kept else "deleted"
        return f" -  {resource.type:<52} {resource.name:<28} {status}"

    # -- simulated state -------------------------------------------------------------------------

    def _state_path(self, stack: str) -> Path:
        return self.state_dir / f"{stack}.json"

    def _load(self, stack: str) -> ResourceGraph | None:
        path = self._state_path(stack)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None  # unreadable: treat the stack as new (the next up rewrites it)
        try:
            return ResourceGraph.from_json(data["graph"])
        except (KeyError, TypeError):
            return None

    def _save(self, job: StackJob, graph: ResourceGraph) -> None:
        record = {"stack": job.name, "release": job.release, "updated": time.time(), "graph": graph.to_json()}
        write_text(self._state_path(job.name), json.dumps(record, sort_keys=True), within=self.context.state_dir)

    def _forget(self, stack: str) -> None:
        self._state_path(stack).unlink(missing_ok=True)


def create(context: EngineContext) -> MockEngine:
    return MockEngine(context)
