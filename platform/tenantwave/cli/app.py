"""The click group, its shared options, and how errors become one plain message and an exit code."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from tenantwave import __version__
from tenantwave.errors import EXIT_FAILED, ConfigError, PlatformError


class PlatformGroup(click.Group):
    """Turns every PlatformError into plain lines on stderr and its exit code; never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PlatformError as exc:
            report_error(exc)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug: one line for the operator, the traceback in a file
            if os.environ.get("TENANTWAVE_DEBUG"):
                raise
            where = _save_traceback(exc)
            click.echo(
                f"error: internal error ({type(exc).__name__}: {exc}); this is a bug in tenantwave, "
                f"the traceback is in {where}",
                err=True,
            )
            ctx.exit(EXIT_FAILED)


def _save_traceback(exc: BaseException) -> str:
    import tempfile
    import traceback

    text = "".join(traceback.format_exception(exc))
    try:
        with tempfile.NamedTemporaryFile("w", prefix="tenantwave-crash-", suffix=".log", delete=False) as handle:
            handle.write(text)
            return handle.name
    except OSError:
        return "(could not be saved)"


def report_error(exc: PlatformError) -> None:
    if isinstance(exc, ConfigError):
        click.echo(f"error: {exc.message}:", err=True)
        for line in exc.lines():
            click.echo(f"  {line}", err=True)
    else:
        for line in exc.lines():
            click.echo(f"error: {line}", err=True)


class Options:
    """What the group's options say, and the workspace opened lazily from them."""

    def __init__(self, project: Path | None, ledger: str | None, engine: str | None) -> None:
        self.project_dir = project
        self.ledger_url = ledger
        self.engine = engine
        self._workspace: Any = None

    def workspace(self) -> Any:
        if self._workspace is None:
            from tenantwave.planning.workspace import open_workspace

            self._workspace = open_workspace(self.project_dir, self.ledger_url, self.engine)
        return self._workspace


@click.group(cls=PlatformGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="platform")
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="PLATFORM_PROJECT",
    help="Project directory (default: the nearest platform.yaml upward from here).",
)
@click.option("--ledger", metavar="URL", help="Ledger URL (default: PLATFORM_LEDGER_URL, then platform.yaml).")
@click.option(
    "--engine",
    metavar="NAME",
    help="Engine: pulumi, mock (simulates, own ledger) or module:factory (default: PLATFORM_ENGINE, "
    "then platform.yaml).",
)
@click.pass_context
def cli(ctx: click.Context, project: Path | None, ledger: str | None, engine: str | None) -> None:
    """Roll one release of a multi-tenant SaaS across its fleet, in waves.

    \b
    Exit codes: 0 ok, 1 a deployment failed, 2 bad input or usage,
                3 blocked by the lifecycle or a gate.
    """
    ctx.obj = Options(project, ledger, engine)


def _register() -> None:
    from tenantwave.cli import deploy, read

    for command in (read.validate, read.plan, read.status, deploy.up, deploy.approve, deploy.destroy):
        cli.add_command(command)
    cli.add_command(__import__("tenantwave.cli.preview", fromlist=["preview"]).preview)  # platform preview
    cli.add_command(__import__("tenantwave.cli.ci", fromlist=["ci"]).ci)  # platform ci github
    cli.add_command(__import__("tenantwave.cli.tenant", fromlist=["tenant"]).tenant)  # platform tenant ...
    health = __import__("tenantwave.cli.health", fromlist=["verify"])
    cli.add_command(health.verify)  # platform verify
    cli.add_command(health.rollback)  # platform rollback


_register()
