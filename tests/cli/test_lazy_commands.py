"""The commands' modules are imported when a command is first used (cli/lazycommands.py): a read
command imports none of the others, and nothing the CLI says depends on what was imported before
(help, "Did you mean", completion, each command's own help). Fresh processes, so that nothing
is imported already."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from tenantwave.cli import COMMANDS
from tenantwave.cli.lazycommands import LazyCommands

pytestmark = pytest.mark.cli

OTHER_MODULES = sorted({f"tenantwave.cli.{module}" for module in COMMANDS.values()} - {"tenantwave.cli.read"})

# `platform ARGS` in a fresh interpreter; with EAGER=1, every command module imported first.
RUN = """
import json, os, sys
import tenantwave.cli as cli_package
if os.environ.get("EAGER"):
    for name in cli_package.COMMANDS:  # each looked up by name: as a group's mapping of loaded commands
        cli_package.cli.commands[name]
before = sorted(name for name in sys.modules if name.startswith("tenantwave.cli."))
code = None
try:
    cli_package.cli.main(prog_name="platform")
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(name for name in sys.modules if name.startswith("tenantwave.cli."))}))
"""


def platform(*args: str, eager: bool = False, env: dict[str, str] | None = None) -> tuple[int, str, str, list[str]]:
    """(exit code, stdout before the report line, stderr, tenantwave.cli modules imported at the end)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PLATFORM_", "_PLATFORM_", "COMP_"))}
    environment.update(env or {})
    if eager:
        environment["EAGER"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args], capture_output=True, text=True, env=environment, timeout=120
    )
    *lines, report = done.stdout.splitlines(keepends=True)
    result = json.loads(report)
    return result["code"], "".join(lines), done.stderr, result["modules"]


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "--release", "1.4.0", "--json"],
        ["validate"],
        ["status", "--json"],
        ["plan", "--help"],
        ["plan"],
    ],
)
def test_a_read_command_imports_no_other_command_module(args: list[str], project: Path) -> None:
    code, _out, _err, modules = platform(*args)
    assert "tenantwave.cli.read" in modules
    assert [name for name in OTHER_MODULES if name in modules] == []
    assert code in (0, 2)


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--help"], {}),
        (["plna"], {}),  # click's "Did you mean" reads the group's commands
        (["tenant", "lst"], {}),
        (["ci", "--help"], {}),
        (["tenant", "add", "--help"], {}),
        (["up", "--help"], {}),
        (["plan", "--help"], {}),
        ([], {"_PLATFORM_COMPLETE": "bash_complete", "COMP_WORDS": "platform ", "COMP_CWORD": "1"}),
        ([], {"_PLATFORM_COMPLETE": "bash_complete", "COMP_WORDS": "platform d", "COMP_CWORD": "1"}),
        ([], {"_PLATFORM_COMPLETE": "bash_complete", "COMP_WORDS": "platform tenant ", "COMP_CWORD": "2"}),
        ([], {"_PLATFORM_COMPLETE": "bash_complete", "COMP_WORDS": "platform up --re", "COMP_CWORD": "2"}),
    ],
)
def test_what_the_cli_says_does_not_depend_on_what_was_imported(
    args: list[str], env: dict[str, str], project: Path
) -> None:
    lazy = platform(*args, env=env)
    eager = platform(*args, env=env, eager=True)
    assert lazy[:3] == eager[:3]
    assert lazy[1] or lazy[2]  # it said something


def test_help_names_every_command(project: Path) -> None:
    _code, out, _err, modules = platform("--help")
    listed = out.split("Commands:\n")[1].split("\n\n")[0].splitlines()
    assert [line.split()[0] for line in listed] == sorted(COMMANDS)
    assert set(OTHER_MODULES) <= set(modules)  # their short help comes from the commands


def test_the_mapping_imports_a_module_only_for_its_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    imported: list[str] = []
    given: list[str] = []
    module = type(sys)("fake_commands")
    module.first = click.Command("first")  # type: ignore[attr-defined]
    module.second = click.Command("second")  # type: ignore[attr-defined]
    module.wrong = click.Command("other")  # type: ignore[attr-defined]
    monkeypatch.setattr("importlib.import_module", lambda name: imported.append(name) or module)
    commands = LazyCommands(
        {"first": "fake", "second": "fake", "wrong": "fake"}, lambda command, name: given.append(name)
    )
    assert (sorted(commands), len(commands), "first" in commands, "nosuch" in commands) == (
        ["first", "second", "wrong"],
        3,
        True,
        False,
    )
    assert imported == []
    assert commands.get("first") is module.first and commands["first"] is module.first
    assert (imported, given) == (["fake"], ["first"])
    assert commands.get("nosuch") is None
    commands["added"] = extra = click.Command("added")
    assert commands["added"] is extra and len(commands) == 4
    del commands["second"]
    assert "second" not in commands and imported == ["fake"]
    with pytest.raises(TypeError, match="is not the command 'wrong'"):
        commands["wrong"]
