"""The runner's local journal: results the engine reported that the ledger could not take.

When the ledger stays unusable past its retry window (ledger.retry), the runner writes what it
could not record (a stack's result, the run's end) to `.platform/journal/<run>.jsonl`, one JSON
line per entry, flushed and fsync'd before it goes on: a result obtained is never lost with the
process. The next command that uses the ledger replays every entry for that ledger before it
does anything else (`replay`, called by the deferred ledger on first use), then removes the file.

Entries name their ledger by a digest of its URL (the URL itself may hold a password): a journal
written against one ledger is never replayed into another; entries for another ledger stay put.
A file is private to its owner (0600, in a 0700 directory, whatever the umask), and its entries are
redacted like the ledger's rows: errors may quote engine output.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tenantwave.errors import LedgerError
from tenantwave.privacy.files import FILE_MODE, private_dirs
from tenantwave.privacy.redaction import redact_data

if TYPE_CHECKING:
    from tenantwave.ledger.store import Ledger

DIRECTORY = "journal"


@dataclass(frozen=True)
class Replayed:
    """What a replay recorded: deployments and run ends, and the files it emptied."""

    deployments: int = 0
    runs: int = 0
    files: tuple[Path, ...] = ()

    @property
    def count(self) -> int:
        return self.deployments + self.runs


def directory(state_dir: Path) -> Path:
    return state_dir / DIRECTORY


def ledger_key(url: str) -> str:
    """Which ledger an entry belongs to, without the URL (nor its password) in the file."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]


def keep(state_dir: Path, url: str, run_id: str, entry: Mapping[str, Any]) -> Path:
    """Append `entry` to the run's journal, durably (fsync'd file, and directory when created).
    Raises OSError when it cannot: the caller then knows the result is recorded nowhere."""
    folder = directory(state_dir)
    created = not folder.exists()
    private_dirs(folder, within=state_dir)  # 0700 whatever the umask
    path = folder / f"{run_id}.jsonl"
    record = redact_data({"ledger": ledger_key(url), "run": run_id, **entry})  # as the ledger would store it
    line = json.dumps(record, sort_keys=True, default=str) + "\n"
    new = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    try:
        with contextlib.suppress(OSError):
            os.fchmod(fd, FILE_MODE)
        data = line.encode("utf-8")
        while data:
            data = data[os.write(fd, data):]
        os.fsync(fd)
    finally:
        os.close(fd)
    if new or created:
        _sync_directory(folder)
    return path


def pending(state_dir: Path) -> list[Path]:
    """The journal files waiting to be replayed (none: no directory, or an empty one)."""
    folder = directory(state_dir)
    try:
        return sorted(p for p in folder.iterdir() if p.suffix == ".jsonl")
    except OSError:
        return []


def replay(ledger: Ledger, state_dir: Path) -> Replayed:
    """Record every journal entry that belongs to `ledger`, then drop them from their files.
    A LedgerError says how many results are still waiting, in which file, and why."""
    key = ledger_key(ledger.url)
    deployments = runs = 0
    emptied: list[Path] = []
    for path in pending(state_dir):
        entries = list(_entries(path))
        mine = [e for e in entries if e.get("ledger") == key]
        if not mine:
            continue
        try:
            for entry in mine:
                if entry.get("kind") == "deployment":
                    _record_deployment(ledger, entry)
                    deployments += 1
                elif entry.get("kind") == "run":
                    ledger.finish_run(str(entry["run"]), str(entry["status"]), entry.get("detail"))
                    runs += 1
        except LedgerError as exc:
            raise LedgerError(
                f"{len(mine)} result(s) of run {mine[0].get('run')} are kept in {path} until the ledger "
                f"records them, and it cannot: {exc.message}"
            ) from None
        others = [e for e in entries if e.get("ledger") != key]
        _rewrite(path, others)
        if not others:
            emptied.append(path)
    return Replayed(deployments, runs, tuple(emptied))


def _record_deployment(ledger: Ledger, entry: Mapping[str, Any]) -> None:
    ledger.record_late(
        run_id=str(entry["run"]),
        deployment_id=int(entry["deployment_id"]),
        stack=str(entry["stack"]),
        status=str(entry["status"]),
        error=entry.get("error"),
        resources=entry.get("resources"),
    )


def _entries(path: Path) -> Iterator[dict[str, Any]]:
    """The file's entries; a line cut short by a crash (or otherwise unreadable) is skipped."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict):
                yield entry


def _rewrite(path: Path, entries: list[dict[str, Any]]) -> None:
    if not entries:
        path.unlink(missing_ok=True)
        _sync_directory(path.parent)
        return
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(e, sort_keys=True, default=str) + "\n" for e in entries)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _sync_directory(path.parent)


def _sync_directory(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
