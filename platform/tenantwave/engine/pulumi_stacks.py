"""Stacks for the `pulumi` engine: opened by many workers at once, each operation one CLI call.

The shared "current stack" file (pulumi/pulumi#8186). `pulumi stack select` and `pulumi stack
init` write the selected stack to one file per project and PULUMI_HOME
(`$PULUMI_HOME/workspaces/<project>-<sha1>-workspace.json`, `pkg/workspace/workspace.go`); older
CLIs wrote it in place, so two at once could leave it torn and every later command failing. The
Automation API's `Stack.select`/`Stack.create` run exactly those two commands. Nothing this engine
runs reads the file: every command it issues names its stack (`--stack org/project/stack`:
`Stack._run_pulumi_cmd_sync` appends it, `set_all_config`/`stack_outputs` pass it). Two ways out:

- one PULUMI_HOME per worker, sharing one plugin directory. Rejected: a home also holds the login
  (`credentials.json`, with its access tokens), which would be copied into every worker's home and
  go stale there when the user logs in again, plus caches and policy packs; and plugins would have
  to be shared by links the CLI does not expect.
- never write the file. Chosen: `StackScopedWorkspace.select_stack` runs nothing (which stacks
  exist comes from one `pulumi stack ls --json` per run, `existing_stacks`) and `create_stack`
  runs `pulumi stack init NAME --no-select` (CLI 3.45 and later; the Automation API's own remote
  workspaces do the same for the same reason). With an older CLI, stacks are created one at a
  time under a lock, and only the creation waits.

Fewer calls per operation. `Stack.up` follows the CLI call with `self.outputs()` (two `pulumi
stack output` calls, the second with `--show-secrets`) and `self.info()` (`pulumi stack history`);
`destroy` and `refresh` with `self.info()`. The operation's own event stream already carries both:
the root stack's last `resOutputsEvent` has the stack outputs (`metadata.new.outputs`, secrets
blinded by the CLI: `display.ConvertEngineEvent(e, showSecrets=false)`), the `summaryEvent` has
the resource changes that `stack history` would repeat. Inside `EventStack.events_only()` those
follow-up calls are skipped and the engine reads the events instead.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from pulumi import automation as auto
from pulumi.automation._stack import StackInitMode  # not re-exported; stable since the Automation API began
from pulumi.automation.errors import StackAlreadyExistsError

from tenantwave.engine.base import StackJob
from tenantwave.engine.pulumi_command import TrackedPulumiCommand

RETAIN_KEY = "tenantwave:retain_data"
ARG_VALUE_LIMIT = 32 * 1024  # larger config values go on stdin: Linux caps one argument at 128 KiB
NO_SELECT_SINCE = (3, 45, 0)  # `pulumi stack init --no-select` (pulumi/pulumi v3.45.0)

# What `Stack.up`/`destroy`/`refresh` get from `info()` inside `events_only()`: they only check it
# is not None; the engine takes the changes from the summary event.
_FROM_EVENTS = auto.UpdateSummary(
    kind="from-events", start_time=datetime.min, message="", environment={}, config={}, result="unknown"
)


class StackScopedWorkspace(auto.LocalWorkspace):
    """A `LocalWorkspace` that never writes the workspace's current-stack file (see the module)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        version = self.pulumi_command.version
        self.no_select = version is None or (version.major, version.minor, version.patch) >= NO_SELECT_SINCE
        self._create_lock = threading.Lock()

    def select_stack(self, stack_name: str) -> None:
        """Nothing to run: the stack exists (the run's `stack ls` said so) and every command names it."""

    def create_stack(self, stack_name: str) -> None:
        """`pulumi stack init NAME --no-select`; with a CLI older than 3.45, one creation at a time."""
        args = ["stack", "init", stack_name]
        if self.secrets_provider:
            args += ["--secrets-provider", self.secrets_provider]
        if self.no_select:
            self._run_pulumi_cmd_sync([*args, "--no-select"])
            return
        with self._create_lock:
            self._run_pulumi_cmd_sync(args)


class EventStack(auto.Stack):
    """An `auto.Stack` whose operations can end with their own CLI call (see the module)."""

    def __init__(self, name: str, workspace: StackScopedWorkspace, *, create: bool) -> None:
        super().__init__(name, workspace, StackInitMode.CREATE if create else StackInitMode.SELECT)
        self._local = threading.local()

    @contextmanager
    def events_only(self) -> Iterator[None]:
        """Within the block, `up`/`destroy`/`refresh` run the operation and nothing after it."""
        self._local.events_only = True
        try:
            yield
        finally:
            self._local.events_only = False

    def _events_only(self) -> bool:
        return bool(getattr(self._local, "events_only", False))

    def outputs(self) -> Any:
        if self._events_only():
            return {}
        return super().outputs()

    def info(self, show_secrets: bool = True) -> Any:
        if self._events_only():
            return _FROM_EVENTS
        return super().info(show_secrets)

    def masked_outputs(self) -> dict[str, Any]:
        """The stack's outputs, secrets as "[secret]": one `pulumi stack output --json` (never --show-secrets)."""
        result = self._run_pulumi_cmd_sync(["stack", "output", "--json"])
        outputs = json.loads(result.stdout or "{}")
        return dict(outputs) if isinstance(outputs, dict) else {}


def open_stack(workspace: StackScopedWorkspace, name: str, *, exists: bool, note: Callable[[str], None]) -> EventStack:
    """The stack `name`: no CLI call when it `exists`, else `stack init --no-select` (one that appeared
    since the listing, created by another run, is used as it is)."""
    if exists:
        note(f"stack {name}: exists")
        return EventStack(name, workspace, create=False)
    try:
        stack = EventStack(name, workspace, create=True)
    except StackAlreadyExistsError:
        note(f"stack {name}: created meanwhile by someone else")
        return EventStack(name, workspace, create=False)
    note(f"stack {name}: created")
    return stack


def existing_stacks(listing: str, organization: str, project: str) -> set[str]:
    """The short names of this project's stacks in `pulumi stack ls --json` output.

    The CLI prints a stack's own name when the reference is unambiguous (its project is the current
    one on a DIY backend; also its organization is the default one on the Pulumi Cloud), else
    `org/project/stack`; a stack of another organization is not ours.
    """
    entries = json.loads(listing or "[]")
    names: set[str] = set()
    for entry in entries if isinstance(entries, list) else []:
        name = str(entry.get("name", "")) if isinstance(entry, dict) else ""
        parts = name.split("/")
        if len(parts) == 1 and name:
            names.add(name)
        elif len(parts) == 3 and parts[0] == organization and parts[1] == project:
            names.add(parts[2])
    return names


def config_key(job: StackJob) -> tuple[Any, ...]:
    """What a stack's config is made of for this job: equal keys need no second `config set-all`."""
    return (tuple(sorted(job.config.items())), tuple(sorted(job.secrets.items())), job.retain_data)


def configure(stack: EventStack, job: StackJob, command: TrackedPulumiCommand, cli: dict[str, Any]) -> None:
    """Set the job's config on the stack: one `config set-all` for every plain value up to 32 KiB,
    then one `config set` reading the value on stdin for each larger value and each secret (the
    CLI's `config set-all` takes values only as arguments: a secret there would be on a command line).
    """
    config = dict(job.config)
    config.setdefault(RETAIN_KEY, "true" if job.retain_data else "false")
    inline = {k: auto.ConfigValue(value=v, secret=False) for k, v in config.items() if len(v) <= ARG_VALUE_LIMIT}
    if inline:
        stack.set_all_config(inline, path=False)
    on_stdin = [(k, v, False) for k, v in config.items() if len(v) > ARG_VALUE_LIMIT]
    for key, value, secret in [*on_stdin, *((k, v, True) for k, v in job.secrets.items())]:
        kind = "--secret" if secret else "--plaintext"
        command.run(["config", "set", key, kind, "--stack", stack.name], **cli, stdin=value)
