"""Every `platform ...` command line the README and docs/ show is one the CLI accepts: its command
exists and takes each option it names; concrete lines (code blocks) parse whole (issue 16, point 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.commandlines import Line, check, documented

pytestmark = pytest.mark.cli

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def lines() -> list[Line]:
    return [line for page in PAGES for line in documented(page, str(page.relative_to(ROOT)))]


def test_the_pages_show_command_lines_of_both_kinds() -> None:
    found = lines()
    assert {line.where.split(":")[0] for line in found} >= {"README.md", "docs/commands.md"}
    assert sum(line.concrete for line in found) >= 10 and sum(not line.concrete for line in found) >= 10


@pytest.mark.parametrize("line", lines(), ids=lambda line: line.where)
def test_every_documented_command_line_is_accepted(line: Line) -> None:
    assert check(line) is None, f"{line.where}: {line.text}: {check(line)}"


@pytest.mark.parametrize(
    ("text", "concrete", "problem"),
    [
        ("platform plan --release 1.4.0 --wave 3", True, None),
        ("platform plan --release 1.4.0 --wave three", True, "'three' is not a valid integer"),
        ("platform plan --relaese 1.4.0", True, "No such option"),
        ("platform plna --release 1.4.0", True, "no command plna"),
        ("platform up --release 1.4.0", True, None),
        ("platform tenant add ID --tier T --env E... [--wave N] [--yes]", False, None),
        ("platform status [--all] [--verbose]", False, "no such option: --verbose"),
        ("platform destroy (--stack NAME \\| --tenant ID) [--purge]", False, "no such option: --purge"),
    ],
)
def test_the_check_can_fail(text: str, concrete: bool, problem: str | None) -> None:
    found = check(Line("x.md:1", text, concrete))
    assert (found is None) if problem is None else (found is not None and problem in found), found
