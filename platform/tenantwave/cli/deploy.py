"""Commands that change the fleet: up, approve, destroy."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

import click

from tenantwave.errors import EXIT_BLOCKED, EXIT_OK, UsageError

json_option = click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON.")


def target_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option("--stack", "stacks", multiple=True, metavar="NAME", help="Only this stack (repeatable)."),
            click.option("--tenant", "tenants", multiple=True, metavar="ID", help="Only this tenant's stacks."),
            click.option("--tier", "tiers", multiple=True, metavar="ID", help="Only this tier's stacks."),
            click.option("--env", "envs", multiple=True, metavar="NAME", help="Only this environment's stacks."),
        ]
    ):
        func = option(func)
    return func


@click.command()
@click.option("--release", "-r", required=True, metavar="VERSION", help="The release to deploy.")
@click.option("--wave", "-w", type=int, metavar="N", help="The wave to deploy (gated by wave N-1).")
@target_options
@click.option("--shard", metavar="K/N", help="Only the k-th of n deterministic shares of the stacks.")
@click.option("--concurrency", "-c", type=click.IntRange(1, 256), help="Stacks at once (default: platform.yaml).")
@click.option("--force", is_flag=True, help="Redeploy stacks already on the release.")
@click.option("--commit", metavar="SHA", help="The source commit of the release (default: git HEAD).")
@click.option("--skip-hooks", is_flag=True, help="Do not run the tiers' before_deploy hooks (recorded in the ledger).")
@click.option("--engine", metavar="NAME", help="pulumi, mock or module:factory.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
@click.pass_obj
def up(options: Any, release: str, wave: int | None, stacks: tuple[str, ...], tenants: tuple[str, ...],
       tiers: tuple[str, ...], envs: tuple[str, ...], shard: str | None, concurrency: int | None,
       force: bool, commit: str | None, skip_hooks: bool, engine: str | None, yes: bool, as_json: bool) -> None:
    """Deploy a release to the eligible stacks of a wave (or of the targeted stacks).

    Targeted runs (--stack, --tenant, --tier, --env) skip the wave gate, never the lifecycle rules.
    Rerunning the same command resumes: stacks already on the release are skipped, failed ones retried.
    """
    from tenantwave.cli.health import auto_rollback
    from tenantwave.planning.release import check_release, source_commit
    from tenantwave.planning.selection import Shard, Targets
    from tenantwave.rollout.prepare import prepare_rollout
    from tenantwave.rollout.runner import RunOptions

    check_release(release)
    targets = Targets(stacks, tenants, tiers, envs)
    if wave is None and not targets:
        raise UsageError("choose what to deploy: --wave N, or targets (--stack, --tenant, --tier, --env)")
    if engine:
        options.engine = engine
    workspace = options.workspace()
    plan = prepare_rollout(
        workspace, release, wave=wave, targets=targets, shard=Shard.parse(shard) if shard else None, force=force
    )
    if not as_json:
        _describe(plan)
    if not plan.runnable:
        _finish_without_running(plan, workspace, as_json)
        return
    if not yes and not _confirm(plan, workspace):
        click.echo("nothing deployed")
        return
    rollout = workspace.project.platform.rollout
    phase = plan.stacks[0].stack.phase
    run_options = RunOptions(
        concurrency=concurrency or rollout.concurrency,
        commit=source_commit(workspace.root, commit),
        failure_budget=rollout.for_phase(phase).failure_budget,
        force=force,
        skip_hooks=skip_hooks,
    )
    report = _run(workspace, plan, run_options, as_json)
    if as_json:  # one JSON document: the run, with its automatic rollback inside
        _report(report, as_json, auto_rollback(workspace, report, run_options, as_json))
    else:
        _report(report, as_json)
        auto_rollback(workspace, report, run_options, as_json)
    sys.exit(report.exit_code)


def _describe(plan: Any) -> None:
    scope = f"wave {plan.wave} of {plan.total_waves}" if plan.wave else "targeted run"
    if plan.targets:
        scope += f" ({plan.targets.describe()})"
    if plan.shard:
        scope += f", shard {plan.shard.index}/{plan.shard.count}"
    click.echo(f"release {plan.release}, {scope}: {len(plan.stacks)} stack(s)")
    if plan.gate is not None and not plan.gate.open:
        click.echo(f"gate closed for wave {plan.gate.wave}:")
        for reason in plan.gate.reasons:
            click.echo(f"  - {reason}")
    elif plan.gate is not None and plan.gate.approval is not None:
        a = plan.gate.approval
        click.echo(f"approved by {a.approved_by} at {a.approved_at:%Y-%m-%d %H:%M}Z")
    for item in plan.with_state("done"):
        click.echo(f"  done     {item.stack.name}: {item.reason}")
    for item in plan.with_state("blocked"):
        click.echo(f"  blocked  {item.stack.name}: {item.reason}")
    if plan.gate is None or plan.gate.open:
        for item in plan.with_state("eligible"):
            click.echo(f"  deploy   {item.stack.name}: {item.reason}")


def _finish_without_running(plan: Any, workspace: Any, as_json: bool) -> None:
    gate_closed = plan.gate is not None and not plan.gate.open
    blocked = plan.with_state("blocked")
    if as_json:
        click.echo(json.dumps(_plan_json(plan, workspace), indent=2))
    elif gate_closed or blocked:
        click.echo("nothing deployed: blocked by the " + ("wave gate" if gate_closed else "lifecycle"))
    else:
        click.echo(f"nothing to do: every selected stack is already on {plan.release}")
    sys.exit(EXIT_BLOCKED if gate_closed or blocked else EXIT_OK)


def _confirm(plan: Any, workspace: Any) -> bool:
    if not sys.stdin.isatty():
        return True  # CI and pipes never prompt
    what = "simulate" if workspace.simulated else "deploy"
    return click.confirm(f"{what} {plan.release} to {len(plan.runnable)} stack(s)?", default=False)


def _run(workspace: Any, plan: Any, run_options: Any, as_json: bool, command: str = "up") -> Any:
    from tenantwave.engine.base import CancelToken
    from tenantwave.engine.registry import open_engine
    from tenantwave.rollout.runner import Runner

    engine = open_engine(workspace)
    cancel = CancelToken()
    listener = _listener(as_json)
    previous = _trap_signals(cancel)
    try:
        return Runner(workspace, engine, plan, run_options, listener, cancel).run(command)
    finally:
        _restore_signals(previous)
        if hasattr(listener, "stop"):
            listener.stop()
        engine.close()


def _listener(as_json: bool) -> Any:
    from tenantwave.cli.progress import LiveListener, PlainListener
    from tenantwave.rollout.runner import QuietListener

    if as_json:
        return QuietListener()
    return LiveListener() if sys.stdout.isatty() else PlainListener()


def _trap_signals(cancel: Any) -> dict[int, Any]:
    def handler(signum: int, _frame: Any) -> None:
        first = not cancel.is_set()
        cancel.cancel()
        if first:
            click.echo(
                "\ncancelling: no new stacks start, running ones are asked to stop "
                "(interrupt again to stop at once)",
                err=True,
            )

    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError):  # not the main thread (embedding): no signal handling
            previous[signum] = signal.signal(signum, handler)
    return previous


def _restore_signals(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def _report(report: Any, as_json: bool, rollbacks: Any = None) -> None:
    if as_json:
        document = report_json(report)
        if rollbacks is not None:
            document["auto_rollback"] = rollbacks.to_json()
        click.echo(json.dumps(document, indent=2))
        return
    counts = ", ".join(
        f"{report.count(status)} {status}"
        for status in ("succeeded", "failed", "unhealthy", "cancelled", "held", "skipped", "not-started")
        if report.count(status)
    )
    click.echo(f"run {report.run_id}: {counts or 'nothing ran'}")
    for outcome in report.outcomes:
        if outcome.status in ("failed", "unhealthy", "cancelled") and outcome.log_path:
            click.echo(f"  {outcome.stack}: log {outcome.log_path}")
    if report.simulated:
        click.echo("simulated with the mock engine: nothing was deployed")


def report_json(report: Any) -> dict[str, Any]:
    return {
        "run": report.run_id,
        "release": report.release,
        "wave": report.plan.wave,
        "status": report.status,
        "simulated": report.simulated,
        "gate": _gate_json(report.plan.gate),
        "stacks": [
            {
                "name": o.stack,
                "result": o.status,
                "error": o.error,
                "log": o.log_path,
                "seconds": round(o.seconds, 3),
                "resources": o.resources,
                "changes": o.changes,
            }
            for o in report.outcomes
        ],
        "blocked": [{"name": p.stack.name, "reason": p.reason} for p in report.plan.with_state("blocked")],
        "done": [p.stack.name for p in report.plan.with_state("done")],
    }


def _plan_json(plan: Any, workspace: Any) -> dict[str, Any]:
    return {
        "run": None,
        "release": plan.release,
        "wave": plan.wave,
        "status": "blocked" if plan.with_state("blocked") or (plan.gate and not plan.gate.open) else "succeeded",
        "simulated": workspace.simulated,
        "gate": _gate_json(plan.gate),
        "stacks": [],
        "blocked": [{"name": p.stack.name, "reason": p.reason} for p in plan.with_state("blocked")],
        "done": [p.stack.name for p in plan.with_state("done")],
    }


def _gate_json(gate: Any) -> dict[str, Any] | None:
    if gate is None:
        return None
    return {"wave": gate.wave, "open": gate.open, "reasons": list(gate.reasons)}


@click.command()
@click.option("--release", "-r", required=True, metavar="VERSION")
@click.option("--wave", "-w", type=int, required=True, metavar="N")
@click.option("--comment", "-m", metavar="TEXT", help="Why (recorded with the approval).")
@click.option("--by", "approved_by", metavar="NAME", help="Who approves (default: PLATFORM_USER, GITHUB_ACTOR, USER).")
@click.pass_obj
def approve(options: Any, release: str, wave: int, comment: str | None, approved_by: str | None) -> None:
    """Record an approval for a wave of a release (the wave gate's approval step)."""
    from tenantwave.planning.inventory import build_inventory
    from tenantwave.planning.plan import check_wave
    from tenantwave.planning.release import check_release
    from tenantwave.planning.waves import build_waves

    check_release(release)
    workspace = options.workspace()
    waves = build_waves(workspace.project, build_inventory(workspace.project))
    check_wave(wave, len(waves))
    who = approved_by or next(
        (os.environ[n] for n in ("PLATFORM_USER", "GITHUB_ACTOR", "USER", "LOGNAME") if os.environ.get(n)), "unknown"
    )
    approval = workspace.ledger.approve(release, wave, who, comment)
    phase = waves[wave - 1].phase
    needed = workspace.project.platform.rollout.for_phase(phase).approval
    click.echo(
        f"wave {wave} of {release} approved by {approval.approved_by} at {approval.approved_at:%Y-%m-%d %H:%M:%S}Z"
        + ("" if needed else f" (note: phase {phase} does not require an approval)")
    )


@click.command()
@click.option("--stack", "stacks", multiple=True, metavar="NAME", help="Destroy this stack (repeatable).")
@click.option("--tenant", "tenants", multiple=True, metavar="ID", help="Destroy this tenant's silo stacks.")
@click.option("--force", is_flag=True, help="Destroy a pool stack even though it still serves tenants.")
@click.option("--delete-data", is_flag=True, help="Also delete data-bearing resources (tables, databases).")
@click.option("--engine", metavar="NAME", help="pulumi, mock or module:factory.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
@click.pass_obj
def destroy(options: Any, stacks: tuple[str, ...], tenants: tuple[str, ...], force: bool, delete_data: bool,
            engine: str | None, yes: bool, as_json: bool) -> None:
    """Destroy stacks: production first, then the earlier phases, one at a time."""
    from tenantwave.rollout.runner import RunOptions
    from tenantwave.rollout.teardown import plan_teardown

    if not stacks and not tenants:
        raise UsageError("choose what to destroy: --stack NAME or --tenant ID")
    if engine:
        options.engine = engine
    workspace = options.workspace()
    plan = plan_teardown(workspace, stacks, tenants, force=force)
    for item in plan.stacks:
        click.echo(f"  destroy  {item.stack.name}: {item.reason}")
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("destroy asks for confirmation: pass --yes to destroy without a terminal")
        if not click.confirm(f"destroy {len(plan.stacks)} stack(s)?", default=False):
            click.echo("nothing destroyed")
            return
    run_options = RunOptions(concurrency=1, operation="destroy", retain_data=not delete_data)
    report = _run(workspace, plan, run_options, as_json, command="destroy")
    _report(report, as_json)
    sys.exit(report.exit_code)
