"""The click group, its shared options, and how errors become one plain message and an exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tenantwave import __version__
from tenantwave.errors import ConfigError, PlatformError


class PlatformGroup(click.Group):
    """Turns every PlatformError into plain lines on stderr and its exit code; never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PlatformError as exc:
            report_error(exc)
            ctx.exit(exc.exit_code)


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

    def __init__(self, project: Path | None, ledger: str | None) -> None:
        self.project_dir = project
        self.ledger_url = ledger
        self._workspace: Any = None

    def workspace(self) -> Any:
        if self._workspace is None:
            from tenantwave.workspace import open_workspace

            self._workspace = open_workspace(self.project_dir, self.ledger_url)
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
@click.pass_context
def cli(ctx: click.Context, project: Path | None, ledger: str | None) -> None:
    """Roll one release of a multi-tenant SaaS across its fleet, in waves.

    \b
    Exit codes: 0 ok, 1 a deployment failed, 2 bad input or usage,
                3 blocked by the lifecycle or a gate.
    """
    ctx.obj = Options(project, ledger)


def _register() -> None:
    from tenantwave.cli import read

    for command in (read.validate, read.plan, read.status):
        cli.add_command(command)


_register()
