"""Who is acting: the identity an approval is recorded under.

In this order: `--by NAME`, `PLATFORM_ACTOR`, `GITHUB_ACTOR` (CI), git's `user.email` (as the
project's checkout sees it), the login name. Without any of them the command refuses: an approval
by "unknown" approves nothing anyone can account for.
"""

from __future__ import annotations

import getpass
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tenantwave.errors import UsageError

MAX_LENGTH = 200  # an identity is a name or an e-mail address, not a document
ENVIRONMENT = ("PLATFORM_ACTOR", "GITHUB_ACTOR")


@dataclass(frozen=True)
class Actor:
    name: str
    source: str  # "--by", "PLATFORM_ACTOR", "GITHUB_ACTOR", "git user.email", "login name"


def resolve_actor(given: str | None, root: Path, environ: Mapping[str, str] | None = None) -> Actor:
    """The first identity found in the documented order; UsageError (exit 2) when there is none."""
    env = os.environ if environ is None else environ
    candidates: list[tuple[str, str | None]] = [("--by", given)]
    candidates += [(name, env.get(name)) for name in ENVIRONMENT]
    for source, value in candidates:
        name = (value or "").strip()
        if name:
            return Actor(_checked(name, source), source)
    if found := git_email(root):
        return Actor(_checked(found, "git user.email"), "git user.email")
    if found := login_name():
        return Actor(_checked(found, "login name"), "login name")
    raise UsageError(
        "who approves? no identity found: pass --by NAME, or set PLATFORM_ACTOR "
        "(GITHUB_ACTOR in GitHub Actions), or configure git's user.email"
    )


def _checked(name: str, source: str) -> str:
    if len(name) > MAX_LENGTH or any(ord(ch) < 32 for ch in name):
        raise UsageError(f"{source} {name[:40]!r}: an identity is one line of at most {MAX_LENGTH} characters")
    return name


def git_email(root: Path) -> str | None:
    """git's user.email as seen from `root` (None without git, outside a checkout's config, or unset)."""
    try:
        done = subprocess.run(
            ["git", "config", "--get", "user.email"], cwd=root, capture_output=True, text=True, timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def login_name() -> str | None:
    """The login name (LOGNAME, USER, ..., then the password database); None when there is none."""
    try:
        return getpass.getuser().strip() or None
    except (OSError, KeyError):
        return None
