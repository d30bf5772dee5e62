"""The runs view: recent runs (who, what, when, how long, how many stacks ended how) and one run's
stacks. Pure: built from the ledger's run and deployment records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

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


def run_row(run: RunRecord, counts: Mapping[str, int], now: datetime) -> RunRow:
    ordered = tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return RunRow(
        id=run.id,
        command=run.command,
        release=run.release,
        wave=run.wave,
        status=run.status,
        user=shown(run.user, 200) or "unknown",
        started=iso(run.started_at),
        duration=duration(run.started_at, run.ended_at, now),
        counts=ordered,
        simulated=run.simulated,
        detail=shown(run.detail),
    )


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
