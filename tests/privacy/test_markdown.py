"""Outside text in a Markdown body (privacy.markdown): shown as written, never a construct."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantwave.privacy.markdown import ZERO_WIDTH_JOINER, markdown_text

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("outside", "inert"),
    [
        ("[x](https://e.example)", "[x&#93;(https://e.example)"),
        ("![i](https://e.example/i.png)", "![i&#93;(https://e.example/i.png)"),
        ("[x][ref]", "[x&#93;[ref]"),
        ("@octocat and @org/team", f"@{ZERO_WIDTH_JOINER}octocat and @{ZERO_WIDTH_JOINER}org/team"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("<https://e.example>", "&lt;https://e.example&gt;"),
        ("**b** _i_ ~~s~~ `c` a|b #1 \\*", "&#42;&#42;b&#42;&#42; &#95;i&#95; &#126;&#126;s&#126;&#126; &#96;c&#96; "
                                           "a&#124;b &#35;1 &#92;&#42;"),
        ("red\x1b[31m\x07bell\x00\x7f\x9b", "red[31mbell"),
        ("two\nlines\r\nthree\ttab", "two lines three\ttab"),
        ("production.silo.acme", "production.silo.acme"),
        ("[redacted]", "[redacted]"),
    ],
)
def test_outside_text_is_shown_and_does_nothing(outside: str, inert: str) -> None:
    assert markdown_text(outside) == inert


@given(st.text())
def test_no_construct_survives(value: str) -> None:
    text = markdown_text(value)
    bare = re.sub(r"&#\d+;|&(amp|lt|gt);", "", text)  # the references themselves
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f<>`*_~|#\\]|\]\(|@(?!\u200d)", bare)
    shown = html.unescape(text).replace("@" + ZERO_WIDTH_JOINER, "@")
    expected = re.sub(r"\r\n|[\r\n\u2028\u2029]", " ", re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", "", value))
    assert shown == expected.replace("\r", " ")
