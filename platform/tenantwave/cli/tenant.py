"""`platform tenant add | remove | move | list`: tenant lifecycle operations.

Parse, call the core (`tenants.operations` plans, `tenants.execution` carries a plan out), print plain lines.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from tenantwave.cli import completion
from tenantwave.cli.application import Application, exit_code
from tenantwave.cli.deploy import data_note, simulated_note
from tenantwave.cli.options import common_options, json_option, release_option, wide_option, yes_option
from tenantwave.errors import UsageError

if TYPE_CHECKING:
    from tenantwave.tenants.execution import TenantResult
    from tenantwave.tenants.operations import StackStep, TenantPlan

dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Print what would change (files and stacks); change nothing."
)
deploy_option = click.option(
    "--deploy", is_flag=True, help="Also change the stacks now, in order, through the lifecycle."
)
provision_release_option = release_option(
    "Provision at this release (default: what the environment runs).", required=False
)


@click.group()
def tenant() -> None:
    """Onboard, offboard, move tenants between tiers, list them."""


@tenant.command()
@click.argument("tenant_id", metavar="ID")
@click.option("--tier", required=True, metavar="TIER", help="The tier the tenant is on.",
              shell_complete=completion.tiers)
@click.option("--env", "envs", multiple=True, required=True, metavar="NAME", help="Connected environment (repeatable).",
              shell_complete=completion.environments)
@click.option("--wave", type=int, metavar="N", help="Override the tier's wave (silo tiers only).")
@click.option("--name", metavar="TEXT", help="Display name.")
@provision_release_option
@deploy_option
@dry_run_option
@yes_option
@common_options
@click.pass_obj
def add(app: Application, tenant_id: str, tier: str, envs: tuple[str, ...], wave: int | None, name: str | None,
        release: str | None, deploy: bool, dry_run: bool, yes: bool) -> None:
    """Onboard a tenant: write tenants/ID.yaml; with --deploy, provision its stacks."""
    from tenantwave.tenants.operations import plan_add

    workspace = app.workspace(writes=True)
    plan = plan_add(workspace, tenant_id, tier=tier, environments=envs, wave=wave, name=name, release=release)
    tier_model = plan.after.tiers[tier].model
    click.echo(f"add tenant {tenant_id}: tier {tier} ({tier_model}), environments {', '.join(envs)}")
    _carry_out(app, plan, deploy=deploy, dry_run=dry_run, yes=yes)


@tenant.command()
@click.argument("tenant_id", metavar="ID", shell_complete=completion.tenants)
@deploy_option
@click.option("--delete-data", is_flag=True, help="Also delete data-bearing resources of destroyed stacks.")
@dry_run_option
@yes_option
@common_options
@click.pass_obj
def remove(app: Application, tenant_id: str, deploy: bool, delete_data: bool, dry_run: bool, yes: bool) -> None:
    """Offboard a tenant: production first, then earlier phases; the file goes last."""
    from tenantwave.tenants.operations import plan_remove

    workspace = app.workspace(writes=True)
    plan = plan_remove(workspace, tenant_id)
    click.echo(f"remove tenant {tenant_id}: production first, the file last")
    _carry_out(app, plan, deploy=deploy, dry_run=dry_run, yes=yes, retain_data=not delete_data)


@tenant.command()
@click.argument("tenant_id", metavar="ID", shell_complete=completion.tenants)
@click.option("--tier", required=True, metavar="TIER", help="The tier to move to.",
              shell_complete=completion.tiers)
@provision_release_option
@deploy_option
@dry_run_option
@yes_option
@common_options
@click.pass_obj
def move(app: Application, tenant_id: str, tier: str, release: str | None, deploy: bool, dry_run: bool,
         yes: bool) -> None:
    """Move a tenant to another tier: per environment, the new side is up before the old one goes."""
    from tenantwave.tenants.operations import plan_move

    workspace = app.workspace(writes=True)
    plan = plan_move(workspace, tenant_id, tier=tier, release=release)
    source = plan.before.tenants[tenant_id].tier
    if plan.file is None and not plan.pending:  # the file and every stack are on that tier already
        raise UsageError(f"tenant {tenant_id} is already on tier {tier} in every environment: nothing to move")
    models = f"{plan.before.tiers[source].model} -> {plan.after.tiers[tier].model}"
    click.echo(f"move tenant {tenant_id}: tier {source} -> {tier} ({models})")
    _carry_out(app, plan, deploy=deploy, dry_run=dry_run, yes=yes)


@tenant.command(name="list")
@wide_option
@json_option
@common_options
@click.pass_obj
def list_tenants(app: Application, wide: bool, as_json: bool) -> None:
    """Each tenant: tier, environments with the release it runs there (drifted: `platform drift`
    found that stack changed outside the tool), last result."""
    from tenantwave.cli import render
    from tenantwave.tenants.listing import LIST_FORMAT_VERSION, describe_last, tenant_rows

    rows = tenant_rows(app.workspace())
    if as_json:
        app.echo_json({"format": LIST_FORMAT_VERSION, "tenants": [row.to_json() for row in rows]})
        return
    table = []
    for row in rows:
        tier = f"{row.tier} ({row.model})" + (f", moving to {row.moving_to}" if row.moving_to else "")
        releases = ", ".join(f"{e.environment} {e.release or '-'}{' (drifted)' if e.drift else ''}"
                             for e in row.environments)
        table.append((row.id, tier, releases, describe_last(row.last)))
    render.tenants(table, wide=wide)


# -- shared ---------------------------------------------------------------------------------------


def _carry_out(app: Application, plan: TenantPlan, *, deploy: bool, dry_run: bool, yes: bool,
               retain_data: bool = True) -> None:
    _describe(plan, deploy, retain_data)
    if dry_run:
        click.echo("dry run: nothing changed")
        return
    if not yes:
        _confirm(app, plan, deploy)
    if not deploy:
        from tenantwave.tenants.execution import apply_file_change

        apply_file_change(plan)
        click.echo(f"{plan.file.shown} {_PAST[plan.file.action]}" if plan.file else "nothing changed")
        return
    result = app.run_tenant_plan(plan, retain_data=retain_data)
    _summary(result, app.workspace().engine)
    sys.exit(exit_code(result.status))


_PAST = {"write": "written", "rewrite": "rewritten", "delete": "deleted"}


def _describe(plan: TenantPlan, deploy: bool, retain_data: bool) -> None:
    change = plan.file
    if change is not None and change.first:
        click.echo(f"  {change.action:<8} {change.shown}")
    if deploy:
        for step in plan.steps:
            click.echo(_step_line(step))
    if change is not None and not change.first:
        when = " (after every stack succeeded)" if deploy else ""
        click.echo(f"  {change.action:<8} {change.shown}{when}")
    for note in plan.notes if deploy else ():
        click.echo(f"note: {note}")
    if deploy and any(s.action == "destroy" for s in plan.pending):
        click.echo(data_note(retain_data=retain_data))
    pending = [s.stack.name for s in plan.pending]
    if not deploy and pending:
        click.echo(f"stacks left as they are (no --deploy): {', '.join(pending)}")


def _step_line(step: StackStep) -> str:
    name = step.stack.name
    if step.done:
        return f"  {'done':<8} {name}: {step.why}"
    if step.release is None:
        return f"  {'later':<8} {name}: {step.why} (no release in {step.stack.environment} yet)"
    return f"  {step.action:<8} {name} at {step.release}: {step.why}"


def _confirm(app: Application, plan: TenantPlan, deploy: bool) -> None:
    what = "change the stacks and the file" if deploy else "change the file"
    refusal = f"tenant {plan.operation} asks for confirmation: pass --yes to go ahead without a terminal"
    app.confirm(f"{what}?", declined="nothing changed", without_terminal=refusal if plan.destructive else None)


def _summary(result: TenantResult, engine: str) -> None:
    _summary_lines(result)
    if any(o.report is not None and o.report.simulated for o in result.outcomes):
        click.echo(simulated_note(engine))


def _summary_lines(result: TenantResult) -> None:
    plan = result.plan
    changed = result.count("succeeded")
    stop = result.stopped_at
    if stop is None:
        file_note = f"; {plan.file.shown} {_PAST[plan.file.action]}" if result.file_changed and plan.file else ""
        done = {"add": "added", "remove": "removed", "move": f"moved to tier {plan.tier}"}[plan.operation]
        click.echo(f"tenant {plan.tenant} {done}: {changed} stack(s) changed{file_note}")
        if plan.operation == "remove":
            click.echo("the ledger keeps the tenant's history")
        return
    click.echo(f"stopped at {stop.step.stack.name}: {stop.status}: {stop.detail}")
    if stop.report is not None:
        for outcome in stop.report.outcomes:
            if outcome.status in ("failed", "cancelled") and outcome.log_path:
                click.echo(f"  {outcome.stack}: log {outcome.log_path}")
    if plan.operation == "add" and plan.file is not None:
        click.echo(
            f"{plan.file.shown} is written; finish with `platform up --release {stop.step.release} "
            f"--tenant {plan.tenant}`"
        )
    else:
        unchanged = f"{plan.file.shown} is unchanged; " if plan.file else ""
        click.echo(f"{unchanged}rerun the same command to resume")
