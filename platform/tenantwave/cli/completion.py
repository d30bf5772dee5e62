"""Shell completion (click's) of the names a command takes: stacks, tenants, tiers, environments,
engines. Names come from the project's configuration (found as every command finds it, `--project`
included); completion never fails a shell: no project, or a broken one, completes nothing.

Enable it once per shell (docs/commands.md):
    bash  eval "$(_PLATFORM_COMPLETE=bash_source platform)"
    zsh   eval "$(_PLATFORM_COMPLETE=zsh_source platform)"
    fish  _PLATFORM_COMPLETE=fish_source platform | source
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tenantwave.cli.application import Application

if TYPE_CHECKING:
    from tenantwave.config.models import Project

Completer = Callable[[click.Context, click.Parameter, str], list[str]]


def _project(ctx: click.Context) -> Project | None:
    from tenantwave.config.loader import find_project, load_project

    app = ctx.find_object(Application)
    try:
        root = app.project_dir.resolve() if app is not None and app.project_dir else find_project(Path.cwd())
        return load_project(root)
    except Exception:  # completion must never break the shell
        return None


def _names(pick: Callable[[Project], Iterable[str]]) -> Completer:
    def complete(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
        project = _project(ctx)
        if project is None:
            return []
        return sorted(name for name in set(pick(project)) if name.startswith(incomplete))

    return complete


def _stack_names(project: Project) -> Iterable[str]:
    from tenantwave.planning.inventory import build_inventory

    return (stack.name for stack in build_inventory(project))


stacks = _names(_stack_names)
tenants = _names(lambda project: project.tenants)
tiers = _names(lambda project: project.tiers)
environments = _names(lambda project: project.environments)


def engines(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
    return [name for name in ("mock", "pulumi") if name.startswith(incomplete)]
