"""Text from outside (engine output, errors, comments, logs) made fit for a page: secrets redacted,
control characters dropped, size capped. HTML escaping is the templates' (autoescape), always."""

from __future__ import annotations

import re

from tenantwave.privacy.redaction import redact

TEXT_LIMIT = 2_000  # characters of one error or reason
LOG_LIMIT = 64_000  # characters of a log shown on a page (its end)
_CONTROL = re.compile(
    r"(?:\x1b[\]PX^_]|[\x90\x98\x9d-\x9f])[^\x07\x9c]*?(?:\x07|\x1b\\|\x9c|\Z)"  # OSC, DCS, SOS, PM, APC
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI (colours, cursor, private modes)
    r"|\x1b[ -/]+[0-~]"  # nF: charset designations (ESC ( B)
    r"|\x1b[0-~]"  # two-character escapes (ESC c, ESC 7)
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]",  # what is left: C0 but tab and newline, DEL, C1
    re.DOTALL,
)


def shown(text: str | None, limit: int = TEXT_LIMIT) -> str:
    """`text` redacted, without escape sequences or control characters (tabs and newlines kept),
    cut to `limit` characters with a note saying how much was left out."""
    if not text:
        return ""
    clean = _CONTROL.sub("", redact(text))
    if len(clean) <= limit:
        return clean
    return clean[:limit] + f"\n[... {len(clean) - limit} more characters not shown]"


def log_tail(text: str, limit: int = LOG_LIMIT) -> str:
    """The end of a log, redacted and cleaned: the last `limit` characters, with a note when cut."""
    clean = _CONTROL.sub("", redact(text))
    if len(clean) <= limit:
        return clean
    return f"[... the first {len(clean) - limit} characters not shown]\n" + clean[-limit:]
