"""Help and completion (issue 16, point 12): every option has help, every command's --help ends
with two or three examples that parse, and the shell completes command, stack, tenant, tier and
environment names."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
import pytest

from support.clirunner import Platform
from support.commandlines import parse
from tenantwave.cli.examples import EXAMPLES

pytestmark = pytest.mark.cli


def commands() -> dict[str, click.Command]:
    """Every command and group by its path under `platform` ("" is `platform` itself)."""
    from tenantwave.cli import cli

    found: dict[str, click.Command] = {"": cli}

    def walk(prefix: str, group: click.Group) -> None:
        for name, command in group.commands.items():
            path = f"{prefix} {name}".strip()
            found[path] = command
            if isinstance(command, click.Group):
                walk(path, command)

    walk("", cli)
    return found


@pytest.mark.parametrize("path", sorted(commands()))
def test_every_option_has_help(path: str) -> None:
    missing = [p.opts for p in commands()[path].params if isinstance(p, click.Option) and not p.help]
    assert missing == []


@pytest.mark.parametrize("path", sorted(commands()))
def test_help_ends_with_two_or_three_examples(path: str, platform: Platform) -> None:
    result = platform(*path.split(), "--help")
    assert result.exit_code == 0
    head, _, tail = result.stdout.rstrip("\n").rpartition("\n  Examples:\n")
    assert head, f"platform {path} --help has no examples"
    lines = tail.splitlines()
    assert 2 <= len(lines) <= 3
    assert lines == [f"    {line}" for line in EXAMPLES[path]]


@pytest.mark.parametrize(("path", "example"), [(p, e) for p, lines in EXAMPLES.items() for e in lines])
def test_every_example_parses(path: str, example: str) -> None:
    """The example's command exists and takes every option it uses (nothing runs)."""
    words = shlex.split(example)
    assert words[0] == "platform"
    assert parse(words[1:]).startswith(path)


def complete(platform: Platform, line: str) -> list[str]:
    """What bash completion offers for the last word of `line` (click's bash protocol)."""
    words = line.split(" ")
    result = platform(env={"_PLATFORM_COMPLETE": "bash_complete", "COMP_WORDS": line,
                           "COMP_CWORD": str(len(words) - 1)})
    assert result.exit_code == 0, result.output
    return [entry.split(",", 1)[1] for entry in result.stdout.splitlines() if entry]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("platform ten", ["tenant"]),
        ("platform tenant m", ["move"]),
        ("platform up --tenant hel", ["helios-bank"]),
        ("platform up --env production-", ["production-eu", "production-us"]),
        ("platform up --tier p", ["premium"]),
        ("platform destroy --stack staging.silo.", ["staging.silo.helios-bank", "staging.silo.juniper-retail"]),
        ("platform tenant move corner", ["corner-bakery"]),
        ("platform tenant add nova --tier s", ["standard"]),
        ("platform status --engine m", ["mock"]),
    ],
)
def test_shell_completion_of_commands_and_names(project: Path, platform: Platform, line: str,
                                                expected: list[str]) -> None:
    assert complete(platform, line) == expected


def test_completion_outside_a_project_offers_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     platform: Platform) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLATFORM_PROJECT", raising=False)
    assert complete(platform, "platform up --tenant a") == []
