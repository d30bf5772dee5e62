"""The click group, its options, and how errors become one plain message and an exit code."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from tenantwave import __version__
from tenantwave.cli import completion
from tenantwave.cli.application import Application
from tenantwave.cli.options import ENGINE_HELP, LEDGER_HELP, PROJECT_HELP, project_type
from tenantwave.errors import EXIT_FAILED, ConfigError, PlatformError
from tenantwave.privacy import files, redaction, streams


class PlatformGroup(click.Group):
    """Turns every PlatformError into plain lines on stderr and its exit code; never a traceback.
    Whatever a command prints goes through the redactor (secrets of the environment it started in)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        redaction.adopt_environment(os.environ)
        if _completing(kwargs):  # click writes completions as bytes, which the redactor refuses;
            return super().main(*args, **kwargs)  # they are command and configuration names
        with streams.redacted_output():
            return super().main(*args, **kwargs)

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


def _completing(main_kwargs: dict[str, Any]) -> bool:
    """Whether this invocation is the shell asking for completions (click's `_PLATFORM_COMPLETE`)."""
    prog = main_kwargs.get("prog_name") or "platform"
    variable = main_kwargs.get("complete_var") or f"_{prog}_COMPLETE".replace("-", "_").upper()
    return bool(os.environ.get(variable))


def _save_traceback(exc: BaseException) -> str:
    """The traceback, redacted, in a new private (0600) file of the temporary directory; its path."""
    import traceback

    try:
        return files.temporary_file("".join(traceback.format_exception(exc)), prefix="tenantwave-crash-", suffix=".log")
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


@click.group(cls=PlatformGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="platform")
@click.option("--project", type=project_type, envvar="PLATFORM_PROJECT", help=PROJECT_HELP)
@click.option("--ledger", metavar="URL", help=LEDGER_HELP)
@click.option("--engine", metavar="NAME", help=ENGINE_HELP, shell_complete=completion.engines)
@click.option("--json", "as_json", is_flag=True, help="Every command that can: print JSON instead of text.")
@click.pass_context
def cli(ctx: click.Context, project: Path | None, ledger: str | None, engine: str | None, as_json: bool) -> None:
    """Roll one release of a multi-tenant SaaS across its fleet, in waves.

    \b
    --project, --ledger, --engine and --json also work after the subcommand.
    Exit codes: 0 ok, 1 a deployment failed, 2 bad input or usage,
                3 blocked by the lifecycle or a gate.
    """
    ctx.obj = Application(project, ledger, engine, as_json)
    ctx.call_on_close(ctx.obj.close)  # notifications still on their way: a bounded wait, then a summary
