"""The Pulumi CLI as the `pulumi` engine runs it: found once, each child interruptible, secrets on stdin.

What the Automation API (pulumi 3.2xx, `pulumi/automation/_cmd.py`) does and why this subclass exists:

- `PulumiCommand.__init__` runs `pulumi version` and raises (`FileNotFoundError`,
  `CalledProcessError`, `InvalidVersionError`) when the CLI is missing, broken or too old;
  `LocalWorkspace()` builds one itself when it is not given one. `build_command` builds it ONCE
  and turns each of those into `EngineUnavailable` with one plain line.
- `PulumiCommand.run` starts the CLI with `subprocess.Popen` inside the call and never exposes the
  child, so nothing can interrupt a running `pulumi up` (no cancel hook in `Stack.up` either: the
  only "cancel" is `Stack.cancel()` = `pulumi cancel`, which kills the update server-side and may
  leave the stack inconsistent). Every Automation API call (`Stack.up`, `Stack.outputs`,
  `LocalWorkspace.set_all_config`, ...) ends in `workspace.pulumi_command.run(...)` on the calling
  thread (`Stack._run_pulumi_cmd_sync`, `LocalWorkspace._run_pulumi_cmd_sync`). `TrackedPulumiCommand`
  keeps `run`'s contract (same arguments, `--non-interactive` first, `PULUMI_AUTOMATION_API=true`,
  `CommandError` subclasses from `create_command_error`) and registers the child with the
  `Interrupter` of the operation running on that thread, so a watcher thread can send it SIGINT:
  the CLI then cancels gracefully (`pkg/backend/cancellation_scope.go`: the first SIGINT/SIGTERM
  cancels, the second terminates).
- Each child starts in its own process group, so an operator's Ctrl-C on the terminal reaches this
  tool only and the engine decides how many SIGINTs each child gets (otherwise every child would
  get the terminal's SIGINT plus ours: a second SIGINT, i.e. an immediate, unclean stop).
- stdin is /dev/null unless a value is to be passed: `pulumi config set KEY` reads the value from a
  non-terminal stdin when it is not on the command line (`pkg/cmd/pulumi/config/config.go`,
  `configSetCmd.Run`). The Automation API's `set_config`/`set_all_config` put every value, secrets
  included, on the command line; the engine sends secrets (and very large values) this way instead.
- With a file event log, `_cleanup` waits up to 5 s for the CLI's final `cancelEvent`, which a CLI
  that fails early never writes: `run` appends that marker itself when it is missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from pulumi.automation import CommandResult, PulumiCommand
from pulumi.automation.errors import InvalidVersionError, create_command_error

from tenantwave.engine.base import CancelToken
from tenantwave.errors import EngineUnavailable

INSTALL_HINT = (
    "install it from https://www.pulumi.com/docs/install/ (curl -fsSL https://get.pulumi.com | sh), "
    "or run with --engine mock to simulate"
)
HARD_KILL_GRACE = 10.0  # seconds after a hard cancel before the CLI's process group is killed
MISSING_CLI = f"the Pulumi CLI is not installed (pulumi not found on PATH): {INSTALL_HINT}"

OnOutput = Callable[[str], Any]


class Interrupter:
    """The CLI children of one engine operation, so that another thread can interrupt them.

    `interrupt()` asks for a graceful stop (one SIGINT), `interrupt(hard=True)` for an immediate
    one (a second SIGINT). A child attached after the request gets the same signals at once, so a
    cancel that lands between two CLI calls is never lost.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._wanted = 0
        self._sent = 0
        self.signals_sent: list[tuple[int, str]] = []  # (pid, "SIGINT"/"SIGKILL"), for the log

    @property
    def requested(self) -> bool:
        return self._wanted > 0

    def attach(self, process: subprocess.Popen[str]) -> None:
        with self._lock:
            self._process = process
            self._sent = 0
            self._deliver()

    def detach(self, process: subprocess.Popen[str]) -> None:
        with self._lock:
            if self._process is process:
                self._process = None

    def interrupt(self, hard: bool = False) -> None:
        with self._lock:
            self._wanted = max(self._wanted, 2 if hard else 1)
            self._deliver()

    def kill(self) -> None:
        """Last resort after a hard stop was ignored: SIGKILL the child's whole process group."""
        with self._lock:
            process = self._process
            if process is None or process.poll() is not None:
                return
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
                self.signals_sent.append((process.pid, "SIGKILL"))

    def running(self) -> bool:
        with self._lock:
            return self._process is not None and self._process.poll() is None

    def _deliver(self) -> None:
        process = self._process
        while process is not None and self._sent < self._wanted and process.poll() is None:
            try:
                os.kill(process.pid, signal.SIGINT)  # the pulumi process only: it stops its plugins itself
            except ProcessLookupError:
                return
            self._sent += 1
            self.signals_sent.append((process.pid, "SIGINT"))


class TrackedPulumiCommand(PulumiCommand):
    """`PulumiCommand` whose children can be interrupted and can be given a value on stdin."""

    def __init__(self, root: str | None = None) -> None:
        super().__init__(root=root)
        self._local = threading.local()

    @contextmanager
    def interruptible(self) -> Iterator[Interrupter]:
        """Attach every CLI child started on this thread, until the block ends, to one Interrupter."""
        interrupter = Interrupter()
        previous = getattr(self._local, "interrupter", None)
        self._local.interrupter = interrupter
        try:
            yield interrupter
        finally:
            self._local.interrupter = previous

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: OnOutput | None = None,
        on_error: OnOutput | None = None,
        *,
        stdin: str | None = None,
    ) -> CommandResult:
        separator = args.index("--") if "--" in args else len(args)
        if "--non-interactive" not in args[:separator]:
            args.insert(0, "--non-interactive")
        env = {**os.environ, **additional_env, "PULUMI_AUTOMATION_API": "true"}
        if os.path.isabs(self.command):  # as PulumiCommand.run: plugins bundled next to the binary first
            env["PATH"] = os.pathsep.join([os.path.dirname(self.command), env.get("PATH", "")])
        interrupter: Interrupter | None = getattr(self._local, "interrupter", None)

        stdout_lines: list[str] = []
        stderr_lines: list[str] = []

        def consume(stream: Any, callback: OnOutput | None, lines: list[str]) -> None:
            for line in iter(stream.readline, ""):
                stripped = line.rstrip()
                if callback is not None:
                    with suppress(Exception):  # a failing log write must not stall the pipe
                        callback(stripped)
                lines.append(stripped)
            stream.close()

        with subprocess.Popen(
            [self.command, *args],
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            encoding="utf-8",
            process_group=0,
        ) as process:
            if interrupter is not None:
                interrupter.attach(process)
            try:
                readers = [
                    threading.Thread(target=consume, args=(process.stdout, on_output, stdout_lines), daemon=True),
                    threading.Thread(target=consume, args=(process.stderr, on_error, stderr_lines), daemon=True),
                ]
                for reader in readers:
                    reader.start()
                if stdin is not None:
                    assert process.stdin is not None
                    with suppress(BrokenPipeError):
                        process.stdin.write(stdin)
                    with suppress(BrokenPipeError):
                        process.stdin.close()
                for reader in readers:
                    reader.join()
                code = process.wait()
            finally:
                if interrupter is not None:
                    interrupter.detach(process)

        _close_event_log(args)
        result = CommandResult(stdout="\n".join(stdout_lines), stderr="\n".join(stderr_lines), code=code)
        if code != 0:
            raise create_command_error(result)
        return result


def _close_event_log(args: list[str]) -> None:
    """End a file event log with the CLI's own end marker when the CLI exited without writing it.

    With a file event log (CLI <= 3.205) `Stack.up` & co. tail the file until a `cancelEvent` and,
    in `_cleanup`, wait up to 5 s for that. A CLI that fails before its engine starts (stack
    locked, wrong passphrase) never writes one, so every such failure would cost 5 s per stack.
    """
    if "--event-log" not in args:
        return
    index = args.index("--event-log") + 1
    if index >= len(args) or "://" in args[index]:  # tcp://: the gRPC stream ends by itself
        return
    path = Path(args[index])
    try:
        with path.open("rb") as stream:
            stream.seek(max(0, path.stat().st_size - 256))
            tail = stream.read().decode("utf-8", "replace").strip().rsplit("\n", 1)[-1]
        if '"cancelEvent"' in tail:
            return
        with path.open("a", encoding="utf-8") as stream:
            stream.write('{"sequence": -1, "timestamp": 0, "cancelEvent": {}}\n')
    except OSError:
        return


def find_cli(environ: Mapping[str, str]) -> str | None:
    return shutil.which("pulumi", path=environ.get("PATH", os.defpath))


def build_command(environ: Mapping[str, str]) -> TrackedPulumiCommand:
    """The CLI, found on the PATH of `environ`, checked once (`pulumi version`); else EngineUnavailable."""
    found = find_cli(environ)
    if found is None:
        raise EngineUnavailable(MISSING_CLI)
    binary = Path(found)
    root = str(binary.parent.parent) if binary.parent.name == "bin" and binary.name == "pulumi" else None
    try:
        return TrackedPulumiCommand(root=root)
    except FileNotFoundError:
        raise EngineUnavailable(MISSING_CLI) from None
    except PermissionError:
        raise EngineUnavailable(
            f"the Pulumi CLI at {found} cannot be run (permission denied): {INSTALL_HINT}"
        ) from None
    except subprocess.CalledProcessError as exc:
        raise EngineUnavailable(
            f"the Pulumi CLI at {found} does not work (`pulumi version` exited with {exc.returncode}): {INSTALL_HINT}"
        ) from None
    except InvalidVersionError as exc:
        detail = " ".join(str(exc).split())
        raise EngineUnavailable(f"the Pulumi CLI at {found} cannot be used: {detail}") from None


class CancelWatcher:
    """While an operation runs: SIGINT on cancel, a second on a hard cancel, SIGKILL if that is ignored."""

    def __init__(
        self, cancel: CancelToken, interrupter: Interrupter, log: Callable[[str], None], poll: float = 0.05
    ) -> None:
        self._cancel = cancel
        self._interrupter = interrupter
        self._log = log
        self._poll = poll
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="pulumi-cancel", daemon=True)

    def __enter__(self) -> CancelWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._done.is_set():
            if self._cancel.is_set():
                break
            self._done.wait(self._poll)
        else:
            return
        self._log("tenantwave: cancel requested: interrupting pulumi (SIGINT)")
        self._interrupter.interrupt()
        while not self._done.is_set() and not self._cancel.hard:
            self._done.wait(self._poll)
        if self._done.is_set():
            return
        self._log("tenantwave: second cancel: stopping pulumi at once (second SIGINT)")
        self._interrupter.interrupt(hard=True)
        if not self._done.wait(HARD_KILL_GRACE) and self._interrupter.running():
            self._log(f"tenantwave: pulumi still running {HARD_KILL_GRACE:.0f}s later: SIGKILL")
            self._interrupter.kill()
