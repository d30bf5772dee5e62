"""What a webhook is told (docs/notifications.md): one `Notification` per event, and its body.

Events (platform.yaml `notify[].events`):

- `run_started`     a run of `up`, `destroy` or `rollback` started: release, wave, its stacks;
- `run_finished`    it ended: status, counts, each stack that did not succeed with its reason (and
                    each one deferred at its start or before, by a window or a freeze);
- `run_deferred`    `up` deployed nothing because every stack it could deploy waits for a maintenance
                    window or the end of a freeze (exit 3, no run): each one and why;
- `gate_closed`     `up --wave N` deployed nothing because the wave gate is closed: every reason;
- `approval_needed` a wave waits for an approval (its gate is closed for want of one, or the wave
                    before it just finished): the exact `platform approve ...` command to run;
- `drift_found`     `platform drift` found stacks that differ from what was deployed: each one,
                    its tenants and what differs;
- `rollback_done`   a rollback (`platform rollback`, or auto_rollback after `up`) ended.

Bodies: `json` is a generic document (`source`, `project`, `event`, `title`, `text`, `lines`,
`details`); `slack` is Slack-compatible (`{"text": ...}` in Slack's markup, `&`, `<`, `>` escaped).
Every text (outside text included: error strings, stack, tenant and property names) loses its
control characters (C0 but newline and tab, DEL, C1: a terminal's escapes, a bell) and is redacted
(the one redactor, before and after, so a control character inside a secret does not hide it)
BEFORE it is capped, so a cut never leaves part of a secret: a line at most `MAX_LINE`
characters, at most `MAX_LINES` lines, the text at most
`MAX_TEXT`, every string of the details at most `MAX_LINE` and every list at most `MAX_ITEMS`.
Pure: nothing here sends anything (`rollout.webhooks` does).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tenantwave.config.models import Project
from tenantwave.config.notify import NotifyEvent
from tenantwave.planning.inventory import Stack
from tenantwave.privacy.redaction import redact
from tenantwave.rollout.driftreport import DriftFound
from tenantwave.rollout.prepare import RolloutPlan
from tenantwave.rollout.report import RunReport
from tenantwave.rollout.rollbacks import Rollbacks

MAX_LINE = 300
MAX_LINES = 20
MAX_TEXT = 3000  # Slack shows a section of up to 3000 characters
MAX_ITEMS = 50
PROBLEMS = ("failed", "unhealthy", "cancelled", "not-started", "held")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 but \t and \n, DEL, C1


@dataclass(frozen=True)
class Notification:
    """One event: a title (one line), detail lines, and the same facts as data for the json body."""

    event: NotifyEvent
    title: str
    lines: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)


def body(notification: Notification, form: str, project: str) -> bytes:
    """The request body for a webhook of format `form` (`json` or `slack`): redacted, capped, UTF-8."""
    title = cap(clean(notification.title))
    lines = [cap(clean(line)) for line in notification.lines]
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], f"... and {len(lines) - MAX_LINES + 1} more"]
    if form == "slack":
        text = "\n".join([f"*{_slack(title)}*", *(f"• {_slack(line)}" for line in lines)])
        return _dumps({"text": cap(text, MAX_TEXT)})
    document = {
        "source": "tenantwave",
        "project": cap(clean(project)),
        "event": notification.event,
        "title": title,
        "text": cap("\n".join([title, *lines]), MAX_TEXT),
        "lines": lines,
        "details": _capped(dict(notification.details)),
    }
    return _dumps(document)


def clean(text: str) -> str:
    """Outside text fit for a body: without control characters (but newline and tab), redacted."""
    return redact(CONTROL.sub("", redact(text)))


def cap(text: str, limit: int = MAX_LINE) -> str:
    """`text` cut to `limit` characters (the cut marked with an ellipsis)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- the events ---------------------------------------------------------------------------------


def run_started(command: str, plan: RolloutPlan, run_id: str, stacks: Sequence[Stack], simulated: bool) -> Notification:
    names = [stack.name for stack in stacks]
    what = _what(command, plan)
    return Notification(
        "run_started",
        f"{what} started: {_count(len(names), 'stack')} (run {run_id}){_simulated(simulated)}",
        tuple(names),
        {"command": command, "release": plan.release, "wave": plan.wave, "run": run_id, "stacks": names,
         "simulated": simulated},
    )


def run_finished(command: str, report: RunReport) -> Notification:
    counts = {status: report.count(status) for status in dict.fromkeys(o.status for o in report.outcomes)}
    shown = ", ".join(f"{number} {status}" for status, number in counts.items()) or "nothing ran"
    problems = [o for o in report.outcomes if o.status in PROBLEMS]
    lines = [f"{o.stack}: {o.status}" + (f": {o.error}" if o.error else "") for o in problems]
    deferred = report.plan.with_state("deferred")
    lines += [f"{p.stack.name}: deferred: {p.reason}" for p in deferred]
    if report.stopped:
        lines.insert(0, f"stopped early: {report.stopped}")
    return Notification(
        "run_finished",
        f"{_what(command, report.plan)} {report.status}: {shown} (run {report.run_id}){_simulated(report.simulated)}",
        tuple(lines),
        {
            "command": command, "release": report.release, "wave": report.plan.wave, "run": report.run_id,
            "status": report.status, "counts": counts, "stopped": report.stopped, "simulated": report.simulated,
            "failures": [{"stack": o.stack, "result": o.status, "reason": o.error} for o in problems],
            "deferred": [{"stack": p.stack.name, "reason": p.reason} for p in deferred],
        },
    )


def run_deferred(command: str, plan: RolloutPlan) -> Notification | None:
    """None unless the plan's gate is open (a closed one is `gate_closed`), nothing in it can run and
    some stack is deferred by a window or a freeze: `up` deploys nothing and exits 3."""
    deferred = plan.with_state("deferred")
    if plan.runnable or not deferred or (plan.gate is not None and not plan.gate.open):
        return None
    waits = "waits" if len(deferred) == 1 else "wait"
    return Notification(
        "run_deferred",
        f"{_what(command, plan)} deferred: nothing deployed, {_count(len(deferred), 'stack')} {waits} for a "
        "maintenance window or the end of a freeze",
        (*(f"{p.stack.name}: {p.reason}" for p in deferred),
         "to go on, run the same command again when the window opens or the freeze ends"),
        {"command": command, "release": plan.release, "wave": plan.wave, "status": "deferred",
         "deferred": [{"stack": p.stack.name, "reason": p.reason} for p in deferred]},
    )


def gate_closed(plan: RolloutPlan) -> Notification | None:
    """None when the plan has no gate or its gate is open."""
    gate = plan.gate
    if gate is None or gate.open:
        return None
    return Notification(
        "gate_closed",
        f"wave {gate.wave} of {plan.release} is held: its gate is closed",
        gate.reasons,
        {"release": plan.release, "wave": gate.wave, "reasons": list(gate.reasons)},
    )


def approval_needed(project: Project, plan: RolloutPlan) -> Notification | None:
    """None unless the plan's wave is held for want of an approval its phase (or its ring) asks for."""
    gate = plan.gate
    if gate is None or gate.open or gate.approval is not None or not plan.stacks:
        return None
    phase, ring = plan.stacks[0].stack.phase, plan.stacks[0].stack.ring  # a wave is one phase and ring
    if not project.platform.rollout.for_phase(phase, ring).approval:
        return None
    command = approve_command(plan.release, gate.wave)
    return Notification(
        "approval_needed",
        f"wave {gate.wave} of {plan.release} (phase {phase}) needs an approval",
        (f"to let it go ahead, run: {command}",),
        {"release": plan.release, "wave": gate.wave, "phase": phase, "command": command},
    )


def approve_command(release: str, wave: int) -> str:
    return f"platform approve --release {release} --wave {wave}"


def rollback_done(rollbacks: Rollbacks, *, automatic: bool) -> Notification:
    reports = rollbacks.reports
    went_back = [(o.stack, r.release) for r in reports for o in r.outcomes if o.status == "succeeded"]
    problems = [(o, r.release) for r in reports for o in r.outcomes if o.status in PROBLEMS]
    lines = [f"{stack}: back on {release}" for stack, release in went_back]
    lines += [f"{o.stack}: {o.status} going back to {release}" + (f": {o.error}" if o.error else "")
              for o, release in problems]
    kind = "automatic rollback" if automatic else "rollback"
    return Notification(
        "rollback_done",
        f"{kind} {rollbacks.status}: {_count(len(went_back), 'stack')} rolled back"
        + (f", {len(problems)} not" if problems else ""),
        tuple(lines),
        {
            "automatic": automatic, "status": rollbacks.status, "runs": [r.run_id for r in reports],
            "rolled_back": [{"stack": stack, "release": release} for stack, release in went_back],
            "failures": [{"stack": o.stack, "result": o.status, "release": release, "reason": o.error}
                         for o, release in problems],
        },
    )


def drift_found(found: DriftFound) -> Notification:
    """What `platform drift` found (`DriftReport.found()`): each drifted stack, its tenants, what differs."""
    lines = [
        f"{s.stack}: {_count(s.resources, 'resource')} drifted"
        + (f" (tenants {', '.join(s.tenants)})" if s.tenants else " (untenanted)")
        + (": " + "; ".join(f.describe() for f in s.findings) if s.findings else "")
        for s in found.stacks
    ]
    tenants = found.tenants
    return Notification(
        "drift_found",
        f"drift found in {found.scope}: {len(found.stacks)} of {_count(found.checked, 'stack')}"
        + (f", affecting {_count(len(tenants), 'tenant')}" if tenants else "") + f" (run {found.run_id})",
        tuple(lines),
        {
            "run": found.run_id, "scope": found.scope, "checked": found.checked, "tenants": tenants,
            "stacks": [{"stack": s.stack, "tenants": list(s.tenants), "resources": s.resources,
                        "findings": [f.describe() for f in s.findings]} for s in found.stacks],
        },
    )


# -- plumbing -----------------------------------------------------------------------------------


def _what(command: str, plan: RolloutPlan) -> str:
    scope = f" wave {plan.wave}" if plan.wave is not None else ""
    return f"{command} {plan.release}{scope}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _simulated(simulated: bool) -> str:
    return " [simulated: nothing was deployed]" if simulated else ""


def _slack(text: str) -> str:
    """Text as Slack shows it literally: its three control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _capped(value: Any) -> Any:
    """The details: every string (keys too) cleaned and capped, every list cut to MAX_ITEMS."""
    if isinstance(value, str):
        return cap(clean(value))
    if isinstance(value, Mapping):
        return {cap(clean(str(key))): _capped(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        items = [_capped(item) for item in value[:MAX_ITEMS]]
        return items + ([f"... and {len(value) - MAX_ITEMS} more"] if len(value) > MAX_ITEMS else [])
    return value


def _dumps(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
