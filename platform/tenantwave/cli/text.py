"""Text from outside (engine and check output, error strings, YAML values) made safe to show.

Outside text is data. On a terminal it must not move the cursor, retitle the window or clear the
screen (escape sequences, control characters), and in a rich view it must not be read as markup
(`[/bold]` raises, `[error] x` vanishes). `printable` drops ANSI escape sequences and shows any
other control character as `\\xNN`; `markup_safe` also escapes rich markup.
"""

from __future__ import annotations

import re

from rich.markup import escape

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


def markup_safe(text: str) -> str:
    """`text` for a rich markup string: printable, and markup escaped."""
    return escape(printable(text))
