"""The runs view: recent runs (who, what, when, how long, how many stacks ended how) and one run's
stacks. A drift run (`platform drift`) is a drift check, not a deployment: its counts are its
checks' (drifted, clean, failed), its status `drifted` when a check found drift (`clean` when none
did and it succeeded), and its page lists each stack's check with its findings. Pure: built from
the ledger's run, deployment and drift records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from tenantwave.ledger.driftreads import DriftCheck
from tenantwave.ledger.records import DeploymentRecord, RunRecord
from tenantwave.views.outside import shown


@dataclass(frozen=True, slots=True)
class RunRow:
    id: str
    command: str
    release: str
    wave: int | None
    status: str
    user: str
    started: str  # ISO 8601 UTC
    duration: str  # "1 min 4 s", "running for 12 s"
    counts: tuple[tuple[str, int], ...]  # (status, stacks), most frequent first
    simulated: bool
    detail: str
    kind: str = "deployment"  # or "drift": a drift check (its counts and status are its checks')

    @property
    def what(self) -> str:
        wave = f" --wave {self.wave}" if self.wave is not None else ""
        if self.command == "drift":  # checks each stack on what it runs: no release
            return f"drift{wave}"
        return f"{self.command} --release {self.release}{wave}"


@dataclass(frozen=True, slots=True)
class DeploymentRow:
    id: int
    stack: str
    environment: str
    operation: str
    release: str
    revision: str | None
    status: str
    started: str
    duration: str
    tenants: tuple[str, ...]
    error: str  # redacted, capped
    run_id: str
    has_log: bool


def run_rows(runs: Sequence[RunRecord], counts: Mapping[str, Mapping[str, int]], now: datetime) -> list[RunRow]:
    return [run_row(run, counts.get(run.id, {}), now) for run in runs]


@dataclass(frozen=True, slots=True)
class CheckRow:
    """One stack's drift check in a drift run."""

    stack: str
    environment: str
    status: str  # drifted | clean | failed | running | cancelled | abandoned
    resources: int | None
    findings: tuple[str, ...]  # "update aws:sqs/queue:Queue jobs", redacted, capped
    started: str
    duration: str
    error: str


FINDINGS_SHOWN = 20  # per stack; the rest is counted


def is_drift(run: RunRecord) -> bool:
    return run.command == "drift"


def run_row(run: RunRecord, counts: Mapping[str, int], now: datetime) -> RunRow:
    """`counts`: its deployments' statuses, or for a drift run its checks' (drift_counts)."""
    ordered = tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    status = run.status
    if is_drift(run) and counts.get("drifted"):
        status = "drifted"
    elif is_drift(run) and run.status == "succeeded":
        status = "clean"
    return RunRow(
        id=run.id,
        command=run.command,
        release=run.release,
        wave=run.wave,
        status=status,
        user=shown(run.user, 200) or "unknown",
        started=iso(run.started_at),
        duration=duration(run.started_at, run.ended_at, now),
        counts=ordered,
        simulated=run.simulated,
        detail=shown(run.detail),
        kind="drift" if is_drift(run) else "deployment",
    )


def check_rows(checks: Sequence[DriftCheck], now: datetime) -> list[CheckRow]:
    """A drift run's checks, in the order they were made."""
    return [
        CheckRow(
            stack=c.stack,
            environment=c.environment,
            status=c.status,
            resources=c.resources,
            findings=_findings(c.findings),
            started=iso(c.started_at),
            duration=duration(c.started_at, c.ended_at, now),
            error=shown(c.error),
        )
        for c in checks
    ]


def _findings(findings: Sequence[Mapping[str, object]]) -> tuple[str, ...]:
    shown_ = [
        shown(" ".join(str(f.get(key) or "") for key in ("op", "type", "name")).strip(), 400)
        for f in findings[:FINDINGS_SHOWN]
    ]
    if len(findings) > FINDINGS_SHOWN:
        shown_.append(f"and {len(findings) - FINDINGS_SHOWN} more")
    return tuple(shown_)


def deployment_rows(records: Sequence[DeploymentRecord], now: datetime) -> list[DeploymentRow]:
    return [
        DeploymentRow(
            id=r.id,
            stack=r.stack,
            environment=r.environment,
            operation=r.operation,
            release=r.release,
            revision=r.revision,
            status=r.status,
            started=iso(r.started_at),
            duration=duration(r.started_at, r.ended_at, now),
            tenants=r.tenants,
            error=shown(r.error),
            run_id=r.run_id,
            has_log=bool(r.log_path),
        )
        for r in records
    ]


def duration(start: datetime, end: datetime | None, now: datetime) -> str:
    seconds = max(0, int(((end or now) - start).total_seconds()))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{hours} h {minutes} min" if hours else f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
    return text if end is not None else f"running for {text}"


def iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds") + "Z"
