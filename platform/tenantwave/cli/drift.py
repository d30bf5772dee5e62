"""`platform drift`: check the fleet (or a wave, or targets) for resources changed outside the tool."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tenantwave.cli.application import Application
from tenantwave.cli.options import common_options, concurrency_option, json_option, target_options
from tenantwave.cli.outputs import prepare_output, write_output
from tenantwave.cli.text import printable
from tenantwave.errors import EXIT_BLOCKED, EXIT_DRIFT, EXIT_FAILED, EXIT_OK

if TYPE_CHECKING:
    from tenantwave.rollout.drift import DriftOptions, DriftPlan
    from tenantwave.rollout.driftreport import DriftReport

# the run's drift status -> the documented exit code (docs/commands.md#exit-codes)
DRIFT_EXIT_CODES = {"clean": EXIT_OK, "drifted": EXIT_DRIFT, "failed": EXIT_FAILED, "held": EXIT_BLOCKED}
file_type = click.Path(dir_okay=False, path_type=Path)


@click.command()
@click.option("--wave", "-w", type=int, metavar="N", help="Only the stacks of wave N.")
@target_options
@concurrency_option
@click.option("--markdown", "markdown_file", type=file_type, help="Write the drift report (Markdown) here.")
@click.option("--json-file", "json_file", type=file_type, help="Write the JSON document here.")
@json_option
@common_options
@click.pass_obj
def drift(app: Application, wave: int | None, stacks: tuple[str, ...], tenants: tuple[str, ...],
          tiers: tuple[str, ...], envs: tuple[str, ...], concurrency: int | None, markdown_file: Path | None,
          json_file: Path | None, as_json: bool) -> None:
    """Compare each deployed stack with the cloud (pulumi refresh --preview-only); change nothing.

    Drift found is recorded: status, plan and tenant list show it, and the next `up` of the stack's
    wave deploys it again. Exit codes: 0 no drift, 4 drift found (0 and 4: every stack checked),
    1 a stack could not be checked, 3 a stack was held by another run, 2 bad input.
    """
    from tenantwave.planning.selection import Targets
    from tenantwave.rollout.drift import DriftOptions, plan_drift
    from tenantwave.rollout.driftreport import drift_lines, drift_markdown

    for path, option in ((markdown_file, "--markdown"), (json_file, "--json-file")):
        if path is not None:
            prepare_output(path, option)  # before the checks: a bad path fails at once
    workspace = app.workspace(writes=True)
    plan = plan_drift(workspace, wave=wave, targets=Targets(stacks, tenants, tiers, envs))
    if not as_json:
        not_deployed = f", {len(plan.not_deployed)} not deployed" if plan.not_deployed else ""
        click.echo(f"drift check of {plan.scope}: {len(plan.stacks)} deployed stack(s){not_deployed}")
    options = DriftOptions(concurrency=concurrency or workspace.project.platform.rollout.concurrency)
    report = _check(app, plan, options, as_json)
    app.notifications.drift_found(report)
    if markdown_file is not None:
        write_output(markdown_file, drift_markdown(report), "--markdown")
    if json_file is not None:
        write_output(json_file, _json_text(report), "--json-file")
    if as_json:
        app.echo_json(report.to_json())
    else:
        for line in drift_lines(report):
            click.echo(printable(line, one_line=True))
        if report.simulated:
            click.echo(f"simulated by the {workspace.engine} engine: nothing was read from a cloud")
        if report.stopped is not None:
            click.echo(printable(f"error: {report.stopped}", one_line=True), err=True)
    sys.exit(DRIFT_EXIT_CODES[report.status])


def _check(app: Application, plan: DriftPlan, options: DriftOptions, as_json: bool) -> DriftReport:
    """The checks, with the same progress display and Ctrl-C handling as `up` (Application's)."""
    from tenantwave.rollout.drift import check_drift

    with app._running(as_json) as (listener, cancel):  # the front end's progress and signal handling
        return check_drift(app.workspace(), plan, options, listener, cancel)


def _json_text(report: DriftReport) -> str:
    import json

    return json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n"
