"""The `pulumi` engine: the local program of this repo (`Pulumi.yaml`, `stacks/`) through `pulumi.automation`.

How it meets the Automation API's known traps (docs/design.md#automation-api-traps; the source reading is in
`pulumi_command.py` and `pulumi_events.py`):

- The CLI is found and checked ONCE (`create`): a missing or unusable CLI is one plain line
  (`EngineUnavailable`, exit 2) with how to install it.
- `stack init` / `stack select` rewrite one shared "current stack" file in the workspace, so
  `prepare` creates or selects every stack of the run serially, under a lock, and sets its config
  there; the operations then run in parallel and every CLI call names its stack with
  `--stack <org>/<project>/<stack>` (`Stack._run_pulumi_cmd_sync` appends `--stack self.name`,
  `LocalWorkspace.set_all_config`/`stack_outputs` pass `--stack stack_name`).
- Provider plugins (the versions of the installed pulumi_aws / pulumi_kubernetes packages) are
  installed once in `prepare`, not by every stack of a wave at once.
- A `CommandError` carries only a message: each stack's full CLI output goes to its own log
  (`on_output`/`on_error`), and the Result's error is the first error diagnostic, in one or two lines.
- Event callbacks run off the calling thread: they only enqueue (`EventPump`).
- Backend: `backend_url` if given; else the backend the user is logged into (`PULUMI_BACKEND_URL`
  or `pulumi whoami`); else a file backend inside the project (`.platform/state`), passed as
  `PULUMI_BACKEND_URL` in the workspace environment. Secrets: the stack's secrets provider
  (passphrase by default on a file backend): `PULUMI_CONFIG_PASSPHRASE`/`_FILE` come from the
  environment only, never a command line or a log. Stack secrets are set with `pulumi config set
  --secret` reading the value on stdin, never on a command line (the Automation API's
  `set_config`/`set_all_config` would put them there).
- Cancellation: SIGINT to the running `pulumi` child (graceful), a second SIGINT on a hard cancel,
  SIGKILL of its process group if it still runs `HARD_KILL_GRACE` seconds later (`CancelWatcher`).
- Destroy keeps data unless `retain_data` is false (then an `up` with retain_data=false runs first,
  so the state no longer retains them): `--exclude-protected` (protected resources
  stay), `tenantwave:retain_data=true` for the program (data-bearing resources are
  `retain_on_delete`), never `--remove` (the stack keeps tracking what was kept) and never
  `--ignore-protect`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi import automation as auto
from pulumi.automation.errors import CommandError, ConcurrentUpdateError, StackNotFoundError

from tenantwave.engine.base import (
    CancelToken,
    EngineContext,
    Operation,
    Progress,
    ProgressCallback,
    Result,
    StackJob,
)
from tenantwave.engine.pulumi_backend import display_url, is_diy, provider_plugins
from tenantwave.engine.pulumi_command import CancelWatcher, Interrupter, TrackedPulumiCommand, build_command
from tenantwave.engine.pulumi_events import EventPump, Redactor, StackLog, plain
from tenantwave.engine.pulumi_results import changes_of, format_changes, masked, resource_count, summarise
from tenantwave.errors import EngineUnavailable
from tenantwave.privacy.files import private_dirs
from tenantwave.privacy.redaction import environment_secrets

RETAIN_KEY = "tenantwave:retain_data"
DIY_ORGANIZATION = "organization"  # the organization part of stack names on file/object-store backends
ARG_VALUE_LIMIT = 32 * 1024  # larger config values go on stdin: Linux caps one argument at 128 KiB
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
        self._lock = threading.Lock()
        self._stacks: dict[str, auto.Stack] = {}
        self._broken: dict[str, str] = {}  # stack -> why prepare could not open it
        self._plugins_ready = False
        self._organization: str | None = None
        env = dict(context.environ)
        self.workspace = auto.LocalWorkspace(
            work_dir=str(context.project_root), pulumi_command=command, env_vars=env
        )
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
        return str(self.workspace.project_settings().name)

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

    # -- prepare: serial, once per run ---------------------------------------------------------

    def prepare(self, jobs: Sequence[StackJob]) -> None:
        if not jobs:
            return
        problem = self.passphrase_problem()
        if problem is not None:
            raise EngineUnavailable(problem)
        log_path = jobs[0].log_path.parent / "pulumi-prepare.log"
        # Pulumi.yaml's stackConfigDir: the tool writes every stack's config there, not the repo root
        private_dirs(self.context.project_root / ".platform" / "stacks", within=self.context.project_root / ".platform")
        with self._lock, StackLog(log_path, self._redactor) as log:
            log.header({"prepare": f"{len(jobs)} stack(s)", "backend": display_url(self.backend)})
            for job in jobs:
                self._open(job, log)
            self._install_plugins(log)

    def _open(self, job: StackJob, log: StackLog) -> auto.Stack | None:
        """Create or select the stack and set its config. Caller holds the lock."""
        name = self.fully_qualified(job.name)
        try:
            try:
                stack = auto.Stack.select(name, self.workspace)
                log.line(f"selected {name}")
            except StackNotFoundError:
                stack = auto.Stack.create(name, self.workspace)
                log.line(f"created {name}")
            self._configure(stack, job)
        except CommandError as exc:
            reason = summarise(str(exc), [], f"could not create or select stack {name}")
            log.line(f"{job.name}: {reason}")
            log.line(self._redactor(str(exc)))
            self._broken[job.name] = reason
            self._stacks.pop(job.name, None)
            return None
        log.line(f"  config: {len(job.config)} key(s), {len(job.secrets)} secret(s)")
        self._broken.pop(job.name, None)
        self._stacks[job.name] = stack
        return stack

    def _configure(self, stack: auto.Stack, job: StackJob) -> None:
        config = dict(job.config)
        config.setdefault(RETAIN_KEY, "true" if job.retain_data else "false")
        inline = {k: auto.ConfigValue(value=v, secret=False) for k, v in config.items() if len(v) <= ARG_VALUE_LIMIT}
        if inline:
            stack.set_all_config(inline, path=False)
        for key, value in config.items():
            if len(value) > ARG_VALUE_LIMIT:
                self._set_on_stdin(stack.name, key, value, secret=False)
        for key, value in job.secrets.items():
            self._set_on_stdin(stack.name, key, value, secret=True)

    def _set_on_stdin(self, stack: str, key: str, value: str, *, secret: bool) -> None:
        kind = "--secret" if secret else "--plaintext"
        self.command.run(["config", "set", key, kind, "--stack", stack], **self._cli_kwargs(), stdin=value)

    def _install_plugins(self, log: StackLog) -> None:
        if self._plugins_ready:
            return
        installed = self._installed_plugins()
        for name, version in provider_plugins():
            if (name, version) in installed:
                log.line(f"plugin {name} {version}: already installed")
                continue
            try:
                self.workspace.install_plugin(name, version)
            except CommandError as exc:
                log.line(self._redactor(str(exc)))
                detail = summarise(str(exc), [], "install failed")
                raise EngineUnavailable(
                    f"could not install the Pulumi {name} plugin {version} ({detail}); "
                    f"check network access or run `pulumi plugin install resource {name} {version}`"
                ) from None
            log.line(f"plugin {name} {version}: installed")
        self._plugins_ready = True

    def _installed_plugins(self) -> set[tuple[str, str]]:
        try:
            listing = json.loads(self.command.run(["plugin", "ls", "--json"], **self._cli_kwargs()).stdout or "[]")
        except (CommandError, ValueError):
            return set()
        return {
            (str(p.get("name")), str(p.get("version", "")).lstrip("v"))
            for p in listing
            if isinstance(p, dict) and p.get("kind", "resource") == "resource"
        }

    def _stack(self, job: StackJob) -> auto.Stack | str:
        """The stack opened by prepare (or now, serially, if prepare did not see it); else why not."""
        with self._lock:
            if job.name in self._broken:
                return self._broken[job.name]
            stack = self._stacks.get(job.name)
            if stack is not None:
                return stack
            log_path = job.log_path.parent / "pulumi-prepare.log"
            with StackLog(log_path, self._redactor) as log:
                opened = self._open(job, log)
                self._install_plugins(log)
            return opened if opened is not None else self._broken[job.name]

    # -- operations: parallel, one stack each ---------------------------------------------------

    def up(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        return self._operate("up", job, progress, cancel)

    def preview(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        return self._operate("preview", job, progress, cancel)

    def destroy(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        if not job.retain_data:
            # retain_on_delete lives in the state of the last update: lift it with an `up` that
            # runs the program with tenantwave:retain_data=false first, or destroy would leave the
            # tables and databases behind while reporting them deleted.
            lifted = self._operate("up", job, progress, cancel)
            if not lifted.ok:
                error = f"could not lift data retention before destroying: {lifted.error}"
                return Result(lifted.status, error=error)
        return self._operate("destroy", job, progress, cancel)

    def refresh(self, job: StackJob, progress: ProgressCallback, cancel: CancelToken) -> Result:
        return self._operate("refresh", job, progress, cancel)

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
            stack = self._stack(job)
            if isinstance(stack, str):
                log.line(f"error: {stack}")
                return Result("failed", error=stack)
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

    def _call(self, operation: Operation, stack: auto.Stack, job: StackJob, log: StackLog, pump: EventPump) -> Result:
        common: dict[str, Any] = {"on_output": log.stdout, "on_error": log.stderr, "on_event": pump.on_event}
        common["color"] = "never"
        if operation == "up":
            up = stack.up(show_secrets=False, **common)
            changes = changes_of(up.summary.resource_changes)
            return Result("succeeded", changes=changes, outputs=masked(up.outputs), resources=resource_count(changes))
        if operation == "preview":
            planned = stack.preview(**common)
            changes = changes_of(planned.change_summary)
            return Result("succeeded", changes=changes, resources=resource_count(changes))
        if operation == "destroy":
            # retain_data: keep protected resources (--exclude-protected); never --remove, never --ignore-protect
            destroyed = stack.destroy(show_secrets=False, exclude_protected=job.retain_data or None, **common)
            changes = changes_of(destroyed.summary.resource_changes)
            return Result("succeeded", changes=changes, resources=resource_count(changes))
        refreshed = stack.refresh(show_secrets=False, **common)
        changes = changes_of(refreshed.summary.resource_changes)
        return Result("succeeded", changes=changes, resources=resource_count(changes))

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
        text = redact(plain(str(exc)))
        if interrupter.requested or cancel.is_set():
            return self._cancelled(log, interrupter)
        if isinstance(exc, ConcurrentUpdateError):
            error = (
                f"stack {job.name} is locked by another update: wait for it to finish; if that update died, "
                f"release the lock with `pulumi cancel --stack {fqn}`"
            )
        elif isinstance(exc, StackNotFoundError):
            error = f"stack {fqn} was not found in the backend {display_url(self.backend)}"
        elif "passphrase must be set" in text or "incorrect passphrase" in text:
            error = (
                "the stack's secrets passphrase is missing or wrong: set PULUMI_CONFIG_PASSPHRASE "
                "(or PULUMI_CONFIG_PASSPHRASE_FILE) to the passphrase the stack was created with"
            )
        else:
            error = summarise(text, [redact(e) for e in pump.errors], f"pulumi {operation} failed")
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
        stack = self._stack(job)
        if isinstance(stack, str):
            return {}
        try:
            return masked(stack.outputs())
        except CommandError:
            return {}

    def close(self) -> None:
        with self._lock:
            self._stacks.clear()
