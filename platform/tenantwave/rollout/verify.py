"""`platform verify`: run the health checks of a wave's stacks again, on demand or after the bake.

Each stack of the wave that runs the release (its last deployment of it succeeded or was found
unhealthy) is checked with its phase's checks, against the outputs the engine reports now. The
verdict is recorded: the run (command `verify`, with a one-line summary as its detail) and each
stack's deployment, marked `unhealthy` when a check fails or `succeeded` again when all pass. A
stack that is not on the release fails the verification without being checked. The wave gate
reads the last verification of the previous wave (see `gate`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tenantwave.config.checks import CommandCheck, HttpCheck
from tenantwave.engine.base import Engine, StackJob
from tenantwave.errors import UsageError
from tenantwave.ledger.records import DeploymentRecord
from tenantwave.planning.inventory import Stack, build_inventory
from tenantwave.planning.plan import check_wave
from tenantwave.planning.stackconfig import stack_config
from tenantwave.planning.waves import build_waves
from tenantwave.planning.workspace import Workspace
from tenantwave.privacy.files import private_dirs
from tenantwave.rollout.checks import CheckResult, CheckTarget, failure_summary, passed_summary, run_checks
from tenantwave.rollout.stackhealth import stack_outputs, write_results

CHECKED = ("succeeded", "unhealthy")
Check = HttpCheck | CommandCheck


@dataclass(frozen=True)
class StackVerdict:
    stack: str
    passed: bool
    summary: str
    log_path: str | None = None
    checks: tuple[CheckResult, ...] = ()


@dataclass(frozen=True)
class VerifyReport:
    release: str
    wave: int
    phase: str
    run_id: str | None  # None: the phase has no checks, nothing was run or recorded
    verdicts: tuple[StackVerdict, ...]

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)

    @property
    def summary(self) -> str:
        failed = [v for v in self.verdicts if not v.passed]
        if not failed:
            return f"{len(self.verdicts)} stack(s) healthy"
        shown = "; ".join(f"{v.stack}: {v.summary}" for v in failed[:3])
        more = f"; and {len(failed) - 3} more" if len(failed) > 3 else ""
        return f"{len(failed)} of {len(self.verdicts)} stack(s) failed: {shown}{more}"


def verify_wave(workspace: Workspace, engine: Engine, release: str, wave: int, concurrency: int = 8) -> VerifyReport:
    project, ledger = workspace.project, workspace.ledger
    waves = build_waves(project, build_inventory(project))
    check_wave(wave, len(waves))
    chosen = waves[wave - 1]
    checks = project.platform.rollout.for_wave(chosen.phase, chosen.tier_wave, chosen.ring).checks
    if not checks:
        return VerifyReport(release, wave, chosen.phase, None, ())
    results = ledger.stack_results(release, [s.name for s in chosen.stacks])
    latest = {status.stack: status.last for status in ledger.status()}  # any operation, any release
    run_id = ledger.start_run(
        release=release, command="verify", engine=engine.name, wave=wave, simulated=engine.simulated
    )
    log_dir = workspace.state_dir / "logs" / run_id
    try:
        private_dirs(log_dir, within=workspace.state_dir)
    except OSError as exc:
        ledger.finish_run(run_id, "failed", detail=f"cannot create {log_dir}: {exc}")
        raise UsageError(f"cannot create the log directory {log_dir}: {exc.strerror or exc}") from None
    verifier = _Verifier(workspace, engine, release, checks, log_dir)
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(chosen.stacks)))) as pool:
        verdicts = tuple(pool.map(lambda s: verifier.stack(s, results.get(s.name), latest.get(s.name)), chosen.stacks))
    report = VerifyReport(release, wave, chosen.phase, run_id, verdicts)
    ledger.finish_run(run_id, "succeeded" if report.passed else "failed", detail=report.summary)
    return report


class _Verifier:
    def __init__(
        self, workspace: Workspace, engine: Engine, release: str, checks: tuple[Check, ...], log_dir: Path
    ) -> None:
        self.workspace = workspace
        self.engine = engine
        self.release = release
        self.checks = checks
        self.log_dir = log_dir

    def stack(self, stack: Stack, record: DeploymentRecord | None, latest: DeploymentRecord | None) -> StackVerdict:
        if record is None or record.status not in CHECKED:
            state = "not deployed" if record is None else f"its last deployment {record.status}"
            return StackVerdict(stack.name, False, f"not on {self.release} ({state}): not checked")
        if latest is not None and latest.id != record.id:  # rolled back, redeployed or destroyed since
            since = f"{latest.operation} {latest.release} {latest.status} since"
            return StackVerdict(stack.name, False, f"not on {self.release} ({since}): not checked")
        log_path = self.log_dir / f"{stack.name}.log"
        project = self.workspace.project
        job = StackJob(stack=stack, release=self.release, config=stack_config(project, stack, self.release),
                       log_path=log_path)
        outputs = stack_outputs(self.engine, job)
        target = CheckTarget(stack, self.release, outputs)
        results = run_checks(self.checks, target, project.root, simulated=self.engine.simulated)
        write_results(log_path, stack.name, results)
        summary = failure_summary(results)
        self.workspace.ledger.mark_health(record.id, healthy=summary is None, error=summary)
        return StackVerdict(
            stack.name,
            summary is None,
            summary or passed_summary(results),
            str(log_path),
            tuple(results),
        )
