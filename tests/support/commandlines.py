"""`platform ...` command lines as the README, docs/ and `--help` show them, checked against the CLI.

Two kinds of lines: a concrete one (in a fenced code block, or an example) is parsed as click parses
it, types and required options included (`parse`); a synopsis in inline code (`platform up
--release V (--wave N | targets) [--yes]`) has placeholders, so only its command and the options it
names are checked (`unknown_options`). Nothing runs.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import click

FENCE = re.compile(r"^[ \t]*(```|~~~)")
INLINE = re.compile(r"`(platform [^`]*?)`", re.DOTALL)
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])")


@dataclass(frozen=True)
class Line:
    where: str  # file:line
    text: str
    concrete: bool  # from a code block: parsed whole; else a synopsis: its options checked


def documented(path: Path, shown: str) -> list[Line]:
    """Every `platform ...` line of a Markdown file: in fenced code blocks and in inline code."""
    found: list[Line] = []
    prose: list[str] = []
    fenced = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            prose.append("")
            continue
        if fenced:
            command = line.split(" #", 1)[0].strip()  # a trailing comment explains the line
            if command.startswith("platform "):
                found.append(Line(f"{shown}:{number}", command, concrete=True))
            prose.append("")
        else:
            prose.append(line)
    text = "\n".join(prose)
    for match in INLINE.finditer(text):
        if "\n\n" not in match[1]:
            number = text.count("\n", 0, match.start()) + 1
            found.append(Line(f"{shown}:{number}", " ".join(match[1].split()), concrete=False))
    return found


def _cli() -> click.Group:
    from tenantwave.cli import cli

    return cli


def command_of(words: list[str]) -> tuple[list[str], click.Command, list[str]]:
    """(its path, the command, the words after it) of `platform WORDS`: leading words that name
    subcommands; an unknown subcommand raises."""
    command: click.Command = _cli()
    ctx = click.Context(command, info_name="platform")
    path: list[str] = []
    while isinstance(command, click.Group) and words and not words[0].startswith("-"):
        found = command.get_command(ctx, words[0])
        if found is None:
            raise click.UsageError(f"no command {' '.join([*path, words[0]])}")
        path.append(words[0])
        command, words = found, words[1:]
        ctx = click.Context(command, info_name=path[-1], parent=ctx)
    return path, command, words


def parse(words: list[str]) -> str:
    """Parse `platform WORDS` as click does (unknown option, bad value or missing required option:
    click's exception); the command's path."""
    path, command, rest = command_of(words)
    parent = click.Context(_cli(), info_name="platform")
    command.make_context(path[-1] if path else "platform", list(rest), parent=parent)
    return " ".join(path)


def unknown_options(words: list[str]) -> list[str]:
    """The options a synopsis names that its command does not take."""
    _path, command, rest = command_of(words)
    known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    return [option for option in OPTION.findall(" ".join(rest)) if option not in known]


def check(line: Line) -> str | None:
    """What is wrong with a documented line, or None."""
    try:
        words = shlex.split(line.text) if line.concrete else line.text.replace("\\|", "|").split()
        if words[0] != "platform":
            return "not a platform command line"
        if line.concrete:
            parse(words[1:])
            return None
        unknown = unknown_options(words[1:])
        return f"no such option: {', '.join(unknown)}" if unknown else None
    except (click.ClickException, ValueError) as exc:
        return str(exc.format_message() if isinstance(exc, click.ClickException) else exc)
