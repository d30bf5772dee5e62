"""Release versions and the source commit they are built from."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tenantwave.errors import UsageError

_RELEASE_RE = re.compile(r"\A[0-9A-Za-z][0-9A-Za-z._+-]{0,63}\Z")
_COMMIT_RE = re.compile(r"\A[0-9a-f]{7,64}\Z")


_TAG_PREFIX = re.compile(r"\A[vV](?=[0-9])")


def check_release(release: str, option: str = "--release") -> str:
    """The release, checked and normalised: a leading `v` before a digit is dropped, so that the
    tag `v1.4.0` (what CI passes) and `1.4.0` (what an operator types) are one release."""
    if not _RELEASE_RE.match(release):
        raise UsageError(
            f"{option} {release!r}: a release is 1-64 characters of letters, digits, '.', '_', '+', '-', "
            "starting with a letter or digit (e.g. 1.4.0)"
        )
    return _TAG_PREFIX.sub("", release)


def source_commit(root: Path, given: str | None = None) -> str | None:
    """--commit if given (checked), else the project's git HEAD, else None (not a git checkout)."""
    if given is not None:
        if not _COMMIT_RE.match(given):
            raise UsageError(f"--commit {given!r}: expected a git commit id (7-64 hex digits)")
        return given
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and _COMMIT_RE.match(commit) else None
