"""Files a command writes (`--output`, `--markdown`, `--json-file`): checked before the work that
produces them, so a bad path fails at once instead of after a long preview."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tenantwave.errors import UsageError


def prepare_output(path: Path, option: str) -> None:
    """Create the directory of `path` if needed (as `ci github --output` always did) and make sure the
    file can be written there; UsageError (exit 2) naming the option otherwise."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot create its directory: {exc.strerror or exc}") from None
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a directory; name a file")
    if not os.access(path if path.exists() else path.parent, os.W_OK):
        raise UsageError(f"{option} {path}: not writable")
    try:  # access() says yes to root anywhere (/proc, a read-only mount): open it for real, write nothing
        if path.exists():
            path.open("ab").close()
        else:
            tempfile.TemporaryFile(dir=path.parent).close()
    except OSError as exc:
        raise UsageError(f"{option} {path}: not writable ({exc.strerror or exc})") from None


def write_output(path: Path, text: str, option: str) -> None:
    """Write a prepared output file; UsageError (exit 2) naming the option if that still fails."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write it: {exc.strerror or exc}") from None
