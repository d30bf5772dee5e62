"""Outside text in a GitHub Markdown body (an issue, a PR comment), shown as text and nothing else.

`markdown_text(value)` is for text that comes from outside (resource names, engine errors, YAML values),
placed inline (after other text on its line, in a table cell, or in raw HTML such as `<summary>` or
`<code>`, where Markdown backslash escapes would show). It must never become a link, an image, a
mention, emphasis, a code span or HTML, so it uses only what both Markdown and HTML read the same way:

- secrets are redacted first (escaping could split a secret the redactor knows);
- control characters (ESC, BEL, the rest of C0 but tab, DEL and C1) are removed; line breaks become
  spaces (one line: a table row or a summary stays one);
- `&`, `<`, `>` are HTML-escaped (no tag, no autolink); the metacharacters that start a construct
  inline (backslash, backtick, `*`, `_`, `~`, `|`, `#`) are numeric character references, which
  CommonMark shows as the character and never reads as syntax; so is a `]` followed by `(` or `[`
  (no inline link or image; a body has no link reference definitions, so `[text]` alone is text);
- `@` is followed by a zero-width joiner, so `@someone` or `@org/team` never notifies anyone.
"""

from __future__ import annotations

import html
import re

from tenantwave.privacy.redaction import redact

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"\r\n|[\r\n\u2028\u2029]")
_SYNTAX = re.compile(r"[\\`*_~|#]|\](?=[(\[])")
ZERO_WIDTH_JOINER = "\u200d"


def _reference(match: re.Match[str]) -> str:
    return f"&#{ord(match.group(0))};"


def markdown_text(value: object) -> str:
    """`value` as inert inline text in a Markdown body (see the module): shows as written, does nothing."""
    text = _LINE_BREAK.sub(" ", _CONTROL.sub("", redact(str(value))))
    text = _SYNTAX.sub(_reference, html.escape(text, quote=False))
    return text.replace("@", "@" + ZERO_WIDTH_JOINER)
