"""Commands for a wave's health: verify and rollback (also run after `up` by auto_rollback)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from tenantwave.cli import completion
from tenantwave.cli.application import Application, exit_code
from tenantwave.cli.deploy import show_report
from tenantwave.cli.options import (
    common_options,
    concurrency_option,
    json_option,
    release_option,
    release_value,
    skip_hooks_option,
    yes_option,
)
from tenantwave.errors import EXIT_FAILED, EXIT_OK, UsageError

if TYPE_CHECKING:
    from tenantwave.rollout.prepare import RolloutPlan
    from tenantwave.rollout.report import RunReport
    from tenantwave.rollout.rollback import RollbackPlan
    from tenantwave.rollout.rollbacks import Rollbacks
    from tenantwave.rollout.verify import VerifyReport


@click.command()
@release_option("The release the wave runs.")
@click.option("--wave", "-w", type=int, required=True, metavar="N", help="The wave to check.")
@json_option
@common_options
@click.pass_obj
def verify(app: Application, release: str, wave: int, as_json: bool) -> None:
    """Run the health checks of a wave's stacks again and record the verdict (exit 0 healthy, 1 not).

    After the bake time of a phase with checks, the next wave's gate waits for a passing verify.
    """
    from tenantwave.engine.registry import opened_engine
    from tenantwave.rollout.verify import verify_wave

    workspace = app.workspace(writes=True)
    with opened_engine(workspace) as engine:
        report = verify_wave(workspace, engine, release, wave, workspace.project.platform.rollout.concurrency)
    if as_json:
        app.echo_json(_verify_json(report))
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


def _verify_json(report: VerifyReport) -> dict[str, Any]:
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
@click.option("--stack", "stacks", multiple=True, metavar="NAME", help="Roll back this stack (repeatable).",
              shell_complete=completion.stacks)
@click.option("--tenant", "tenants", multiple=True, metavar="ID", help="Roll back the stacks serving this tenant.",
              shell_complete=completion.tenants)
@click.option(
    "--to", "to", metavar="VERSION", callback=release_value,
    help="The release to go back to (default: each stack's previous one).",
)
@release_option("Only stacks that run this release now.", required=False)
@click.option("--force", is_flag=True, help="Go --to a release no selected stack ever ran successfully.")
@skip_hooks_option
@concurrency_option
@yes_option
@json_option
@common_options
@click.pass_obj
def rollback(app: Application, wave: int | None, stacks: tuple[str, ...], tenants: tuple[str, ...], to: str | None,
             release: str | None, force: bool, skip_hooks: bool, concurrency: int | None, yes: bool,
             as_json: bool) -> None:
    """Redeploy the release each selected stack ran before (or --to VERSION), recorded as a rollback."""
    from tenantwave.planning.selection import Targets
    from tenantwave.rollout.rollback import plan_rollback

    targets = Targets(stacks, tenants)
    if (wave is None) == (not targets):
        raise UsageError("choose what to roll back: --wave N, or --stack NAME / --tenant ID (not both)")
    workspace = app.workspace(writes=True)
    plan = plan_rollback(workspace, wave=wave, targets=targets, to=to, release=release, force=force)
    if not as_json:
        describe_rollback(plan)
    runnable = sum(len(run.runnable) for run in plan.runs)
    if runnable and not yes:
        app.confirm(f"roll back {runnable} stack(s)?", declined="nothing rolled back")
    outcome = run_rollback(app, plan, concurrency, skip_hooks, as_json)
    if as_json:
        app.echo_json(outcome.to_json())
    elif not outcome.reports:
        click.echo("nothing rolled back")
    sys.exit(exit_code(outcome.status))


def run_rollback(app: Application, plan: RollbackPlan, concurrency: int | None, skip_hooks: bool,
                 as_json: bool, *, automatic: bool = False) -> Rollbacks:
    """Carry a rollback plan out (`platform rollback`, and auto_rollback after `up`), showing each run,
    and tell the webhooks that want it how it went."""
    from tenantwave.rollout.rollbacks import execute_rollback
    from tenantwave.rollout.runner import RunOptions

    def run(rollout: RolloutPlan, options: RunOptions) -> RunReport:
        report = app.run(rollout, options, as_json=as_json, command="rollback")
        if not as_json:
            show_report(report, app.workspace().engine)
        return report

    rollbacks = execute_rollback(app.workspace(), plan, run, concurrency=concurrency, skip_hooks=skip_hooks)
    app.notifications.rollback_done(rollbacks, automatic=automatic)
    return rollbacks


def describe_rollback(plan: RollbackPlan) -> None:
    for choice in plan.skipped:
        click.echo(f"  skip     {choice.stack.name}: {choice.reason}")
    for run in plan.runs:
        for item in run.with_state("blocked"):
            click.echo(f"  blocked  {item.stack.name}: {item.reason} (rollback to {run.release})")
        for item in run.with_state("eligible"):
            click.echo(f"  rollback {item.stack.name}: {item.reason}")
