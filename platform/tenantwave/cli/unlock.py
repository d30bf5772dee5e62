"""`platform unlock`: release a stack's claim by hand, asked for and recorded."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click

from tenantwave.cli.application import Application
from tenantwave.cli.options import common_options, yes_option
from tenantwave.cli.text import printable
from tenantwave.errors import UsageError

if TYPE_CHECKING:
    from tenantwave.ledger.unlocking import HeldClaim


@click.command()
@click.option("--stack", metavar="NAME", help="Release the claim on this stack.")
@click.option("--run", "run_id", metavar="ID", help="Release every claim of this run, and settle the run.")
@click.option("--force", is_flag=True, help="Even when the run's process is alive on this machine.")
@click.option("--by", metavar="NAME", help="Who unlocks (default: as for approve).")
@yes_option
@common_options
@click.pass_obj
def unlock(app: Application, stack: str | None, run_id: str | None, force: bool, by: str | None, yes: bool) -> None:
    """Release a claim by hand: a stack held by a run that hangs, or whose machine is gone.

    The stack's deployment is recorded as abandoned and the unlock as a run of its own. A run whose
    process is alive on this machine is refused unless --force: its engine call may still be running.
    """
    from tenantwave.ledger.liveness import run_alive
    from tenantwave.planning.actor import resolve_actor

    if (stack is None) == (run_id is None):
        raise UsageError("choose what to unlock: --stack NAME or --run ID")
    workspace = app.workspace()
    ledger = workspace.ledger
    claims = ledger.held(stack=stack, run_id=run_id)
    if not claims:
        raise UsageError(f"no run holds a claim on {stack}" if stack else f"run {run_id} holds no claim")
    now = ledger.now()
    for claim in claims:
        click.echo(printable(describe(claim, now), one_line=True))
    alive = [claim for claim in claims if run_alive(claim.host, claim.pid)]
    if alive and not force:
        raise UsageError(
            f"run {alive[0].run_id} is alive (process {alive[0].pid} on this machine): its engine call may still be "
            "running; stop it (Ctrl-C) and let it finish, or pass --force"
        )
    who = resolve_actor(by, workspace.root).name
    if not yes:
        app.confirm(
            f"release {len(claims)} claim(s)? another run may then deploy {'it' if len(claims) == 1 else 'them'}",
            declined="nothing unlocked",
            without_terminal="unlock asks for confirmation: pass --yes to unlock without a terminal",
        )
    released, record = ledger.unlock(claims, by=who, whole_run=run_id is not None)
    if not released:
        click.echo("nothing unlocked: the claim changed hands meanwhile (run the command again to see)")
        return
    click.echo(f"unlocked {', '.join(released)} (recorded as run {record}); their deployments are abandoned")


def describe(claim: HeldClaim, now: datetime) -> str:
    """One line: the stack, who holds it since when, and when the run was last heard of."""
    silent = int((now - claim.heartbeat_at).total_seconds())
    heard = f"{silent} s ago" if silent >= 0 else f"{-silent} s in the future (a clock stepped back)"
    where = f"{claim.host or '?'} pid {claim.pid if claim.pid is not None else '?'}"
    return (
        f"{claim.stack}: held by run {claim.run_id} ({claim.command or '?'} by {claim.user or '?'} on {where}) "
        f"since {claim.claimed_at:%Y-%m-%d %H:%M:%S}Z; last heartbeat {heard}"
    )
