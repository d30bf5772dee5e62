"""What a drift run found: each stack's finding, the run's status, and its JSON, text and Markdown forms.

Per stack (`StackDrift.status`): `drifted` (resources differ from what was deployed), `clean`,
`failed` (the stack could not be checked: the engine's one-line reason), `cancelled`, `held` (an
`up` or another check holds it: checked next time), `not-started`, `not-deployed` (nothing to
compare). The run's status (`DriftReport.status`) decides the exit code (docs/commands.md):

    failed   1  a stack could not be checked or the run stopped early, or it was cancelled
                (drift found elsewhere is still reported and recorded)
    held     3  otherwise, a stack was held by another run and not checked (with or without
                drift found elsewhere: reported and recorded all the same)
    drifted  4  otherwise, drift found: every stack was checked
    clean    0  every stack checked, none drifted

The first that applies wins: 4 and 0 always mean every selected deployed stack was checked.

The Markdown is a GitHub issue body like the preview comment: a marker line (`MARKER`) for the
workflow to find its issue, totals, tenants affected, then one collapsible section per drifted or
failed stack; under GitHub's 65,536 characters (sections cut last-first with a note). Every text
is HTML-escaped and redacted. Findings name properties, never values.

`DriftReport.found()` is the notifications hook: the facts of the `drift_found` event, None when
nothing drifted (rollout.notifications.drift_found takes them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tenantwave.engine.drift import DriftedResource
from tenantwave.privacy.markdown import markdown_text
from tenantwave.privacy.redaction import redact, redact_data

FORMAT = 1
MARKER = "<!-- tenantwave-drift -->"
ISSUE_LIMIT = 65_536
SECTION_RESOURCES = 10  # findings per stack in the issue (the JSON document has them all)
SECTION_PROPERTIES = 8  # properties per finding in the issue
TEXT_RESOURCES = 10  # findings per stack in the command's text
NAMES_SHARE = 4  # the list of stacks that are not clean takes at most 1/4 of the issue
DriftStatus = Literal["drifted", "clean", "failed", "cancelled", "held", "not-started", "not-deployed"]
RunDriftStatus = Literal["clean", "drifted", "failed", "held"]
PROBLEMS = ("failed", "cancelled", "not-started")


@dataclass(frozen=True)
class StackDrift:
    stack: str
    environment: str
    tenants: tuple[str, ...]
    status: str  # DriftStatus
    release: str | None  # what the stack runs
    resources: int = 0  # drifted resources (exact; `findings` may be capped)
    findings: tuple[DriftedResource, ...] = ()
    error: str | None = None
    log_path: str | None = None
    recorded: bool = True  # False: the ledger no longer took it (another run took the claim over)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "environment": self.environment,
            "tenants": list(self.tenants),
            "status": self.status,
            "release": self.release,
            "resources": self.resources,
            "findings": [f.to_json() for f in self.findings],
            "error": self.error,
            "log": self.log_path,
            "recorded": self.recorded,
        }


@dataclass(frozen=True)
class DriftFound:
    """The `drift_found` event's facts: which stacks drifted, of how many checked, whose tenants."""

    run_id: str | None
    scope: str
    checked: int
    stacks: tuple[StackDrift, ...]

    @property
    def tenants(self) -> list[str]:
        return sorted({t for s in self.stacks for t in s.tenants})


@dataclass(frozen=True)
class DriftReport:
    run_id: str | None  # None: nothing to check, nothing recorded
    scope: str
    stacks: tuple[StackDrift, ...]
    simulated: bool
    log_dir: str | None
    cancelled: bool = False
    stopped: str | None = None

    def with_status(self, *statuses: str) -> list[StackDrift]:
        return [s for s in self.stacks if s.status in statuses]

    @property
    def drifted(self) -> list[StackDrift]:
        return self.with_status("drifted")

    @property
    def checked(self) -> int:
        return len(self.with_status("drifted", "clean"))

    @property
    def tenants(self) -> list[str]:
        """The tenants served by a drifted stack."""
        return sorted({t for s in self.drifted for t in s.tenants})

    @property
    def status(self) -> RunDriftStatus:
        if self.cancelled or self.stopped or self.with_status(*PROBLEMS):
            return "failed"
        if self.with_status("held"):  # not every stack was checked: outranks drift found
            return "held"
        return "drifted" if self.drifted else "clean"

    @property
    def run_status(self) -> str:
        """How the run is recorded in the ledger (a drift found is a successful check)."""
        return "cancelled" if self.cancelled else "failed" if self.status == "failed" else "succeeded"

    @property
    def summary(self) -> str:
        counts = ", ".join(f"{len(self.with_status(s))} {s}" for s in
                           ("drifted", "clean", "failed", "cancelled", "held", "not-started", "not-deployed")
                           if self.with_status(s))
        return f"drift check of {self.scope}: {counts or 'no stack'}"

    def found(self) -> DriftFound | None:
        """The notifications hook: the `drift_found` event's facts, None when nothing drifted."""
        return DriftFound(self.run_id, self.scope, self.checked, tuple(self.drifted)) if self.drifted else None

    def to_json(self) -> dict[str, Any]:
        document = {
            "format": FORMAT,
            "run_id": self.run_id,
            "scope": self.scope,
            "status": self.status,
            "simulated": self.simulated,
            "counts": {s: len(self.with_status(s)) for s in
                       ("drifted", "clean", "failed", "cancelled", "held", "not-started", "not-deployed")},
            "tenants_affected": self.tenants,
            "stacks": [s.to_json() for s in self.stacks],
            "log_dir": self.log_dir,
            "stopped": self.stopped,
        }
        return dict(redact_data(document))


# -- text ----------------------------------------------------------------------------------------


def drift_lines(report: DriftReport) -> list[str]:
    """The command's text: one line per stack drifted or failed (the progress display already named
    the held ones), its findings indented, then totals; when nothing was run, which selection had no
    deployed stack."""
    lines = []
    for found in report.stacks:
        if found.status in ("clean", "not-deployed", "held"):  # counted in the totals; the progress named held ones
            continue
        unrecorded = "" if found.recorded else " (NOT RECORDED: the ledger did not take it)"
        if found.status == "drifted":
            lines.append(f"DRIFTED {found.stack}: {_resources(found.resources)}" + _served(found.tenants) + unrecorded)
            lines += [f"    {f.describe()}" for f in found.findings[:TEXT_RESOURCES]]
            shown = min(len(found.findings), TEXT_RESOURCES)
            if found.resources > shown:
                lines.append(f"    and {found.resources - shown} more (see --json or the log)")
        else:
            lines.append(f"{found.status} {found.stack}: {found.error or found.status}{unrecorded}")
    if report.run_id is None:  # nothing to check: nothing was run
        skipped = len(report.with_status("not-deployed"))
        where = "in the fleet" if report.scope == "the fleet" else f"matches {report.scope}"
        lines.append(f"no deployed stack {where}" + (f" ({skipped} not deployed)" if skipped else "")
                     + ": nothing checked")
    else:
        lines.append(f"run {report.run_id}: {report.summary.split(': ', 1)[1]}")
    if report.tenants:
        lines.append(f"tenants affected: {', '.join(report.tenants)}")
    return [redact(line) for line in lines]


def _resources(count: int) -> str:
    return f"{count} resource{'s' if count != 1 else ''} drifted"


def _served(tenants: Sequence[str]) -> str:
    return f" (tenants: {', '.join(tenants)})" if tenants else " (untenanted)"


# -- Markdown (the drift issue) ------------------------------------------------------------------


def _text(value: object) -> str:
    """Outside text, inert in the issue: no link, image, mention, HTML or control character."""
    return markdown_text(value)


def _code(value: object) -> str:
    return f"<code>{_text(value)}</code>"


def drift_markdown(report: DriftReport, limit: int = ISSUE_LIMIT) -> str:
    """The drift issue's body: at most `limit` characters. Every stack that is not clean is named
    in the list under the totals (capped to a quarter of the limit, then "and N more"); then one
    section per stack (at most SECTION_RESOURCES findings of SECTION_PROPERTIES properties each),
    sections cut last-first with a note naming where."""
    shown = [s for s in report.stacks if s.status not in ("clean", "not-deployed")]
    head = redact("\n".join(_header(report)) + _names(shown, limit // NAMES_SHARE) + "\n")
    sections = [(s.stack, redact(_section(s))) for s in shown]
    body = head + ("### Stacks\n\n" if sections else "")
    for index, (name, section) in enumerate(sections):
        rest = len(sections) - index
        note = (f"**Truncated:** {rest} stack section(s) left out to stay under {limit:,} characters, "
                f"from <code>{_text(name)}</code> on; the JSON document has every stack.\n")
        if len(body) + len(section) + len(note) > limit:
            body += note
            break
        body += section
    return body if len(body) <= limit else body[: limit - 40] + "\n\n**Truncated.**\n"


def _names(shown: Sequence[StackDrift], budget: int) -> str:
    """`**Not clean:** `a` (drifted), `b` (failed), ...` within `budget` characters."""
    if not shown:
        return ""
    line = f"**Not clean ({len(shown)}):** "
    for index, found in enumerate(shown):
        item = f"{'' if index == 0 else ', '}{_code(found.stack)} ({_text(found.status)})"
        more = f", and {len(shown) - index} more (the JSON document has every stack)"
        if len(line) + len(item) + len(more) > budget and index < len(shown) - 1:
            return line + (more if index else more[2:]) + "\n\n"
        line += item
    return line + "\n\n"


def _header(report: DriftReport) -> list[str]:
    title = {"clean": "No drift", "drifted": "Drift found", "failed": "Drift check incomplete",
             "held": "No drift (some stacks not checked)"}[report.status]
    if report.status == "held" and report.drifted:
        title = "Drift found (some stacks not checked)"
    simulated = " (simulated by the mock engine)" if report.simulated else ""
    lines = [MARKER, f"## {title}: {_text(report.scope)}{simulated}", ""]
    counts = report.to_json()["counts"]
    lines.append("| drifted | clean | could not check | held | not deployed |")
    lines.append("|---:|---:|---:|---:|---:|")
    problems = counts["failed"] + counts["cancelled"] + counts["not-started"]
    cells = (counts["drifted"], counts["clean"], problems, counts["held"], counts["not-deployed"])
    lines.append("| " + " | ".join(map(str, cells)) + " |")
    lines.append("")
    if report.tenants:
        lines.append(f"**Tenants affected:** {', '.join(_text(t) for t in report.tenants)}")
        lines.append("")
    if report.drifted:
        lines.append("A drifted stack is deployed again by the next `platform up` of its wave (through the "
                     "lifecycle), which restores its configuration.")
        lines.append("")
    if report.run_id:
        lines.append(f"Run `{_text(report.run_id)}`.")
        lines.append("")
    return lines


def _section(found: StackDrift) -> str:
    what = _resources(found.resources) if found.status == "drifted" else _text(found.status)
    tenants = ", ".join(_text(t) for t in found.tenants) or "untenanted"
    lines = [f"<details><summary><code>{_text(found.stack)}</code>: {what} ({tenants})</summary>", ""]
    if found.status == "drifted":
        lines += ["| | resource | properties changed outside Pulumi |", "|---|---|---|"]
        for f in found.findings[:SECTION_RESOURCES]:
            props = ", ".join(_code(p) for p in f.properties[:SECTION_PROPERTIES]) or "—"
            if len(f.properties) > SECTION_PROPERTIES:
                props += f" and {len(f.properties) - SECTION_PROPERTIES} more"
            props = "deleted" if f.op == "delete" else props
            lines.append(f"| {'-' if f.op == 'delete' else '~'} | {_code(f.type)} {_code(f.name)} | {props} |")
        listed = min(len(found.findings), SECTION_RESOURCES)
        if found.resources > listed:
            lines.append(f"| | and {found.resources - listed} more | see the JSON document or the log |")
    else:
        lines.append(f"**Reason:** {_text(found.error or found.status)}")
    lines += ["", "</details>", ""]
    return "\n".join(lines) + "\n"
