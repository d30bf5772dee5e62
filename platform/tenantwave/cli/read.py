"""Read commands: validate, plan, status. None of them deploys anything or imports pulumi."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click

from tenantwave.cli import ending, render
from tenantwave.cli.application import Application
from tenantwave.cli.options import common_options, json_option, release_option, wide_option
from tenantwave.errors import EXIT_USAGE, ConfigError

P = ParamSpec("P")
R = TypeVar("R")


def without_cycle_collection(command: Callable[P, R]) -> Callable[P, R]:
    """`command` with Python's cyclic garbage collector paused while it runs, restored after.

    A read command builds a large, long-lived, acyclic structure (10,000 tenants: about two million
    objects: the project, the ledger's facts, the plan, its JSON) and exits. While it grows, the
    collector walks the whole heap again and again (five full collections, 0.6 s of a 3 s `plan
    --json`) and frees almost nothing (under a thousand objects in a whole run): reference counting
    frees everything else as usual. What a read command allocates is bounded by the project and
    the ledger, so pausing cannot let memory run away.

    It is also what marks the three as read commands, whose console-script process ends with them
    without tearing its heap down (cli.ending). There the collector stays paused: enabled again, its
    first (youngest-generation) collection would walk every object the command made (none was
    collected while it ran), 0.1 s after a plan of 10,000 tenants, just before the process ends."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        process_ends_after = ending.read_command()
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return command(*args, **kwargs)
        finally:
            if was_enabled and not process_ends_after:
                gc.enable()

    return run


@click.command()
@json_option
@common_options
@click.pass_obj
@without_cycle_collection
def validate(app: Application, as_json: bool) -> None:
    """Check platform.yaml, tiers/ and tenants/; report every problem at once."""
    from tenantwave.ledger.deferred import utcnow
    from tenantwave.planning.deferral import never_free_warnings, pool_window_warnings
    from tenantwave.planning.inventory import build_inventory
    from tenantwave.planning.waves import build_waves

    try:
        project = app.project()
    except ConfigError as exc:
        if not as_json:
            raise
        app.echo_json({"valid": False, "problems": [p.__dict__ for p in exc.problems], "warnings": []})
        raise SystemExit(EXIT_USAGE) from None
    stacks = build_inventory(project)
    waves = build_waves(project, stacks)
    now = utcnow()
    schedule = [*pool_window_warnings(project, stacks, now), *never_free_warnings(project, stacks, now)]
    warnings = [*project.warnings, *schedule]
    counts = {
        "tiers": len(project.tiers),
        "tenants": len(project.tenants),
        "environments": len(project.environments),
        "stacks": len(stacks),
        "waves": len(waves),
    }
    if as_json:
        app.echo_json({"valid": True, "problems": [], "warnings": warnings, "counts": counts})
        return
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"ok: {counts['tiers']} tiers, {counts['tenants']} tenants, {counts['environments']} environments, "
        f"{counts['stacks']} stacks in {counts['waves']} waves"
    )


@click.command()
@release_option("The release to plan.")
@click.option("--wave", "-w", type=int, metavar="N", help="Only this wave.")
@wide_option
@json_option
@common_options
@click.pass_obj
@without_cycle_collection
def plan(app: Application, release: str, wave: int | None, wide: bool, as_json: bool) -> None:
    """Show the waves of a release and each stack's state: eligible, blocked, deferred or done.

    Under it, the calendar: each freeze and maintenance window and when it next changes.
    """
    from tenantwave.planning.outlook import calendar, outlook
    from tenantwave.planning.plan import build_plan

    workspace = app.workspace()
    ledger = workspace.ledger  # bakes are counted on the ledger's clock (the server's on PostgreSQL)
    the_plan = build_plan(workspace.project, ledger.release_history(release), wave, now=ledger.now())
    if as_json:
        entries, more = calendar(workspace.project, ledger.now())
        app.echo_json({**the_plan.printable_json(), "calendar": [e.to_json() for e in entries], "calendar_more": more})
        return
    render.plan(the_plan, wide=wide, now=ledger.now())
    render.calendar(outlook(workspace.project, ledger.now()))


@click.command()
@click.option("--all", "show_all", is_flag=True, help="Also list destroyed stacks the configuration no longer has.")
@wide_option
@json_option
@common_options
@click.pass_obj
@without_cycle_collection
def status(app: Application, show_all: bool, wide: bool, as_json: bool) -> None:
    """Per stack: the release it runs, its last result and when.

    Stacks that were destroyed and are no longer in the configuration are left out unless --all.
    """
    from tenantwave.planning.status import fleet_status

    workspace = app.workspace()
    states = fleet_status(workspace.project, workspace.ledger)
    hidden = 0 if show_all else sum(1 for state in states if state.retired)
    shown = states if show_all else [state for state in states if not state.retired]
    if as_json:
        app.echo_json({"simulated": workspace.simulated, "stacks": [state.to_json() for state in shown]})
        return
    render.status(shown, simulated=workspace.simulated, wide=wide, now=workspace.ledger.now())
    if hidden:
        click.echo(f"{hidden} destroyed stack(s) no longer in the configuration not shown (--all lists them)")
