"""Identifiers of tenants, tiers, environments and phases.

Every id is a lowercase DNS label of at most 32 characters. It is checked before it reaches a
stack name, a Kubernetes name, a file path or a command line, so none of those ever needs quoting.
"""

from __future__ import annotations

import re

ID_PATTERN = r"[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?"
_ID_RE = re.compile(rf"\A{ID_PATTERN}\Z")
MAX_ID_LENGTH = 32


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and _ID_RE.match(value) is not None


def id_problem(value: object) -> str | None:
    """Why `value` is not a valid id, in words, or None when it is one."""
    if not isinstance(value, str):
        return f"must be a string, got {type(value).__name__}"
    if is_valid_id(value):
        return None
    shown = value if len(value) <= 40 else value[:37] + "..."
    if len(value) > MAX_ID_LENGTH:
        return f"{shown!r} is {len(value)} characters; ids have at most {MAX_ID_LENGTH}"
    return (
        f"{shown!r} is not a valid id: use lowercase letters, digits and '-', "
        "starting and ending with a letter or digit"
    )
