"""The engine protocol: the public extension point between the runner and a deployment engine.

An engine deploys one stack at a time on request; the runner decides which, when, and how many
at once. Built-in engines: `pulumi` (Pulumi Automation API, the default) and `mock` (the real
stack program under Pulumi's mocks: nothing is deployed). A custom engine is selected with
`--engine module:factory`, `PLATFORM_ENGINE` or `engine:` in platform.yaml; `factory` is called
once with an `EngineContext` and returns an object that satisfies `Engine`.

Threading contract:
- `prepare` is called once per run, on the main thread, before any operation: per-run work only
  (for Pulumi: list the existing stacks once and install provider plugins once). Per-stack work
  (creating, configuring) belongs in the operations, which run in parallel.
- `up`/`preview`/`destroy`/`refresh`/`preview_refresh` are called from worker threads, several at
  once, each for a different stack. They return a `Result`; they raise only for bugs (the runner
  records any exception as a failure of that stack).
- `progress` may be called from any thread; it is thread-safe and never raises.
- `cancel.is_set()` turns true when the operator cancels (Ctrl-C, SIGTERM): stop the operation
  cleanly and return a Result with status "cancelled". `cancel.hard` turns true on a second
  Ctrl-C: stop at once.
- Each job has its own `log_path`: write the stack's full engine output there.
- Never write secrets (stack secrets, PULUMI_CONFIG_PASSPHRASE) to logs or results. A job's
  secrets are registered with the process-wide redactor (`tenantwave.privacy.redaction`) when
  the job is made, so whatever repeats them (a log line, an error) is masked on its way out;
  write logs through it too (`redact`, or `tenantwave.privacy.files.append_text`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from tenantwave.engine.changes import ResourceChange
from tenantwave.engine.drift import DriftedResource
from tenantwave.planning.inventory import Stack
from tenantwave.privacy.redaction import register

Operation = Literal["up", "preview", "destroy", "refresh", "preview-refresh"]
Status = Literal["succeeded", "failed", "cancelled"]


@dataclass(frozen=True)
class StackJob:
    """One operation on one stack, with everything the engine needs to know."""

    stack: Stack
    release: str
    config: Mapping[str, str]  # "namespace:key" -> value, set on the stack before the operation
    log_path: Path
    secrets: Mapping[str, str] = field(default_factory=dict)  # set as Pulumi secrets, never logged
    retain_data: bool = True  # destroy keeps data-bearing resources unless told otherwise

    def __post_init__(self) -> None:
        register(self.secrets.values())  # masked in every output from now on

    @property
    def name(self) -> str:
        return self.stack.name


@dataclass(frozen=True)
class Progress:
    """Resource-level progress of one stack's operation."""

    stack: str
    done: int
    total: int | None
    message: str | None = None


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class Result:
    status: Status
    changes: Mapping[str, int] = field(default_factory=dict)  # e.g. {"create": 3, "same": 12}
    outputs: Mapping[str, Any] = field(default_factory=dict)
    resources: int | None = None  # resources in the stack after the operation
    error: str | None = None  # one or two lines an operator can act on; the full story is in the log
    # each resource deleted or replaced (type, name): the console calls out data-bearing ones
    resource_changes: tuple[ResourceChange, ...] = ()
    # preview_refresh: each resource whose live state differs from the stack's (engine.drift)
    drifted: tuple[DriftedResource, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"


class CancelToken:
    """Set once to ask for a clean stop, twice (`hard`) to stop at once."""

    def __init__(self) -> None:
        self._soft = threading.Event()
        self._hard = threading.Event()

    def cancel(self) -> None:
        if self._soft.is_set():
            self._hard.set()
        self._soft.set()

    def is_set(self) -> bool:
        return self._soft.is_set()

    @property
    def hard(self) -> bool:
        return self._hard.is_set()

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds; True as soon as cancellation was asked for."""
        return self._soft.wait(timeout)


@dataclass(frozen=True)
class EngineContext:
    """What an engine factory is given."""

    project_root: Path
    state_dir: Path  # .platform/ inside the project: where an engine may keep its files
    backend_url: str | None  # Pulumi backend; None: the user's login, else a file backend in state_dir
    log_dir: Path  # .platform/logs/<run>/
    environ: Mapping[str, str]  # the environment to pass on (secrets stay in it, never on a command line)


@runtime_checkable
class Engine(Protocol):
    name: str
    simulated: bool  # True: nothing real is deployed (the mock engine); recorded in the ledger

    def prepare(self, jobs: Sequence[StackJob]) -> None: ...

    def up(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result: ...

    def preview(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result: ...

    def destroy(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result: ...

    def refresh(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result: ...

    def preview_refresh(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        """`pulumi refresh --preview-only`: read the stack's resources from the cloud and report what
        differs from its state (`changes` by refresh step: same/update/delete; `drifted`), changing
        nothing. `platform drift` needs it; an engine without it cannot check drift (only that)."""
        ...

    def outputs(self, job: StackJob) -> Mapping[str, Any]: ...

    def close(self) -> None: ...


EngineFactory = Callable[[EngineContext], Engine]
