"""`platform ci github`: the GitHub Actions rollout workflow, generated so its jobs match the waves."""

from __future__ import annotations

from pathlib import Path

import click

from tenantwave.cli.application import Application
from tenantwave.cli.options import common_options
from tenantwave.cli.outputs import prepare_output, write_output
from tenantwave.errors import EXIT_FAILED


@click.group()
def ci() -> None:
    """CI pipelines generated from the project (one job per wave)."""


@ci.command()
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
    help="Write here (default: print it; with --check: .github/workflows/rollout.yml of the project).",
)
@click.option(
    "--shards",
    type=click.IntRange(1, 256),
    default=4,
    show_default=True,
    help="At most this many parallel jobs (--shard k/n) for a wave larger than the rollout concurrency.",
)
@click.option("--check", is_flag=True, help="Exit 1 if the workflow file differs from what would be generated.")
@common_options
@click.pass_obj
def github(app: Application, output: Path | None, shards: int, check: bool) -> None:
    """Write .github/workflows/rollout.yml: on a release tag, one job per wave, in order."""
    from tenantwave.ci.workflows import DEFAULT_SHARDS, WORKFLOW_PATH, rollout_workflow

    project = app.project()
    text = rollout_workflow(project, shards)
    if check:
        target = output if output is not None else project.root / WORKFLOW_PATH
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current != text:
            again = "platform ci github" + (f" --shards {shards}" if shards != DEFAULT_SHARDS else "")
            state = "is out of date" if current is not None else "does not exist"
            click.echo(f"{target} {state}: run `{again} --output {target}`", err=True)
            raise SystemExit(EXIT_FAILED)
        click.echo(f"{target} matches the waves")
        return
    if output is None:
        click.echo(text, nl=False)
        return
    prepare_output(output, "--output")
    write_output(output, text, "--output")
    click.echo(f"wrote {output}")
