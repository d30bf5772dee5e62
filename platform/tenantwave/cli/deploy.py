"""Commands that change the fleet: up, approve, destroy."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from tenantwave.cli import completion
from tenantwave.cli.application import Application, exit_code
from tenantwave.cli.options import (
    common_options,
    concurrency_option,
    json_option,
    release_option,
    skip_hooks_option,
    target_options,
    yes_option,
)
from tenantwave.cli.text import printable
from tenantwave.errors import UsageError

MAX_REASON = 500  # characters of an override's --reason

if TYPE_CHECKING:
    from tenantwave.planning.deferral import Override
    from tenantwave.rollout.blastradius import TenantLimits
    from tenantwave.rollout.prepare import RolloutPlan
    from tenantwave.rollout.report import RunReport
    from tenantwave.rollout.rollbacks import Rollbacks


@click.command()
@release_option("The release to deploy.")
@click.option("--wave", "-w", type=int, metavar="N", help="The wave to deploy (gated by wave N-1).")
@target_options
@click.option("--shard", metavar="K/N", help="Only the k-th of n deterministic shares of the stacks.")
@concurrency_option
@click.option("--force", is_flag=True, help="Redeploy stacks already on the release.")
@click.option("--commit", metavar="SHA", help="The source commit of the release (default: git HEAD).")
@click.option(
    "--allow-removal", is_flag=True, help="Let a stack stop serving tenants it serves now (see `plan`)."
)
@skip_hooks_option
@click.option("--ignore-windows", is_flag=True, help="Deploy outside maintenance windows (needs --reason).")
@click.option("--ignore-freeze", is_flag=True, help="Deploy inside freezes (needs --reason).")
@click.option("--reason", metavar="TEXT", help="Why windows or freezes are ignored (recorded on the run, with who).")
@yes_option
@json_option
@common_options
@click.pass_obj
def up(app: Application, release: str, wave: int | None, stacks: tuple[str, ...], tenants: tuple[str, ...],
       tiers: tuple[str, ...], envs: tuple[str, ...], shard: str | None, concurrency: int | None,
       force: bool, commit: str | None, skip_hooks: bool, yes: bool, as_json: bool, allow_removal: bool,
       ignore_windows: bool, ignore_freeze: bool, reason: str | None) -> None:
    """Deploy a release to the eligible stacks of a wave (or of the targeted stacks).

    Targeted runs (--stack, --tenant, --tier, --env) skip the wave gate, never the lifecycle rules;
    --wave N --env E is the part of wave N in E (as CI runs it, one job per environment): still gated.
    Rerunning the same command resumes: stacks already on the release are skipped, failed ones retried.
    Stacks outside their tenants' maintenance windows or inside a freeze are deferred (exit 3 when
    any is); --ignore-windows / --ignore-freeze with --reason deploy them anyway, recorded on the run.
    """
    from tenantwave.cli.health import describe_rollback, run_rollback
    from tenantwave.planning.deferral import Timing
    from tenantwave.planning.release import source_commit
    from tenantwave.planning.selection import Shard, Targets
    from tenantwave.rollout.blastradius import tenant_limits
    from tenantwave.rollout.prepare import prepare_rollout
    from tenantwave.rollout.report import unrun_json, unrun_status
    from tenantwave.rollout.rollbacks import plan_auto_rollback
    from tenantwave.rollout.runner import RunOptions

    targets = Targets(stacks, tenants, tiers, envs)
    if wave is None and not targets:
        raise UsageError("choose what to deploy: --wave N, or targets (--stack, --tenant, --tier, --env)")
    overrides = _overrides(ignore_windows, ignore_freeze, reason)
    workspace = app.workspace(writes=True)
    timing = Timing(workspace.ledger.now(), overrides(workspace.root))  # the ledger's clock
    plan = prepare_rollout(
        workspace, release, wave=wave, targets=targets, shard=Shard.parse(shard) if shard else None, force=force,
        allow_removal=allow_removal, timing=timing,
    )
    if not as_json:
        describe_rollout(plan)
    app.notifications.gate(plan)
    if not plan.runnable:
        if as_json:
            app.echo_json(unrun_json(plan, workspace.simulated))
        else:
            _say_nothing_ran(plan)
        sys.exit(exit_code(unrun_status(plan)))
    what = "simulate" if workspace.simulated else "deploy"
    if not yes:
        app.confirm(f"{what} {plan.release} to {len(plan.runnable)} stack(s)?", declined="nothing deployed")
    rollout = workspace.project.platform.rollout
    run_options = RunOptions(
        concurrency=concurrency or rollout.concurrency,
        commit=source_commit(workspace.root, commit),
        failure_budget=rollout.for_phase(plan.stacks[0].stack.phase, plan.stacks[0].stack.ring).failure_budget,
        force=force,
        skip_hooks=skip_hooks,
        tenant_limits=tenant_limits(workspace.project),
    )
    report = app.run(plan, run_options, as_json=as_json)
    if not as_json:
        show_report(report, workspace.engine, limits=run_options.tenant_limits)
        planned = {p.stack.name for p in plan.with_state("deferred")}
        for item in report.plan.with_state("deferred"):  # held by a window or a freeze when its turn came
            if item.stack.name not in planned:
                click.echo(printable(f"  deferred {item.stack.name} at its start: {item.reason}", one_line=True))
        _say_deferred(report.plan)
    app.notifications.approval_ahead(report)
    rollback_plan = plan_auto_rollback(workspace, report)
    rollbacks: Rollbacks | None = None
    if rollback_plan is not None:
        if not as_json:
            click.echo(f"auto_rollback: {len(rollback_plan.choices)} failed or unhealthy stack(s)")
            describe_rollback(rollback_plan)
        rollbacks = run_rollback(app, rollback_plan, run_options.concurrency, run_options.skip_hooks, as_json,
                                 automatic=True)
    if as_json:  # one JSON document: the run, with its automatic rollback inside
        document = report.to_json()
        if rollbacks is not None:
            document["auto_rollback"] = rollbacks.to_json()
        app.echo_json(document)
    sys.exit(exit_code(report.status))


def describe_rollout(plan: RolloutPlan) -> None:
    scope = f"wave {plan.wave} of {plan.total_waves}" if plan.wave else "targeted run"
    if plan.targets:
        scope += f" ({plan.targets.describe()})"
    if plan.shard:
        scope += f", shard {plan.shard.index}/{plan.shard.count}"
    click.echo(f"release {plan.release}, {scope}: {len(plan.stacks)} stack(s)")
    if plan.gate is not None and not plan.gate.open:
        click.echo(f"gate closed for wave {plan.gate.wave}:")
        for reason in plan.gate.reasons:
            click.echo(printable(f"  - {reason}", one_line=True))  # a failed check's output may be quoted
    elif plan.gate is not None and plan.gate.approval is not None:
        a = plan.gate.approval
        click.echo(printable(f"approved by {a.approved_by} at {a.approved_at:%Y-%m-%d %H:%M}Z", one_line=True))
    for item in plan.with_state("done"):
        click.echo(f"  done     {item.stack.name}: {item.reason}")
    for item in plan.with_state("blocked"):
        click.echo(printable(f"  blocked  {item.stack.name}: {item.reason}", one_line=True))
    for item in plan.with_state("deferred"):
        click.echo(printable(f"  deferred {item.stack.name}: {item.reason}", one_line=True))
    if plan.timing is not None:
        for override in plan.timing.overrides:
            click.echo(printable(f"override: {override.describe()} ({plan.override_note(override)})", one_line=True))
    if plan.gate is None or plan.gate.open:
        for item in plan.with_state("eligible"):
            click.echo(f"  deploy   {item.stack.name}: {item.reason}")


def _say_nothing_ran(plan: RolloutPlan) -> None:
    gate_closed = plan.gate is not None and not plan.gate.open
    if not gate_closed and plan.with_state("deferred"):
        click.echo("nothing deployed: deferred by a maintenance window or a freeze")
        _say_deferred(plan)
    elif gate_closed or plan.with_state("blocked"):
        click.echo("nothing deployed: blocked by the " + ("wave gate" if gate_closed else "lifecycle"))
    else:
        click.echo(f"nothing to do: every selected stack is already on {plan.release}")


def _say_deferred(plan: RolloutPlan) -> None:
    """How a run with deferred stacks goes on: the same command again once they may deploy."""
    deferred = len(plan.with_state("deferred"))
    if deferred:
        click.echo(
            f"{deferred} stack(s) deferred: run the same command again when the window opens or the freeze "
            "ends (exit 3 until then), or override with --ignore-windows / --ignore-freeze --reason TEXT"
        )


def _overrides(ignore_windows: bool, ignore_freeze: bool, reason: str | None) -> Callable[[Path], tuple[Override, ...]]:
    """Check the override options now (before anything is opened); who overrides is resolved later,
    from the project (PLATFORM_ACTOR, GITHUB_ACTOR, git's user.email, the login name)."""
    from tenantwave.planning.actor import resolve_actor
    from tenantwave.planning.deferral import Override

    choices: tuple[tuple[Literal["windows", "freeze"], bool], ...] = (
        ("windows", ignore_windows), ("freeze", ignore_freeze)
    )
    flags = [what for what, given in choices if given]
    text = (reason or "").strip()
    if reason is not None and not flags:
        raise UsageError("--reason TEXT goes with --ignore-windows or --ignore-freeze (say why you override them)")
    if flags and not text:
        raise UsageError(
            f"--ignore-{flags[0]} needs --reason TEXT: say why (recorded on the run with who gave it)"
        )
    if len(text) > MAX_REASON or any(ord(c) < 32 or ord(c) == 127 for c in text):  # \n, \r, ESC, BEL, ...
        raise UsageError(f"--reason: one line of at most {MAX_REASON} characters, without control characters")

    def resolve(root: Path) -> tuple[Override, ...]:
        if not flags:
            return ()
        who = resolve_actor(None, root).name
        return tuple(Override(what, who, text) for what in flags)

    return resolve


def data_note(*, retain_data: bool) -> str:
    """What happens to tables and databases of the stacks a command destroys (destroy, tenant commands)."""
    kept = "kept (pass --delete-data to delete them)" if retain_data else "DELETED (--delete-data)"
    return f"note: data-bearing resources (tables, databases) of destroyed stacks are {kept}"


def simulated_note(engine: str) -> str:
    """What a run of a simulating engine (its `simulated` flag) says at the end."""
    return f"simulated by the {engine} engine: nothing was deployed"


def show_report(report: RunReport, engine: str, *, limits: TenantLimits | None = None) -> None:
    """The run's counts, the logs of stacks that did not succeed, each stack whose result is not in
    the ledger (and where it is), whether it was simulated, and why the run stopped early (one
    line on stderr). With a blast-radius cap (`limits`): the tenants the run exposed, the stacks that
    deployed alone, and why max_tenants_per_run left stacks unstarted."""
    counts = ", ".join(
        f"{report.count(status)} {status}"
        for status in ("succeeded", "failed", "unhealthy", "cancelled", "held", "skipped", "not-started")
        if report.count(status)
    )
    if any(o.changes for o in report.outcomes):
        click.echo(f"changes: {report.changes.long()}")
    for stack, resource in report.data_removed:
        click.echo(printable(f"  data-bearing: {stack} {resource.describe()}", one_line=True))
    click.echo(f"run {report.run_id}: {counts or 'nothing ran'}")
    if limits is not None and limits.active:
        from tenantwave.rollout.blastradius import exposure_lines

        for line in exposure_lines(report, limits):
            click.echo(line)
    if report.settled:
        click.echo(
            f"settled {len(report.settled)} stale claim(s) left by a run that stopped sending heartbeats "
            f"(recorded as abandoned): {', '.join(report.settled)}"
        )
    for outcome in report.outcomes:
        if outcome.status in ("failed", "unhealthy", "cancelled") and outcome.log_path:
            click.echo(f"  {outcome.stack}: log {outcome.log_path}")
    for outcome in report.unrecorded:
        click.echo(f"  {outcome.stack}: {outcome.status}, {outcome.record_note}")
    if report.journal is not None:
        click.echo(f"results the ledger could not take are kept in {report.journal}: the next platform "
                   "command records them before anything else")
    if report.simulated:
        click.echo(simulated_note(engine))
    if report.stopped is not None:
        click.echo(printable(f"error: {report.stopped}", one_line=True), err=True)


@click.command()
@release_option("The release whose wave is approved.")
@click.option("--wave", "-w", type=int, required=True, metavar="N", help="The wave to approve.")
@click.option("--comment", "-m", metavar="TEXT", help="Why (recorded with the approval).")
@click.option(
    "--by", "approved_by", metavar="NAME",
    help="Who approves (default: PLATFORM_ACTOR, GITHUB_ACTOR, git's user.email, the login name).",
)
@common_options
@click.pass_obj
def approve(app: Application, release: str, wave: int, comment: str | None, approved_by: str | None) -> None:
    """Record an approval for a wave of a release (the wave gate's approval step).

    Approving what is already approved records nothing new: it says who approved it and when, and
    keeps the comment as a note on that approval.
    """
    from tenantwave.planning.actor import resolve_actor
    from tenantwave.rollout.approval import approve_wave

    workspace = app.workspace(writes=True)
    who = resolve_actor(approved_by, workspace.root)
    result = approve_wave(workspace, release, wave, who.name, comment)
    kept = result.approval
    if not kept.repeated:
        click.echo(result.describe())
        return
    note = "; the comment is kept as a note" if comment else ""
    click.echo(
        f"wave {wave} of {release} already approved by {kept.approved_by} at "
        f"{kept.approved_at:%Y-%m-%d %H:%M:%S}Z for what it deploys now: nothing new recorded{note}"
    )


@click.command()
@click.option("--stack", "stacks", multiple=True, metavar="NAME", help="Destroy this stack (repeatable).",
              shell_complete=completion.stacks)
@click.option("--tenant", "tenants", multiple=True, metavar="ID", help="Destroy this tenant's silo stacks.",
              shell_complete=completion.tenants)
@click.option("--force", is_flag=True, help="Destroy a pool stack even though it still serves tenants.")
@click.option("--delete-data", is_flag=True, help="Also delete data-bearing resources (tables, databases).")
@yes_option
@json_option
@common_options
@click.pass_obj
def destroy(app: Application, stacks: tuple[str, ...], tenants: tuple[str, ...], force: bool, delete_data: bool,
            yes: bool, as_json: bool) -> None:
    """Destroy stacks: production first, then the earlier phases, one at a time."""
    from tenantwave.rollout.runner import RunOptions
    from tenantwave.rollout.teardown import plan_teardown

    if not stacks and not tenants:
        raise UsageError("choose what to destroy: --stack NAME or --tenant ID")
    workspace = app.workspace(writes=True)
    plan = plan_teardown(workspace, stacks, tenants, force=force)
    if not as_json:
        for item in plan.stacks:
            click.echo(f"  destroy  {item.stack.name}: {item.reason}")
        click.echo(data_note(retain_data=not delete_data))
    refusal = "destroy asks for confirmation: pass --yes to destroy without a terminal"
    if not yes:
        app.confirm(f"destroy {len(plan.stacks)} stack(s)?", declined="nothing destroyed", without_terminal=refusal)
    run_options = RunOptions(concurrency=1, operation="destroy", retain_data=not delete_data)
    report = app.run(plan, run_options, as_json=as_json, command="destroy")
    if as_json:
        app.echo_json(report.to_json())
    else:
        show_report(report, workspace.engine)
    sys.exit(exit_code(report.status))
