"""Commands for a wave's health: verify, rollback, and the automatic rollback after `up`."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

import click

from tenantwave.cli.deploy import _report, _run, json_option, report_json
from tenantwave.errors import EXIT_BLOCKED, EXIT_FAILED, EXIT_OK, UsageError


@click.command()
@click.option("--release", "-r", required=True, metavar="VERSION", help="The release the wave runs.")
@click.option("--wave", "-w", type=int, required=True, metavar="N", help="The wave to check.")
@click.option("--engine", metavar="NAME", help="pulumi, mock or module:factory (reads the stacks' outputs).")
@json_option
@click.pass_obj
def verify(options: Any, release: str, wave: int, engine: str | None, as_json: bool) -> None:
    """Run the health checks of a wave's stacks again and record the verdict (exit 0 healthy, 1 not).

    After the bake time of a phase with checks, the next wave's gate waits for a passing verify.
    """
    from tenantwave.engine.registry import open_engine
    from tenantwave.planning.release import check_release
    from tenantwave.rollout.verify import verify_wave

    check_release(release)
    if engine:
        options.engine = engine
    workspace = options.workspace()
    opened = open_engine(workspace)
    try:
        report = verify_wave(workspace, opened, release, wave, workspace.project.platform.rollout.concurrency)
    finally:
        opened.close()
    if as_json:
        click.echo(json.dumps(_verify_json(report), indent=2))
    elif report.run_id is None:
        click.echo(f"wave {wave} (phase {report.phase}) has no health checks: nothing to verify")
    else:
        click.echo(f"verify {release}, wave {wave} (phase {report.phase}): {len(report.verdicts)} stack(s)")
        for verdict in report.verdicts:
            mark = "ok     " if verdict.passed else "FAILED "
            log = f" (log {verdict.log_path})" if verdict.log_path and not verdict.passed else ""
            click.echo(f"  {mark} {verdict.stack}: {verdict.summary}{log}")
        click.echo(f"run {report.run_id}: {report.summary}")
    sys.exit(EXIT_OK if report.passed else EXIT_FAILED)


def _verify_json(report: Any) -> dict[str, Any]:
    return {
        "run": report.run_id,
        "release": report.release,
        "wave": report.wave,
        "phase": report.phase,
        "passed": report.passed,
        "stacks": [
            {
                "name": v.stack,
                "passed": v.passed,
                "summary": v.summary,
                "log": v.log_path,
                "checks": [
                    {"name": c.name, "kind": c.kind, "passed": c.passed, "summary": c.summary} for c in v.checks
                ],
            }
            for v in report.verdicts
        ],
    }


@click.command()
@click.option("--wave", "-w", type=int, metavar="N", help="Roll back the stacks of this wave.")
@click.option("--stack", "stacks", multiple=True, metavar="NAME", help="Roll back this stack (repeatable).")
@click.option("--tenant", "tenants", multiple=True, metavar="ID", help="Roll back the stacks serving this tenant.")
@click.option("--to", "to", metavar="VERSION", help="The release to go back to (default: each stack's previous one).")
@click.option("--release", "-r", metavar="VERSION", help="Only stacks that run this release now.")
@click.option("--skip-hooks", is_flag=True, help="Do not run the tiers' before_deploy hooks (recorded in the ledger).")
@click.option("--concurrency", "-c", type=click.IntRange(1, 256), help="Stacks at once (default: platform.yaml).")
@click.option("--engine", metavar="NAME", help="pulumi, mock or module:factory.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
@click.pass_obj
def rollback(options: Any, wave: int | None, stacks: tuple[str, ...], tenants: tuple[str, ...], to: str | None,
             release: str | None, skip_hooks: bool, concurrency: int | None, engine: str | None, yes: bool,
             as_json: bool) -> None:
    """Redeploy the release each selected stack ran before (or --to VERSION), recorded as a rollback."""
    from tenantwave.planning.release import check_release
    from tenantwave.planning.selection import Targets
    from tenantwave.rollout.rollback import plan_rollback

    targets = Targets(stacks, tenants)
    if (wave is None) == (not targets):
        raise UsageError("choose what to roll back: --wave N, or --stack NAME / --tenant ID (not both)")
    for version in (to, release):
        if version is not None:
            check_release(version)
    if engine:
        options.engine = engine
    workspace = options.workspace()
    plan = plan_rollback(workspace, wave=wave, targets=targets, to=to, release=release)
    if not as_json:
        _describe(plan)
    runnable = sum(len(run.runnable) for run in plan.runs)
    if runnable and not yes and sys.stdin.isatty() and not click.confirm(
        f"roll back {runnable} stack(s)?", default=False
    ):
        click.echo("nothing rolled back")
        return
    outcome = _execute(workspace, plan, concurrency, skip_hooks, as_json)
    if as_json:
        click.echo(json.dumps(outcome.to_json(), indent=2))
    elif not outcome.reports:
        click.echo("nothing rolled back")
    sys.exit(outcome.exit_code)


def auto_rollback(workspace: Any, report: Any, run_options: Any, as_json: bool) -> Rollbacks | None:
    """After `up`: roll back the run's failed or unhealthy stacks whose phase sets auto_rollback
    (only stacks of this run, so never another wave's). None when there is nothing to do."""
    from tenantwave.planning.selection import Targets
    from tenantwave.rollout.rollback import auto_rollback_stacks, plan_rollback

    names = auto_rollback_stacks(workspace, report)
    if report.cancelled or not names:
        return None
    plan = plan_rollback(workspace, targets=Targets(stacks=names))
    if not as_json:
        click.echo(f"auto_rollback: {len(names)} failed or unhealthy stack(s)")
        _describe(plan)
    return _execute(workspace, plan, run_options.concurrency, run_options.skip_hooks, as_json)


@dataclass
class Rollbacks:
    plan: Any
    reports: list[Any]

    @property
    def exit_code(self) -> int:
        codes = [r.exit_code for r in self.reports]
        if EXIT_FAILED in codes:
            return EXIT_FAILED
        if any(r.count("succeeded") for r in self.reports):
            return EXIT_OK
        blocked = self.plan.skipped or any(run.with_state("blocked") for run in self.plan.runs)
        return EXIT_BLOCKED if blocked else EXIT_OK

    def to_json(self) -> dict[str, Any]:
        return {
            "stacks": [
                {"name": c.stack.name, "running": c.running, "target": c.target, "reason": c.reason}
                for c in self.plan.choices
            ],
            "runs": [report_json(r) for r in self.reports],
            "blocked": [
                {"name": p.stack.name, "reason": p.reason} for run in self.plan.runs for p in run.with_state("blocked")
            ],
        }


def _describe(plan: Any) -> None:
    for choice in plan.skipped:
        click.echo(f"  skip     {choice.stack.name}: {choice.reason}")
    for run in plan.runs:
        for item in run.with_state("blocked"):
            click.echo(f"  blocked  {item.stack.name}: {item.reason} (rollback to {run.release})")
        for item in run.with_state("eligible"):
            click.echo(f"  rollback {item.stack.name}: {item.reason}")


def _execute(workspace: Any, plan: Any, concurrency: int | None, skip_hooks: bool, as_json: bool) -> Rollbacks:
    from tenantwave.rollout.runner import RunOptions

    reports = []
    for run in plan.runs:
        if not run.runnable:
            continue
        options = RunOptions(
            concurrency=concurrency or workspace.project.platform.rollout.concurrency,
            operation="rollback",
            failure_budget=len(run.runnable),  # one stack failing to go back never stops the others
            force=True,  # the ledger may already see the stack on the target (an unhealthy update)
            skip_hooks=skip_hooks,
        )
        report = _run(workspace, run, options, as_json, command="rollback")
        if not as_json:
            _report(report, as_json)
        reports.append(report)
    return Rollbacks(plan, reports)
