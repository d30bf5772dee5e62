"""The design lives in the repository: every reference to docs/design.md resolves to one of its headings.

- a reference in the source (the page's path followed by `#anchor`, or by `§` and a heading's text)
  names a heading that exists in docs/design.md (anchors as GitHub makes them from headings);
- nothing cites the design document that used to live outside the repository (its uppercase name);
- the README's links into docs/ and the links inside docs/ point at files and headings that exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DESIGN = DOCS / "design.md"
SCANNED = ("platform", "stacks", "tests", "bench", "docs")
SCANNED_FILES = ("README.md", "Makefile", "pyproject.toml", "Pulumi.yaml", "platform.yaml")
SUFFIXES = frozenset({".py", ".md", ".yaml", ".yml", ".toml", ".txt", ".cfg", ".sh"})
SKIPPED_DIRS = frozenset({"__pycache__", ".venv", ".platform", ".git", ".mypy_cache", ".ruff_cache", ".pytest_cache"})

DESIGN_PATH = "docs/design" + ".md"  # spelled in two parts so this file holds no reference itself
OLD_DESIGN = "DESIGN" + ".md"
REFERENCE = re.compile(re.escape(DESIGN_PATH) + r"(?:#(?P<anchor>[\w-]*)|[ \t]*§[ \t]*(?P<section>[^\n]*))")
HEADING = re.compile(r"^(?P<level>#{1,6})[ \t]+(?P<text>.+?)[ \t]*#*[ \t]*$")
FENCE = re.compile(r"^[ \t]*(```|~~~)")
LINK = re.compile(r"\[[^\]\n]*\]\((?P<target>[^)\s]+)(?:[ \t]+\"[^\"]*\")?\)")
NUMBER = re.compile(r"\d+(?:\.\d+)*")


def headings(text: str) -> list[str]:
    """The heading texts of a Markdown document, in order, ignoring fenced code blocks."""
    found: list[str] = []
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match is not None:
            found.append(match["text"])
    return found


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every anchor of a document's headings; a repeated heading gets -1, -2... as on GitHub."""
    seen: dict[str, int] = {}
    result: set[str] = set()
    for heading in headings(text):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def resolves(text: str, anchor: str | None, section: str | None) -> bool:
    """Whether a reference (`#anchor`, or `§` followed by a heading's text or number) names a heading."""
    if anchor is not None:
        return anchor in anchors(text)
    wanted = (section or "").strip().strip("\"'“”`").lower()
    if not wanted:
        return False
    number = NUMBER.match(wanted)
    titles = [heading.strip().lower() for heading in headings(text)]
    if number is not None and number.end() == len(wanted.split()[0].rstrip(".,;:)")):
        return any(re.match(re.escape(number.group()) + r"[. ]", title) for title in titles)
    return any(wanted.startswith(title) for title in titles)


CODE_SPAN = re.compile(r"`[^`\n]*`")


def without_code(text: str) -> str:
    """The text with inline code and fenced blocks blanked out (same length and lines): what looks
    like a link there (a regular expression such as `[a-z]([-a-z]{0,30})`) is not one."""
    kept, fenced = [], False
    for line in text.splitlines(keepends=True):
        if FENCE.match(line):
            fenced = not fenced
            kept.append(line)
            continue
        kept.append(" " * (len(line) - 1) + line[-1:] if fenced else CODE_SPAN.sub(lambda m: " " * len(m[0]), line))
    return "".join(kept)


def source_files() -> Iterator[Path]:
    for name in SCANNED_FILES:
        if (ROOT / name).is_file():
            yield ROOT / name
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in SUFFIXES and not SKIPPED_DIRS.intersection(path.parts):
                yield path


def references() -> list[tuple[str, str | None, str | None]]:
    """(file:line, anchor, section) of every reference to the design document in the repository."""
    found = []
    for path in source_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in REFERENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{path.relative_to(ROOT)}:{line}", match["anchor"], match["section"]))
    return found


def broken_links(markdown: Path, only_into: Path | None = None) -> list[str]:
    """Relative links of `markdown` whose file or heading does not exist (only those into
    `only_into`, when given)."""
    shown = markdown.relative_to(ROOT) if markdown.is_relative_to(ROOT) else markdown.name
    problems = []
    text = without_code(markdown.read_text(encoding="utf-8"))
    for match in LINK.finditer(text):
        target = match["target"]
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # https:, mailto:...
            continue
        path_part, _, anchor = target.partition("#")
        file = (markdown.parent / path_part).resolve() if path_part else markdown
        if only_into is not None and only_into.resolve() not in (file, *file.parents):
            continue
        line = text.count("\n", 0, match.start()) + 1
        where = f"{shown}:{line}: {target}"
        if not file.exists():
            problems.append(f"{where}: no such file")
        elif anchor and (file.suffix != ".md" or anchor not in anchors(file.read_text(encoding="utf-8"))):
            problems.append(f"{where}: no heading with that anchor")
    return problems


# -- the design document and the references to it ----------------------------------------------


def test_the_design_document_exists_and_has_the_sections_maintainers_look_for() -> None:
    present = anchors(DESIGN.read_text(encoding="utf-8"))
    for anchor in (
        "architecture",
        "the-layers-contract",
        "how-a-command-flows",
        "lifecycle-and-promotion",
        "promotion-of-revisions",
        "the-wave-gate",
        "runs-and-the-ledger",
        "the-engine-boundary",
        "automation-api-traps",
        "previews",
        "testing-strategy",
    ):
        assert anchor in present, anchor


def test_the_source_refers_to_the_design_document() -> None:
    """The scan finds the references the code is known to carry (so the next test is not vacuous)."""
    where = {location.split(":")[0] for location, _, _ in references()}
    assert "platform/tenantwave/planning/lifecycle.py" in where
    assert "platform/tenantwave/engine/pulumi.py" in where


def test_every_reference_to_the_design_resolves_to_a_heading() -> None:
    text = DESIGN.read_text(encoding="utf-8")
    broken = [
        f"{location}: {DESIGN_PATH}" + (f"#{anchor}" if anchor is not None else f" §{section}")
        for location, anchor, section in references()
        if not resolves(text, anchor, section)
    ]
    assert broken == [], "references to headings that docs/design.md does not have:\n" + "\n".join(broken)


def test_nothing_cites_the_design_document_outside_the_repository() -> None:
    citing = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in source_files()
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if OLD_DESIGN in line
    ]
    assert citing == [], f"cite {DESIGN_PATH}#<section> instead of {OLD_DESIGN}: " + ", ".join(citing)


def test_the_readme_links_to_the_design_and_its_links_into_docs_resolve() -> None:
    readme = ROOT / "README.md"
    assert f"]({DESIGN_PATH}" in readme.read_text(encoding="utf-8")
    assert broken_links(readme, only_into=DOCS) == []


def test_links_inside_docs_resolve() -> None:
    pages = sorted(DOCS.glob("*.md"))
    assert DESIGN in pages
    assert [problem for page in pages for problem in broken_links(page)] == []


# -- the checks themselves can fail ---------------------------------------------------------------

SAMPLE = """# Title

## Runs and the ledger

```
# not a heading: inside a code block
```

### The planning path's reads

## Notes
## Notes
"""


def test_anchors_follow_github() -> None:
    assert anchors(SAMPLE) == {"title", "runs-and-the-ledger", "the-planning-paths-reads", "notes", "notes-1"}


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("#runs-and-the-ledger", True),
        ("#the-planning-paths-reads", True),
        ("#notes-1", True),
        ("#not-a-heading-inside-a-code-block", False),
        ("#runs", False),
        ("#", False),
        (" §Runs and the ledger", True),
        (" § The planning path's reads, for plan and status", True),
        (' §"Runs and the ledger"', True),
        (" §4", False),
        (" §Runs and the journal", False),
        (" §", False),
    ],
)
def test_a_reference_resolves_only_to_a_heading_that_exists(reference: str, expected: bool) -> None:
    match = REFERENCE.match(DESIGN_PATH + reference)
    assert match is not None
    assert resolves(SAMPLE, match["anchor"], match["section"]) is expected


def test_numbered_sections_resolve_by_number() -> None:
    numbered = "# Design\n\n## 4. Lifecycle\n\n### 4.2 Waves\n"
    assert resolves(numbered, None, "4")
    assert resolves(numbered, None, "4.2")
    assert not resolves(numbered, None, "5")
    assert not resolves(numbered, None, "4.3")


def test_a_broken_link_into_docs_is_reported(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "design.md").write_text(SAMPLE, encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(
        "\n".join(
            [
                f"[design]({DESIGN_PATH}#runs-and-the-ledger)",
                f"[design]({DESIGN_PATH}#no-such-section)",
                "[gone](docs/nowhere.md)",
                "[elsewhere](bench/nowhere.md)",  # not into docs/: not this check's business
                "[web](https://example.com/docs/nowhere.md)",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    assert broken_links(readme, only_into=tmp_path / "docs") == [
        f"README.md:2: {DESIGN_PATH}#no-such-section: no heading with that anchor",
        "README.md:3: docs/nowhere.md: no such file",
    ]
    assert len(broken_links(readme)) == 3
