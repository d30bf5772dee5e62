"""Options shared by several commands, each defined once with one meaning.

The options every command takes (`--project`, `--ledger`, `--engine`) work before the subcommand
(`platform --engine mock status`) and after it (`platform status --engine mock`); the value after
the subcommand wins. `--json` always means "print one JSON document on stdout instead of text";
an option that names a file has its own name (`preview --json-file FILE`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from tenantwave.cli import completion
from tenantwave.cli.application import Application

F = TypeVar("F", bound=Callable[..., Any])

PROJECT_HELP = "Project directory (default: the nearest platform.yaml upward from here)."
LEDGER_HELP = "Ledger URL (default: PLATFORM_LEDGER_URL, then platform.yaml)."
ENGINE_HELP = (
    "Engine: pulumi, mock (simulates, own ledger) or module:factory (default: PLATFORM_ENGINE, then platform.yaml)."
)
JSON_HELP = "Print one JSON document instead of text."
project_type = click.Path(file_okay=False, path_type=Path)


def _into_application(attribute: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def store(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        if value is not None and value is not False:
            setattr(ctx.ensure_object(Application), attribute, value)

    return store


def common_options(func: F) -> F:
    """`--project`, `--ledger`, `--engine` after the subcommand (they also work before it)."""
    for option in reversed(
        [
            click.option("--project", type=project_type, expose_value=False, callback=_into_application("project_dir"),
                         help=PROJECT_HELP),
            click.option("--ledger", metavar="URL", expose_value=False, callback=_into_application("ledger_url"),
                         help=LEDGER_HELP),
            click.option("--engine", metavar="NAME", expose_value=False, callback=_into_application("engine"),
                         help=ENGINE_HELP, shell_complete=completion.engines),
        ]
    ):
        func = option(func)
    return func


def release_value(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A --release (or --to) option's value, checked and normalised (`v1.4.0` is release 1.4.0)."""
    from tenantwave.planning.release import check_release

    return None if value is None else check_release(value, param.opts[0])


def release_option(help: str, *, required: bool = True) -> Callable[[F], F]:
    """`--release/-r VERSION`, checked and normalised before the command runs."""
    return click.option("--release", "-r", required=required, metavar="VERSION", callback=release_value, help=help)


def _json_flag(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    app = ctx.ensure_object(Application)
    app.json = value or app.json
    return app.json


json_option = click.option("--json", "as_json", is_flag=True, callback=_json_flag, help=JSON_HELP)
yes_option = click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
wide_option = click.option(
    "--wide", is_flag=True, help="Show every column, wider than the terminal if need be (default: fit it)."
)


def target_options(func: F) -> F:
    """`--stack`, `--tenant`, `--tier`, `--env`: the stacks a targeted command works on."""
    for option in reversed(
        [
            click.option("--stack", "stacks", multiple=True, metavar="NAME", help="Only this stack (repeatable).",
                         shell_complete=completion.stacks),
            click.option("--tenant", "tenants", multiple=True, metavar="ID", help="Only this tenant's stacks.",
                         shell_complete=completion.tenants),
            click.option("--tier", "tiers", multiple=True, metavar="ID", help="Only this tier's stacks.",
                         shell_complete=completion.tiers),
            click.option("--env", "envs", multiple=True, metavar="NAME", help="Only this environment's stacks.",
                         shell_complete=completion.environments),
        ]
    ):
        func = option(func)
    return func


skip_hooks_option = click.option(
    "--skip-hooks", is_flag=True, help="Do not run the tiers' before_deploy hooks (recorded in the ledger)."
)
concurrency_option = click.option(
    "--concurrency", "-c", type=click.IntRange(1, 256), help="Stacks at once (default: platform.yaml)."
)
