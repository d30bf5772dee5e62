"""Ledger URLs, read without SQLAlchemy (the planning path imports it only when a ledger exists)."""

from __future__ import annotations

import re
from pathlib import Path

_PLAIN_SQLITE = re.compile(r"\Asqlite:///(?P<path>[^?%#]+)\Z")
_PASSWORD = re.compile(r"(://[^/@:]*:)[^@/]*@")


def resolve_url(url: str, root: Path) -> str:
    """A ledger URL with a relative SQLite path made relative to the project root."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        relative = url.removeprefix("sqlite:///")
        if relative and relative != ":memory:":
            return f"sqlite:///{(root / relative).resolve()}"
    return url


def plain_sqlite_file(url: str) -> Path | None:
    """The file of a plain `sqlite:///path` URL (no query, no escapes, not in memory); None for any
    other URL, which only the ledger itself interprets."""
    match = _PLAIN_SQLITE.match(url)
    if match is None or match["path"] == ":memory:":
        return None
    return Path(match["path"])


def shown_url(url: str) -> str:
    """The URL with any password replaced by *** (for messages; without parsing it as SQLAlchemy does)."""
    return _PASSWORD.sub(r"\1***@", url)
