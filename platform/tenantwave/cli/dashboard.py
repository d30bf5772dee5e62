"""`platform dashboard` (the read-only web UI) and `platform report --html` (the same views in one
static file). Both need the `dashboard` extra; it is imported only here, when one of them runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from tenantwave.cli.application import Application
from tenantwave.cli.options import common_options
from tenantwave.cli.outputs import prepare_output, write_output
from tenantwave.errors import UsageError

if TYPE_CHECKING:
    from tenantwave.views.snapshot import Source

EXTRA = "pip install 'tenantwave[dashboard]'"


def _require_extra() -> None:
    """UsageError (exit 2) with the install command when Starlette, Jinja2 or uvicorn is missing."""
    import importlib.util

    missing = [name for name in ("starlette", "jinja2", "uvicorn") if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(f"the dashboard needs {', '.join(missing)}: install them with {EXTRA}")


def _source(app: Application) -> Source:
    from tenantwave.views.snapshot import Source

    workspace = app.workspace()
    return Source(workspace.project, workspace.ledger)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default; anything else is reachable from other machines).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Port to listen on.")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="Another host name requests may give in their Host header (the name a reverse proxy "
                   "passes on); repeatable. Others are refused, against DNS rebinding.")
@click.option("--poll", type=click.FloatRange(0.5, 60), default=2.0, show_default=True, metavar="SECONDS",
              help="How often pages check for changes (the snapshot is refreshed twice as often).")
@common_options
@click.pass_obj
def dashboard(app: Application, host: str, port: int, poll: float, allowed_hosts: tuple[str, ...]) -> None:
    """Serve the read-only fleet dashboard: fleet, release, runs; live while runs go on."""
    _require_extra()
    from tenantwave.web.serve import check_address, exposure_warning, serve

    port = check_address(host, port)  # --port 0: the port the system chose
    warning = exposure_warning(host)
    if warning:
        click.echo(warning, err=True)
    source = _source(app)
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        f"dashboard: http://{shown}:{port}/ ({len(source.current.stacks)} stacks, snapshot built in "
        f"{source.current.seconds:.2f} s); read-only; Ctrl-C stops it",
        err=True,
    )
    serve(source, host, port, poll, allowed_hosts)


@click.command()
@click.option("--html", "html", required=True, type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write the report here: one self-contained HTML file (no script, nothing fetched).")
@click.option("--release", "-r", metavar="VERSION",
              help="The release the states are about (default: the most recently run).")
@common_options
@click.pass_obj
def report(app: Application, html: Path, release: str | None) -> None:
    """Write the fleet and the release as one static HTML file (for CI artifacts)."""
    _require_extra()
    from tenantwave.planning.release import check_release
    from tenantwave.web.report import report as render_report

    prepare_output(html, "--html")
    source = _source(app)
    chosen = check_release(release, "--release") if release is not None else None
    if chosen is not None and chosen not in source.current.releases:
        raise UsageError(f"--release {chosen}: the ledger has no run of it")
    snapshot = source.for_release(chosen)
    write_output(html, render_report(snapshot), "--html")
    click.echo(f"wrote {html} ({len(snapshot.stacks)} stacks, release {snapshot.release or 'none recorded yet'})")
