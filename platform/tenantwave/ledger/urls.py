"""Ledger URLs, read without SQLAlchemy (the planning path imports it only when a ledger exists)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

_PLAIN_SQLITE = re.compile(r"\Asqlite:///(?P<path>[^?%#]+)\Z")


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
    """The URL with its secrets replaced by *** (for messages; without SQLAlchemy): the password
    of its userinfo, and the value of every query parameter whose name contains "password"
    (libpq's `password` and `sslpassword`; `passfile` and `sslkey` name files and are shown).

    The userinfo ends at the LAST '@' before the query (the first '?' or '#' after the first '@'),
    so a password with an unescaped '@', ':' or '/' is hidden whole. Not told apart: a password
    whose unescaped '@' is followed by a '?' or '#' (percent-escape those, as libpq asks)."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return _hide_query_secrets(url)
    return scheme + separator + _hide_query_secrets(_hide_password(rest))


def _hide_password(rest: str) -> str:
    """`user:password@host...` (the URL after `://`) with the password replaced by ***."""
    colon = rest.find(":")
    first_at = rest.find("@", colon + 1)
    if colon < 0 or first_at < 0 or any(mark in rest[:colon] for mark in "/?#@"):
        return rest
    query = min((i for i in (rest.find("?", first_at), rest.find("#", first_at)) if i >= 0), default=len(rest))
    return rest[:colon] + ":***" + rest[rest.rfind("@", 0, query):]


def _hide_query_secrets(text: str) -> str:
    """`text` with the value of each query parameter whose name contains "password" replaced by ***."""
    base, mark, query = text.partition("?")
    if not mark or "password" not in unquote(query).lower():
        return text
    fragment = query.find("#")
    query, tail = (query, "") if fragment < 0 else (query[:fragment], query[fragment:])
    parts = [
        f"{name}=***" if "password" in unquote(name).lower() and equals else name + equals + value
        for name, equals, value in (part.partition("=") for part in query.split("&"))
    ]
    return base + mark + "&".join(parts) + tail
