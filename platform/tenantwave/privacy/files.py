"""Private files: what the tool keeps under `.platform/` is readable by its owner only.

Directories are 0700 and files 0600 whatever the umask (the mode is set explicitly after
creating, never left to `mkdir`/`open`, whose modes the umask narrows or a permissive one keeps
wide). Directories that already exist are tightened only inside `within` (the project's
`.platform/`, which is ours), never elsewhere: a ledger at `sqlite:////tmp/l.db` must not
change the mode of /tmp. Text written through `append_text` and `write_text` is redacted first.

Changing a mode fails on a file someone else owns; that is ignored (the file stays as it was).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import IO

from tenantwave.privacy.redaction import redact

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dirs(path: Path, *, within: Path | None = None) -> Path:
    """`path` as a directory, made with its missing parents mode 0700; existing directories at or
    below `within` are tightened to 0700 too. Raises OSError when it cannot be made."""
    missing: list[Path] = []
    current = path
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another thread or process made it meanwhile
            directory.mkdir(mode=DIR_MODE)
        _chmod(directory, DIR_MODE)
    if within is not None:
        for directory in (path, *path.parents):
            if not directory.is_relative_to(within):
                break
            if directory not in missing:
                _chmod(directory, DIR_MODE)
    if not path.is_dir():
        raise NotADirectoryError(f"{path} is not a directory")
    return path


def open_private(path: Path, mode: str = "a") -> IO[str]:
    """A text file opened for appending ("a") or writing ("w"), mode 0600 (tightened if it existed)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    descriptor = os.open(path, flags, FILE_MODE)
    try:
        with contextlib.suppress(OSError):
            os.fchmod(descriptor, FILE_MODE)
        return os.fdopen(descriptor, mode, encoding="utf-8")
    except BaseException:
        os.close(descriptor)
        raise


def append_text(path: Path, text: str, *, within: Path | None = None) -> None:
    """Append redacted `text` to a private file (its directory made private if missing)."""
    private_dirs(path.parent, within=within)
    with open_private(path, "a") as handle:
        handle.write(redact(text))


def write_text(path: Path, text: str, *, within: Path | None = None) -> None:
    """Replace a private file's content with redacted `text`, atomically (a temporary file renamed)."""
    private_dirs(path.parent, within=within)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open_private(scratch, "w") as handle:
            handle.write(redact(text))
        os.replace(scratch, path)
    except BaseException:
        with contextlib.suppress(OSError):
            scratch.unlink()
        raise


def touch(path: Path) -> None:
    """Create `path` empty if missing; either way mode 0600 (a file engines will append to)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE))
    tighten(path)


def tighten(*paths: Path) -> None:
    """Mode 0600 for each of these files that exists (the ledger and its journals)."""
    for path in paths:
        with contextlib.suppress(OSError):  # missing, or not ours
            os.chmod(path, FILE_MODE)


def temporary_file(text: str, *, prefix: str, suffix: str) -> str:
    """A new file in the temporary directory with redacted `text`, mode 0600; its path."""
    descriptor, name = tempfile.mkstemp(prefix=prefix, suffix=suffix)
    with contextlib.suppress(OSError):
        os.fchmod(descriptor, FILE_MODE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(redact(text))
    return name


def _chmod(path: Path, mode: int) -> None:
    with contextlib.suppress(OSError):
        os.chmod(path, mode)
