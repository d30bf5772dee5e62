"""The `platform` command line. Thin: parse, call the core, render.

- `app`         the click group, and errors turned into one message and an exit code
- `application` the object every command gets: options, workspace, confirmation, runs with progress
- `notifying`   the events commands tell the webhooks of platform.yaml `notify`, and what became of them
- `options`     options shared by several commands, each defined once
- `read`        validate, plan, status      `deploy`  up, approve, destroy
- `health`      verify, rollback            `tenant`  tenant add, remove, move, list
- `preview`     preview                     `ci`      ci github
- `unlock`      unlock (a claim released by hand)
- `drift`       drift (a refresh preview of each deployed stack, recorded)
- `dashboard`   dashboard (the web UI), report --html (its static file)
- `progress`, `render`, `tables`, `jsonout`: how runs, tables and JSON documents are shown
- `examples`    the examples every --help ends with; `completion`: names for shell completion
- `text`, `streams`: outside text made safe to show; stdout/stderr that a closed reader cannot break
- `outputs`     files a command writes (--output, --markdown, --json-file), checked before the work
- `ending`      how the console script's process ends after a read command: at once, once all is out
- `outputfailure` stdout that cannot be written (closed, a full disk, an ASCII locale): one line, exit 2
- `lazycommands` the group's commands, each module imported when one of its commands is first used
"""

from __future__ import annotations

import gc
import sys

from tenantwave.cli import ending, examples
from tenantwave.cli.app import cli
from tenantwave.cli.lazycommands import LazyCommands
from tenantwave.cli.outputfailure import exit_code, watch_stdout
from tenantwave.cli.streams import guard_closed_pipes

COMMANDS = {  # each command of `platform`, and the module defining it (imported when the command is used)
    "validate": "read",
    "plan": "read",
    "status": "read",
    "up": "deploy",
    "approve": "deploy",
    "destroy": "deploy",
    "preview": "preview",
    "ci": "ci",
    "tenant": "tenant",
    "verify": "health",
    "rollback": "health",
    "unlock": "unlock",
    "drift": "drift",
    "dashboard": "dashboard",
    "report": "dashboard",
}
examples.attach(cli)  # the group's own; each command gets its examples when its module is imported:
cli.commands = LazyCommands({name: f"tenantwave.cli.{module}" for name, module in COMMANDS.items()}, examples.give)


def main() -> None:
    """Run `platform` with the process's arguments and exit with its code (SystemExit), as any
    program embedding the command line would: the ordinary exit, whatever the command."""
    _run(ends_early=False)


def console() -> None:
    """The `platform` console script's entry point (pyproject.toml): `main`, except that after a
    read command the process ends without tearing its heap down (ending), if the script runs alone."""
    _run(ends_early=ending.alone(sys._getframe(0).f_back))


def _run(*, ends_early: bool) -> None:
    watched = watch_stdout()  # output that cannot be written: one line on stderr, exit 2 (outputfailure)
    guard_closed_pipes()  # output to a reader that went away stops quietly (streams)
    ending.arm(ends_early)
    try:
        sys.exit(cli.main(prog_name="platform", standalone_mode=True))
    except SystemExit as exc:
        code = exit_code(watched, exc.code)
        ending.end_now(code)  # returns unless this is the script's end after a read command
        if code != exc.code:
            raise SystemExit(code) from None
        raise
    finally:
        ending.arm(False)
        _before_exit()


def _before_exit() -> None:
    """The process ends next. Collect garbage once (the finalizers of unreachable objects run, as
    at any exit), then move every object left out of the collector's sight: the interpreter's exit
    would otherwise walk them all in two or three more full collections while tearing down, 0.3 s
    after a plan of 10,000 tenants (two million objects) for nothing, since they go with the
    process. atexit handlers, flushing and reference counting are untouched."""
    gc.collect()
    gc.freeze()


__all__ = ["cli", "console", "main"]
