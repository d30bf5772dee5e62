"""Outside text (engine errors, check output, YAML values) shown safely: no escape sequence reaches
the terminal, no markup is interpreted, nothing is dropped."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from tenantwave.cli.text import markup_safe, printable

pytestmark = pytest.mark.unit


def rendered(markup: str) -> str:
    out = io.StringIO()
    Console(file=out, width=200, highlight=False, color_system=None).print(markup)
    return out.getvalue().rstrip("\n")


def test_escape_sequences_are_dropped_and_other_controls_shown() -> None:
    text = "a\x1b[31mred\x1b[0m \x1b]0;title\x07b\x1b[2J c\rd\x00e\x9bf"
    assert printable(text) == "ared b c\\x0dd\\x00e\\x9bf"
    assert printable("one\ntwo\tthree") == "one\ntwo\tthree"
    assert printable("one\ntwo", one_line=True) == "one two"


def test_markup_in_outside_text_is_shown_as_it_is() -> None:
    for text in ("[/bold] closing tag", "[error] x", "[red]not red[/]", "path\\", "[link=x]y[/link]"):
        assert rendered(f"[bold]{markup_safe(text)}[/]") == text  # as the views use it: inside a style


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF, exclude_categories=("Cc",))))
def test_any_printable_text_survives_rich_unchanged(text: str) -> None:
    assert printable(text) == text
    assert rendered(f"[red]{markup_safe(text)}[/]").rstrip() == text.rstrip()


@given(st.text(alphabet="[]\\/ab#@= x", max_size=16))
def test_brackets_and_backslashes_survive_rich_unchanged(text: str) -> None:
    """The characters rich's markup gives a meaning to, densely: rich's own escape() loses "\\[" and
    an even run of trailing backslashes before a closing tag."""
    assert rendered(f"[red]{markup_safe(text)}[/]").rstrip() == text.rstrip()
