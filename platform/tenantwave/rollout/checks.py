"""Running health checks and before-deploy hooks against one stack.

A check or hook sees the stack through a `CheckTarget`: its name, kind, tier, tenants,
environment, phase, the release, and its outputs. `command` checks and hooks get these as
PLATFORM_* environment variables and as one JSON document on stdin, in a minimal environment
(`checkenv`: PATH, HOME, locale, TZ, and what their `pass_env` names); an `http` check builds its
URL from them. Under a simulating engine (the mock) an `http` check is skipped, not failed: nothing
was deployed to answer it; `command` checks still run. Everything runs with the standard library
(urllib, subprocess, never a shell), from the project directory. Results carry a one-line summary
(for the ledger, the gate, the terminal) and the full output (for the stack's log), both redacted:
a secret a command prints (its environment with `env`, a shell's `set -x` trace) never gets further.
"""

from __future__ import annotations

import json
import os
import re
import string
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenantwave.config.checks import CommandCheck, Hook, HttpCheck
from tenantwave.planning.inventory import Stack
from tenantwave.privacy.redaction import redact
from tenantwave.rollout.checkenv import command_environment
from tenantwave.rollout.commandrun import run_command

MAX_BODY = 64 * 1024  # bytes of a response body read for matching and shown in the log
MAX_OUTPUT = 64 * 1024  # bytes of a command's output kept (the last ones), in memory and in the log
Sleep = Callable[[float], object]


@dataclass(frozen=True)
class CheckTarget:
    """What a check or hook runs against."""

    stack: Stack
    release: str
    outputs: Mapping[str, Any] = field(default_factory=dict)
    current_release: str | None = None  # what the stack ran before (hooks: before the update)

    def document(self) -> dict[str, Any]:
        """The JSON a command receives on stdin."""
        s = self.stack
        return {
            "stack": s.name,
            "kind": s.kind,
            "tier": s.tier,
            "tenant": s.tenant,
            "tenants": list(s.tenants),
            "environment": s.environment,
            "phase": s.phase,
            "release": self.release,
            "current_release": self.current_release,
            "outputs": dict(self.outputs),
        }

    def environ(self) -> dict[str, str]:
        """The PLATFORM_* variables a command receives (on top of its minimal environment)."""
        s = self.stack
        return {
            "PLATFORM_STACK": s.name,
            "PLATFORM_KIND": s.kind,
            "PLATFORM_TIER": s.tier,
            "PLATFORM_TENANT": s.tenant or "",
            "PLATFORM_TENANTS": ",".join(s.tenants),
            "PLATFORM_ENVIRONMENT": s.environment,
            "PLATFORM_PHASE": s.phase,
            "PLATFORM_RELEASE": self.release,
            "PLATFORM_CURRENT_RELEASE": self.current_release or "",
            "PLATFORM_OUTPUTS": json.dumps(dict(self.outputs), sort_keys=True, default=str),
        }


@dataclass(frozen=True)
class CheckResult:
    name: str
    kind: str  # http | command | hook
    passed: bool
    summary: str  # one line: what passed or what failed, and where
    output: str = ""  # the full story, for the stack's log
    seconds: float = 0.0
    skipped: bool = False  # not run (an http check under a simulating engine); counts as passed

    def log_text(self, stack: str) -> str:
        verdict = "skipped" if self.skipped else "passed" if self.passed else "FAILED"
        body = self.output if self.output.endswith("\n") or not self.output else self.output + "\n"
        return f"--- {self.kind} {self.name} on {stack}: {verdict} ({self.seconds:.1f} s)\n{body}{self.summary}\n"


def run_checks(
    checks: Sequence[HttpCheck | CommandCheck],
    target: CheckTarget,
    root: Path,
    sleep: Sleep = time.sleep,
    *,
    simulated: bool = False,
) -> list[CheckResult]:
    """Every check, in order (a failure does not skip the rest: the log shows them all); with
    `simulated` (the engine deploys nothing) http checks are skipped."""
    return [run_check(check, target, root, sleep, simulated=simulated) for check in checks]


def run_check(
    check: HttpCheck | CommandCheck, target: CheckTarget, root: Path, sleep: Sleep = time.sleep, *,
    simulated: bool = False,
) -> CheckResult:
    if isinstance(check, HttpCheck):
        if simulated:
            return CheckResult(check.name, "http", True, f"check {check.name} skipped (simulated: nothing to GET)",
                               skipped=True)
        return http_check(check, target, sleep)
    return _command(check.name, "command", check, target, root)


def run_hook(hook: Hook, target: CheckTarget, root: Path) -> CheckResult:
    return _command("before_deploy", "hook", hook, target, root)


def passed_summary(results: Sequence[CheckResult]) -> str:
    """`2 check(s) passed`, or `1 check(s) passed, 1 skipped (simulated)`."""
    skipped = sum(1 for r in results if r.skipped)
    passed = f"{len(results) - skipped} check(s) passed"
    return f"{passed}, {skipped} skipped (simulated)" if skipped else passed


def failure_summary(results: Sequence[CheckResult]) -> str | None:
    """One line naming every failed check, or None when all passed."""
    failed = [r.summary for r in results if not r.passed]
    return "; ".join(failed) if failed else None


# -- http ------------------------------------------------------------------------------------


def render_url(template: str, target: CheckTarget) -> str:
    """The URL with its placeholders filled in; ValueError names a missing output."""
    values = {
        "stack": target.stack.name,
        "environment": target.stack.environment,
        "release": target.release,
        "tier": target.stack.tier,
        "kind": target.stack.kind,
    }
    parts: list[str] = []
    for text, name, _spec, _conv in string.Formatter().parse(template):
        parts.append(text)
        if name is None:
            continue
        if name.startswith("outputs."):
            key = name.removeprefix("outputs.")
            if key not in target.outputs or target.outputs[key] in (None, ""):
                shown = ", ".join(sorted(target.outputs)) or "none"
                raise ValueError(f"the stack has no output {key!r} (its outputs: {shown})")
            parts.append(str(target.outputs[key]))
        else:
            parts.append(values[name])
    return "".join(parts)


def http_check(check: HttpCheck, target: CheckTarget, sleep: Sleep = time.sleep) -> CheckResult:
    started = time.monotonic()
    try:
        url = render_url(check.url, target)
    except ValueError as exc:
        return _http_result(check, False, f"cannot build its URL: {exc}", [], started)
    if not re.match(r"https?://", url):
        return _http_result(check, False, f"{url} is not an http(s) URL", [], started)
    attempts: list[str] = []
    verdict = ""
    for attempt in range(check.retries + 1):
        if attempt:
            sleep(check.retry_delay_seconds)
        passed, verdict = _attempt(check, url)
        attempts.append(f"attempt {attempt + 1}: GET {url}: {verdict}")
        if passed:
            return _http_result(check, True, f"GET {url}: {verdict}", attempts, started)
    tries = f" after {check.retries + 1} attempts" if check.retries else ""
    return _http_result(check, False, f"GET {url}: {verdict}{tries}", attempts, started)


def _attempt(check: HttpCheck, url: str) -> tuple[bool, str]:
    request = urllib.request.Request(url, headers={"User-Agent": "tenantwave-health-check"})
    try:
        with urllib.request.urlopen(request, timeout=check.timeout_seconds) as response:
            status, body = response.status, response.read(MAX_BODY)
    except urllib.error.HTTPError as exc:
        status, body = exc.code, _safe_read(exc)
    except TimeoutError:
        return False, f"no answer within {check.timeout_seconds:g} s"
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            return False, f"no answer within {check.timeout_seconds:g} s"
        return False, f"cannot connect: {reason}"
    except (OSError, ValueError) as exc:
        return False, f"request failed: {exc}"
    return _judge(check, status, body.decode("utf-8", errors="replace"))


def _safe_read(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read(MAX_BODY)
    except OSError:
        return b""


def _judge(check: HttpCheck, status: int, body: str) -> tuple[bool, str]:
    if status != check.expect_status:
        return False, f"HTTP {status}, expected {check.expect_status}{_excerpt(body)}"
    if check.body_contains is not None and check.body_contains not in body:
        return False, f"HTTP {status} but the body does not contain {check.body_contains!r}{_excerpt(body)}"
    if check.body_regex is not None and re.search(check.body_regex, body) is None:
        return False, f"HTTP {status} but the body does not match /{check.body_regex}/{_excerpt(body)}"
    return True, f"HTTP {status}"


def _excerpt(body: str, limit: int = 120) -> str:
    text = " ".join(body.split())
    if not text:
        return ""
    return f" (body: {text[:limit]}{'...' if len(text) > limit else ''})"


def _http_result(check: HttpCheck, passed: bool, detail: str, attempts: list[str], started: float) -> CheckResult:
    verdict = "passed" if passed else "failed"
    return CheckResult(
        name=check.name,
        kind="http",
        passed=passed,
        summary=redact(f"check {check.name} {verdict}: {detail}"),
        output=redact("".join(f"{line}\n" for line in attempts)),
        seconds=time.monotonic() - started,
    )


# -- commands --------------------------------------------------------------------------------


def _command(name: str, kind: str, spec: CommandCheck | Hook, target: CheckTarget, root: Path) -> CheckResult:
    started = time.monotonic()
    label = f"check {name}" if kind == "command" else "before_deploy hook"
    argv, timeout = spec.command, spec.timeout_seconds
    shown = " ".join(argv)
    try:  # output capped and process group killed in every case (commandrun)
        done = run_command(
            argv,
            stdin=json.dumps(target.document(), sort_keys=True, default=str).encode(),
            cwd=root,
            env=command_environment(target.environ(), spec.pass_env, os.environ),
            timeout=timeout,
            limit=MAX_OUTPUT,
        )
    except OSError as exc:
        return _command_result(name, kind, False, f"{label} failed: cannot run `{shown}`: {exc.strerror or exc}",
                               "", started)
    output = done.output
    if done.timed_out:
        return _command_result(name, kind, False, f"{label} failed: `{shown}` timed out after {timeout:g} s",
                               output, started)
    if done.returncode == 0:
        return _command_result(name, kind, True, f"{label} passed: `{shown}` exited 0", output, started)
    last = _last_line(output)
    detail = f"{label} failed: `{shown}` exited {done.returncode}" + (f": {last}" if last else "")
    return _command_result(name, kind, False, detail, output, started)


def _last_line(output: str, limit: int = 200) -> str:
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    return lines[-1][:limit] if lines else ""


def _command_result(name: str, kind: str, passed: bool, summary: str, output: str, started: float) -> CheckResult:
    return CheckResult(name=name, kind=kind, passed=passed, summary=redact(summary), output=redact(output),
                       seconds=time.monotonic() - started)
