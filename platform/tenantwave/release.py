"""Release versions: checked before they reach a stack config, a log path or a command line."""

from __future__ import annotations

import re

from tenantwave.errors import UsageError

_RELEASE_RE = re.compile(r"\A[0-9A-Za-z][0-9A-Za-z._+-]{0,63}\Z")


def check_release(release: str) -> str:
    if not _RELEASE_RE.match(release):
        raise UsageError(
            f"--release {release!r}: a release is 1-64 characters of letters, digits, '.', '_', '+', '-', "
            "starting with a letter or digit (e.g. 1.4.0)"
        )
    return release
