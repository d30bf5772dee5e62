"""`platform ci github`: the GitHub Actions rollout workflow, generated so its jobs match the waves, and the
scheduled drift workflow (`--workflow drift`), one job per environment."""

from __future__ import annotations

from pathlib import Path

import click

from tenantwave.cli.application import Application
from tenantwave.cli.options import common_options
from tenantwave.cli.outputs import prepare_output, write_output
from tenantwave.errors import EXIT_FAILED, UsageError


@click.group()
def ci() -> None:
    """CI pipelines generated from the project (one job per wave)."""


@ci.command()
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
    help="Write here (default: print it; with --check: .github/workflows/rollout.yml, or drift.yml, of the project).",
)
@click.option(
    "--shards",
    type=click.IntRange(1, 256),
    default=4,
    show_default=True,
    help="At most this many parallel jobs (--shard k/n) for a wave larger than the rollout concurrency.",
)
@click.option("--check", is_flag=True, help="Exit 1 if the workflow file differs from what would be generated.")
@click.option(
    "--workflow", type=click.Choice(["rollout", "drift"]), default="rollout", show_default=True,
    help="rollout: one job per wave on a release tag; drift: a scheduled drift check, one job per environment.",
)
@click.option("--schedule", metavar="CRON",
              help='The drift workflow\'s cron schedule (default "17 5 * * *", daily; with --check, the file\'s).')
@common_options
@click.pass_obj
def github(app: Application, output: Path | None, shards: int, check: bool, workflow: str,
           schedule: str | None) -> None:
    """Write .github/workflows/rollout.yml: on a release tag, one job per wave, in order.

    With --workflow drift, .github/workflows/drift.yml: `platform drift` on a schedule, one job per
    environment, and one GitHub issue with the drift report, updated on every run.
    """
    from tenantwave.ci.driftworkflow import DEFAULT_SCHEDULE, DRIFT_WORKFLOW_PATH, drift_workflow, schedule_in
    from tenantwave.ci.workflows import DEFAULT_SHARDS, WORKFLOW_PATH, rollout_workflow

    if schedule is not None and workflow != "drift":
        raise UsageError("--schedule is for --workflow drift")
    project = app.project()
    drifting = workflow == "drift"
    target = output if output is not None else project.root / (DRIFT_WORKFLOW_PATH if drifting else WORKFLOW_PATH)
    current = target.read_text(encoding="utf-8") if check and target.is_file() else None
    if drifting and schedule is None and current is not None:
        schedule = schedule_in(current)  # --check keeps the schedule the file was generated with
        schedule = None if schedule == DEFAULT_SCHEDULE else schedule
    text = drift_workflow(project, schedule or DEFAULT_SCHEDULE) if drifting else rollout_workflow(project, shards)
    if check:
        if current != text:
            again = "platform ci github" + (f" --shards {shards}" if shards != DEFAULT_SHARDS else "")
            if drifting:
                again += " --workflow drift" + (f' --schedule "{schedule}"' if schedule else "")
            state = "is out of date" if current is not None else "does not exist"
            click.echo(f"{target} {state}: run `{again} --output {target}`", err=True)
            raise SystemExit(EXIT_FAILED)
        click.echo(f"{target} matches the {'environments' if drifting else 'waves'}")
        return
    if output is None:
        click.echo(text, nl=False)
        return
    prepare_output(output, "--output")
    write_output(output, text, "--output")
    click.echo(f"wrote {output}")
