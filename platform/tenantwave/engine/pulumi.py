"""The `pulumi` engine: the local program of this repo (`Pulumi.yaml`, `stacks/`) through `pulumi.automation`.

How it meets the Automation API's known traps (docs/design.md#automation-api-traps; the source reading is in
`pulumi_command.py`, `pulumi_stacks.py` and `pulumi_events.py`):

- The CLI is found and checked ONCE (`create`): a missing or unusable CLI is one plain line
  (`EngineUnavailable`, exit 2) with how to install it.
- No serial per-stack work. `prepare` (main thread, once per run) lists the stacks that exist with
  ONE `pulumi stack ls --json` and installs the provider plugins once (pulumi/pulumi#22784); each
  stack is opened by the worker that first operates on it, in parallel with the others
  (`stack init --no-select` if new, then its config). Nothing writes the shared "current stack"
  file (pulumi/pulumi#8186) and every CLI call names its stack with `--stack <org>/<project>/<stack>`;
  why this and not one PULUMI_HOME per worker: `pulumi_stacks.py`.
- CLI calls per stack: `config set-all` and `up` for an existing stack, `stack init` first for a new
  one, one `config set` on stdin per secret or config value over 32 KiB. Outputs and changes come
  from the operation's own events (`EventStack.events_only`), not `stack output`/`stack history`.
- A `CommandError` carries only a message: each stack's full CLI output goes to its own log
  (`on_output`/`on_error`), and the Result's error is the first error diagnostic, in one or two lines.
- Event callbacks run off the calling thread: they only enqueue (`EventPump`).
- Backend: `backend_url` if given; else the backend the user is logged into (`PULUMI_BACKEND_URL`
  or `pulumi whoami`); else a file backend inside the project (`.platform/state`), passed as
  `PULUMI_BACKEND_URL` in the workspace environment. Secrets: the stack's secrets provider
  (passphrase by default on a file backend): `PULUMI_CONFIG_PASSPHRASE`/`_FILE` come from the
  environment only, never a command line or a log. Stack secrets are set with `pulumi config set
  --secret` reading the value on stdin, never on a command line (the Automation API's
  `set_config`/`set_all_config` would put them there, and `config set-all` has no stdin form).
- Cancellation: SIGINT to the running `pulumi` child (graceful), a second SIGINT on a hard cancel,
  SIGKILL of its process group if it still runs `HARD_KILL_GRACE` seconds later (`CancelWatcher`).
  Opening a stack (`stack init`, `config set-all`) is never interrupted, so a stack's config file
  is never left half-written; a cancel that lands meanwhile stops the stack before its operation.
- Destroy keeps data unless `retain_data` is false (then an `up` with retain_data=false runs first,
  so the state no longer retains them, and if that `up` or the destroy fails or is cancelled an `up`
  with retain_data=true restores retention at once): `--exclude-protected` (protected resources
  stay), `tenantwave:retain_data=true` for the program (data-bearing resources are
  `retain_on_delete`), never `--remove` (the stack keeps tracking what was kept) and never
  `--ignore-protect`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from pulumi.automation.errors import CommandError

from tenantwave.engine.base import CancelToken, EngineContext, Operation, Progress, ProgressCallback, Result, StackJob
from tenantwave.engine.drift import bounded
from tenantwave.engine.pulumi_backend import display_url, install_plugins, is_diy
from tenantwave.engine.pulumi_command import CancelWatcher, Interrupter, TrackedPulumiCommand, build_command
from tenantwave.engine.pulumi_events import EventPump, Redactor, StackLog, plain
from tenantwave.engine.pulumi_results import (
    changes_of,
    event_outputs,
    failure_error,
    format_changes,
    resource_count,
    summarise,
)
from tenantwave.engine.pulumi_stacks import (
    EventStack,
    StackScopedWorkspace,
    config_key,
    configure,
    existing_stacks,
    open_stack,
)
from tenantwave.errors import EngineUnavailable
from tenantwave.privacy.files import private_dirs
from tenantwave.privacy.redaction import environment_secrets

DIY_ORGANIZATION = "organization"  # the organization part of stack names on file/object-store backends
PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")


def create(context: EngineContext) -> PulumiEngine:
    """The engine factory (`engine: pulumi`): builds the CLI command once; EngineUnavailable without a CLI."""
    return PulumiEngine(context, build_command(context.environ))


class PulumiEngine:
    name = "pulumi"
    simulated = False

    def __init__(self, context: EngineContext, command: TrackedPulumiCommand) -> None:
        self.context = context
        self.command = command
        self._lock = threading.Lock()  # guards the mappings below; never held during a CLI call
        self._setup_lock = threading.Lock()  # one stack listing and one plugin install at a time
        self._identity_lock = threading.Lock()  # one `org get-default` per engine
        self._opened: dict[str, tuple[EventStack, tuple[Any, ...]]] = {}  # stack -> (it, the config it was given)
        self._stack_locks: dict[str, threading.Lock] = {}
        self._existing: set[str] | None = None  # short names `stack ls` listed (and those created since)
        self._plugins_ready = False
        self._organization: str | None = None
        self._project: str | None = None
        env = dict(context.environ)
        self.workspace = StackScopedWorkspace(work_dir=str(context.project_root), pulumi_command=command, env_vars=env)
        self.backend = self._resolve_backend(env)
        self.workspace.env_vars = env
        self._redactor = Redactor(self._redactor_values())

    # -- backend, organization, passphrase ------------------------------------------------------

    def _resolve_backend(self, env: dict[str, str]) -> str:
        if self.context.backend_url:
            env["PULUMI_BACKEND_URL"] = self.context.backend_url
            return self.context.backend_url
        if env.get("PULUMI_BACKEND_URL"):
            return env["PULUMI_BACKEND_URL"]
        try:  # logged in with `pulumi login`? (fails fast in non-interactive mode when not)
            who = self.workspace.who_am_i()
        except CommandError:
            who = None
        if who is not None and who.url:
            return str(who.url)  # the organization is resolved on first use (`pulumi org get-default`)
        state = private_dirs(self.context.state_dir / "state", within=self.context.state_dir)
        url = f"file://{state.resolve()}"
        env["PULUMI_BACKEND_URL"] = url
        return url

    @property
    def diy(self) -> bool:
        return is_diy(self.backend)

    def organization(self) -> str:
        with self._identity_lock:
            if self._organization is None:
                self._organization = DIY_ORGANIZATION if self.diy else self._cloud_organization()
            return self._organization

    def _cloud_organization(self) -> str:
        try:
            default = self.command.run(["org", "get-default"], **self._cli_kwargs()).stdout.strip()
        except CommandError:
            default = ""
        if default:
            return default
        return str(self.workspace.who_am_i().user)

    def fully_qualified(self, stack: str) -> str:
        return f"{self.organization()}/{self.project}/{stack}"

    @property
    def project(self) -> str:
        if self._project is None:
            self._project = str(self.workspace.project_settings().name)
        return self._project

    def passphrase_problem(self) -> str | None:
        if not self.diy or any(var in self.workspace.env_vars for var in PASSPHRASE_VARS):
            return None
        return (
            f"the Pulumi backend {display_url(self.backend)} encrypts stack secrets with a passphrase: "
            "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) in the environment"
        )

    def _cli_kwargs(self) -> dict[str, Any]:
        """What LocalWorkspace._run_pulumi_cmd_sync gives PulumiCommand.run, for our direct calls."""
        env = dict(self.workspace.env_vars)
        if self.workspace.pulumi_home:
            env["PULUMI_HOME"] = self.workspace.pulumi_home
        return {"cwd": self.workspace.work_dir, "additional_env": env}

    # -- prepare: once per run, main thread; nothing per stack --------------------------------------

    def prepare(self, jobs: Sequence[StackJob]) -> None:
        if not jobs:
            return
        problem = self.passphrase_problem()
        if problem is not None:
            raise EngineUnavailable(problem)
        log_path = jobs[0].log_path.parent / "pulumi-prepare.log"
        # Pulumi.yaml's stackConfigDir: the tool writes every stack's config there, not the repo root
        private_dirs(self.context.project_root / ".platform" / "stacks", within=self.context.project_root / ".platform")
        with self._setup_lock, StackLog(log_path, self._redactor) as log:
            log.header({"prepare": f"{len(jobs)} stack(s)", "backend": display_url(self.backend)})
            with self._lock:
                self._opened.clear()  # every run sets each stack's config again
                self._existing = None
            with ThreadPoolExecutor(max_workers=1) as beside:  # `plugin ls` while `stack ls` runs: both only read
                plugins = beside.submit(self._plugin_listing)
                try:
                    existing = self._list_stacks()
                except CommandError as exc:
                    log.line(self._redactor(str(exc)))
                    detail = summarise(self._redactor(plain(str(exc))), [], "listing failed")
                    raise EngineUnavailable(
                        f"could not list the stacks of the Pulumi backend {display_url(self.backend)} ({detail})"
                    ) from None
            new = sum(1 for job in jobs if job.name not in existing)
            log.line(f"stacks: {len(jobs) - new} exist, {new} to create; each is opened by the worker that runs it")
            self._install_plugins(log, plugins.result)

    def _list_stacks(self) -> set[str]:
        """This project's stacks in the backend: one `pulumi stack ls --json`. Caller holds _setup_lock."""
        listing = self.command.run(["stack", "ls", "--json"], **self._cli_kwargs()).stdout
        existing = existing_stacks(listing, self.organization(), self.project)
        with self._lock:
            self._existing = existing
        return existing

    def _plugin_listing(self) -> str:
        return self.command.run(["plugin", "ls", "--json"], **self._cli_kwargs()).stdout

    def _install_plugins(self, log: StackLog, listing: Callable[[], str] | None = None) -> None:
        """The provider plugins, once per engine: `plugin ls` (or `listing`), then an install for each one missing."""
        if not self._plugins_ready:
            install_plugins(self.workspace, listing or self._plugin_listing, log.line)
            self._plugins_ready = True

    def _ensure_setup(self, job: StackJob) -> None:
        """For an operation without `prepare`: list the stacks and install the plugins, once."""
        with self._setup_lock:
            if self._existing is not None and self._plugins_ready:
                return
            with StackLog(job.log_path.parent / "pulumi-prepare.log", self._redactor) as log:
                if self._existing is None:
                    self._list_stacks()
                self._install_plugins(log)

    # -- opening a stack: in the worker that runs it ------------------------------------------------

    def _stack_lock(self, stack: str) -> threading.Lock:
        with self._lock:
            return self._stack_locks.setdefault(stack, threading.Lock())

    def _open(self, job: StackJob, log: StackLog, redact: Redactor) -> EventStack | str:
        """The job's stack, created if the backend lacks it and given the job's config; else why not.

        Runs in the calling worker, in parallel with other stacks (one stack at a time per stack).
        """
        wanted = config_key(job)
        with self._stack_lock(job.name):
            opened = self._opened.get(job.name)
            if opened is not None and opened[1] == wanted:
                return opened[0]
            name = self.fully_qualified(job.name)
            try:
                self._ensure_setup(job)
                stack = opened[0] if opened is not None else self._create_or_select(job.name, name, log)
                configure(stack, job, self.command, self._cli_kwargs())
            except (CommandError, EngineUnavailable) as exc:
                text = exc.message if isinstance(exc, EngineUnavailable) else str(exc)
                reason = summarise(redact(plain(text)), [], f"could not create or configure stack {name}")
                log.line(text)
                log.line(f"error: {reason}")
                return reason
            log.line(f"config: {len(job.config)} key(s), {len(job.secrets)} secret(s)")
            with self._lock:
                self._opened[job.name] = (stack, wanted)
            return stack

    def _create_or_select(self, short: str, name: str, log: StackLog) -> EventStack:
        with self._lock:
            exists = self._existing is not None and short in self._existing
        stack = open_stack(self.workspace, name, exists=exists, note=log.line)
        with self._lock:
            if self._existing is not None:
                self._existing.add(short)
        return stack

    # -- operations: parallel, one stack each ---------------------------------------------------

    def up(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        return self._operate("up", job, progress, cancel)

    def preview(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        return self._operate("preview", job, progress, cancel)

    def destroy(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        if job.retain_data:
            return self._operate("destroy", job, progress, cancel)
        # retain_on_delete lives in the state of the last update: lift it with an `up` that runs the
        # program with tenantwave:retain_data=false first, or destroy would leave the tables and
        # databases behind while reporting them deleted. Retention stays lifted only for the destroy
        # itself: if the lift or the destroy does not succeed, it is restored at once.
        lifted = self._operate("up", job, progress, cancel)
        if not lifted.ok:
            failed = Result(lifted.status, error=f"could not lift data retention before destroying: {lifted.error}")
            return self._restore_retention(job, progress, failed)
        destroyed = self._operate("destroy", job, progress, cancel)
        return destroyed if destroyed.ok else self._restore_retention(job, progress, destroyed)

    def _restore_retention(self, job: StackJob, progress: ProgressCallback, failed: Result) -> Result:
        """`failed` (a --delete-data destroy that did not finish), after an `up` with retain_data=true
        that puts retention back in the state, even after a cancel (its own token: a stack must not be
        left with its data unprotected, or a later plain destroy would delete it)."""
        restored = self._operate("up", replace(job, retain_data=True), progress, CancelToken())
        if restored.ok:
            note = "data retention restored"
        else:
            note = (f"data retention could NOT be restored ({restored.error}): run `platform up --stack {job.name} "
                    "--force` before any other destroy")
        return Result(failed.status, changes=failed.changes, error=f"{failed.error}; {note}")

    def refresh(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        return self._operate("refresh", job, progress, cancel)

    def preview_refresh(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        """`pulumi refresh --preview-only` (`Stack.preview_refresh`): the counts come from its summary
        event, the drifted resources from its refresh steps' outputs events (EventPump.drifted)."""
        return self._operate("preview-refresh", job, progress, cancel)

    def _operate(self, operation: Operation, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        redact = Redactor([*self._redactor_values(), *job.secrets.values()])
        with StackLog(job.log_path, redact) as log:
            log.header(
                {
                    f"pulumi {operation}": job.name,
                    "release": job.release,
                    "stack": self._safe_fqn(job.name),
                    "backend": display_url(self.backend),
                    **({"retain_data": str(job.retain_data).lower()} if operation == "destroy" else {}),
                }
            )
            if cancel.is_set():
                log.line("cancelled before it started")
                return Result("cancelled", error="cancelled before it started")
            problem = self.passphrase_problem()
            if problem is not None:
                log.line(f"error: {problem}")
                return Result("failed", error=problem)
            missing = self._missing_for_refresh(job) if operation == "preview-refresh" else None
            if missing is not None:  # never create a stack only to compare it with the cloud
                log.line(f"error: {missing}")
                return Result("failed", error=missing)
            stack = self._open(job, log, redact)
            if isinstance(stack, str):
                return Result("failed", error=stack)
            if cancel.is_set():  # asked while the stack was being opened
                log.line("cancelled before it started")
                return Result("cancelled", error="cancelled before it started")
            progress(Progress(job.name, 0, None, f"pulumi {operation}"))
            with (
                EventPump(job.name, progress, log) as pump,
                self.command.interruptible() as interrupter,
                CancelWatcher(cancel, interrupter, log.line),
            ):
                try:
                    result = self._call(operation, stack, job, log, pump)
                except CommandError as exc:
                    pump.stop()
                    return self._failure(operation, job, stack.name, exc, pump, interrupter, cancel, log, redact)
                except RuntimeError as exc:  # preview: "summary event never found"
                    if interrupter.requested:
                        return self._cancelled(log, interrupter)
                    log.line(f"error: {exc}")
                    return Result("failed", error=f"pulumi {operation} on {job.name}: {exc}")
            if interrupter.requested:  # the stop came too late: the operation completed
                log.line("cancel requested, but the operation had already completed")
            log.line(f"tenantwave: {operation} succeeded: {format_changes(result.changes)}")
            return result

    def _missing_for_refresh(self, job: StackJob) -> str | None:
        """Why a refresh preview cannot run: the backend has no such stack (listed once per run)."""
        try:
            self._ensure_setup(job)
        except CommandError:
            return None  # the listing failed: the operation says why, in its own words
        with self._lock:
            absent = self._existing is not None and job.name not in self._existing
        if not absent:
            return None
        return f"stack {self._safe_fqn(job.name)} is not in the backend {display_url(self.backend)}: nothing to compare"

    def _call(self, operation: Operation, stack: EventStack, job: StackJob, log: StackLog, pump: EventPump) -> Result:
        """The operation: one CLI call; its changes and outputs are read from its own events."""
        common: dict[str, Any] = {"on_output": log.stdout, "on_error": log.stderr, "on_event": pump.on_event}
        common["color"] = "never"
        planned: Mapping[Any, int] | None = None
        with stack.events_only():
            if operation == "up":
                stack.up(show_secrets=False, **common)
            elif operation == "preview":
                planned = stack.preview(**common).change_summary
            elif operation == "preview-refresh":
                planned = stack.preview_refresh(**common).change_summary
            elif operation == "destroy":
                # retain_data: keep protected resources (--exclude-protected); never --remove, never --ignore-protect
                stack.destroy(show_secrets=False, exclude_protected=job.retain_data or None, **common)
            else:
                stack.refresh(show_secrets=False, **common)
        pump.stop()  # the CLI has exited and the API has handed over every event: they are all counted
        if planned is not None:
            changes = changes_of(planned)
        elif pump.changes is not None:
            changes = changes_of(pump.changes)
        else:  # no summary event came through: ask the backend, as the Automation API would have
            log.line("tenantwave: no summary event; reading the update's summary with `pulumi stack history`")
            summary = stack.info(show_secrets=False)
            changes = changes_of(summary.resource_changes if summary is not None else None)
        outputs: dict[str, Any] = {}
        if operation == "up":
            outputs = event_outputs(pump.outputs) if pump.outputs is not None else stack.masked_outputs()
        removed = tuple(pump.removed) if operation not in ("preview", "preview-refresh") else ()
        drifted = bounded(pump.drifted) if operation == "preview-refresh" else ()
        return Result(
            "succeeded", changes=changes, outputs=outputs, resources=resource_count(changes), resource_changes=removed,
            drifted=drifted,
        )

    def _failure(
        self,
        operation: Operation,
        job: StackJob,
        fqn: str,
        exc: CommandError,
        pump: EventPump,
        interrupter: Interrupter,
        cancel: CancelToken,
        log: StackLog,
        redact: Redactor,
    ) -> Result:
        if interrupter.requested or cancel.is_set():
            return self._cancelled(log, interrupter)
        diagnostics = [redact(e) for e in pump.errors]
        backend = display_url(self.backend)
        error = failure_error(operation, job.name, fqn, exc, redact(plain(str(exc))), diagnostics, backend)
        log.line(f"tenantwave: {operation} failed: {error}")
        return Result("failed", changes=pump.changes or {}, error=error)

    @staticmethod
    def _cancelled(log: StackLog, interrupter: Interrupter) -> Result:
        sent = ", ".join(f"{sig} to pid {pid}" for pid, sig in interrupter.signals_sent) or "no signal needed"
        log.line(f"tenantwave: cancelled ({sent})")
        return Result("cancelled", error="cancelled: pulumi was interrupted")

    def _redactor_values(self) -> list[str]:
        """The secrets of the environment the CLI runs in (passphrase, access token, cloud keys)."""
        return sorted(environment_secrets(self.workspace.env_vars))

    def _safe_fqn(self, name: str) -> str:
        try:
            return self.fully_qualified(name)
        except CommandError:
            return name

    # -- outputs, close -------------------------------------------------------------------------

    def outputs(self, job: StackJob) -> Mapping[str, Any]:
        """The stack's outputs, secrets masked: one `pulumi stack output --json`; none for a stack not yet created."""
        with self._lock:
            opened = self._opened.get(job.name)
            absent = self._existing is not None and job.name not in self._existing
        if absent:
            return {}
        try:
            if opened is None:
                return EventStack(self.fully_qualified(job.name), self.workspace, create=False).masked_outputs()
            return opened[0].masked_outputs()
        except (CommandError, ValueError):
            return {}

    def close(self) -> None:
        with self._lock:
            self._opened.clear()
