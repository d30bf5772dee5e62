"""Text from outside (engine and check output, error strings, YAML values) made safe to show.

Outside text is data. On a terminal it must not move the cursor, retitle the window or clear the
screen (escape sequences, control characters), and in a rich view it must not be read as markup
(`[/bold]` raises, `[error] x` vanishes). `printable` drops ANSI escape sequences and shows any
other control character as `\\xNN`; `markup_safe` also escapes rich markup.
"""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str, *, one_line: bool = False) -> str:
    """`text` without escape sequences; other control characters shown as \\xNN (newlines kept,
    or turned into spaces with `one_line`)."""
    if text.isprintable():  # the common case, at C speed (tables of thousands of rows)
        return text
    text = _ANSI.sub("", text)
    if one_line:
        text = text.replace("\r\n", " ").replace("\n", " ")
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


_BRACKET = re.compile(r"(\\*)\[")
_TAG = re.compile(r"\[[a-z#/@][^[]*?]")  # what rich reads as a tag (rich.markup.RE_TAGS)
_TRAILING_BACKSLASHES = re.compile(r"(\\+)\Z")


def markup_safe(text: str) -> str:
    """`text` for a rich markup string, before a closing tag: printable, and shown exactly as it is.

    rich's own `escape` is not enough: it leaves a "[" that no tag follows, whose backslashes rich
    then eats ("\\[" shows as "["), and an even run of trailing backslashes, which eats one. Here
    each "[" gets what rich undoes: before a tag-like "[x]", its k backslashes doubled plus one (rich
    shows k backslashes and the tag as text); before any other "[", one more backslash (rich's
    plain-text pass takes one off); trailing backslashes are doubled (the closing tag that follows
    then shows them all).
    """
    shown = printable(text)

    def bracket(match: re.Match[str]) -> str:
        backslashes = len(match.group(1))
        if _TAG.match(shown, match.end() - 1):
            return "\\" * (2 * backslashes + 1) + "["
        return "\\" * (backslashes + 1) + "["

    safe = _BRACKET.sub(bracket, shown)
    return _TRAILING_BACKSLASHES.sub(lambda m: m.group(1) * 2, safe)
