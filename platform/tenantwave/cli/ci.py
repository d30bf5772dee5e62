"""`platform ci github`: the GitHub Actions rollout workflow, generated so its jobs match the waves."""

from __future__ import annotations

from pathlib import Path

import click

from tenantwave.cli.application import Application
from tenantwave.cli.options import common_options
from tenantwave.errors import EXIT_FAILED, UsageError


@click.group()
def ci() -> None:
    """CI pipelines generated from the project (one job per wave)."""


@ci.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default: print it).")
@click.option(
    "--shards",
    type=click.IntRange(1, 256),
    default=4,
    show_default=True,
    help="At most this many parallel jobs (--shard k/n) for a wave larger than the rollout concurrency.",
)
@click.option("--check", is_flag=True, help="Exit 1 if --output differs from what would be generated.")
@common_options
@click.pass_obj
def github(app: Application, output: Path | None, shards: int, check: bool) -> None:
    """Write .github/workflows/rollout.yml: on a release tag, one job per wave, in order."""
    from tenantwave.ci.workflows import rollout_workflow

    text = rollout_workflow(app.project(), shards)
    if check:
        if output is None:
            raise UsageError("--check needs --output FILE: the workflow to compare")
        current = output.read_text(encoding="utf-8") if output.is_file() else None
        if current != text:
            click.echo(f"{output} is out of date: run `platform ci github --output {output}`", err=True)
            raise SystemExit(EXIT_FAILED)
        click.echo(f"{output} matches the waves")
        return
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"wrote {output}")
