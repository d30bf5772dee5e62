"""Private files: 0700 directories and 0600 files whatever the umask; existing directories tightened
only inside `within`; the text written is redacted."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tenantwave.privacy import files, redaction

pytestmark = pytest.mark.unit


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o000, 0o022, 0o077], ids=["umask-000", "umask-022", "umask-077"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def test_directories_and_files_are_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    state = tmp_path / "project" / ".platform"
    log = state / "logs" / "run-1" / "stack.log"
    files.append_text(log, "first\n", within=state)
    files.append_text(log, "second\n", within=state)
    files.write_text(state / "cache" / "doc.json", "{}", within=state)
    assert log.read_text() == "first\nsecond\n"
    for directory in (tmp_path / "project", state, state / "logs", state / "logs" / "run-1", state / "cache"):
        assert mode(directory) == 0o700, directory
    for path in (log, state / "cache" / "doc.json"):
        assert mode(path) == 0o600, path
    assert sorted(p.name for p in (state / "cache").iterdir()) == ["doc.json"]  # no temporary left behind


def test_existing_directories_are_tightened_only_within(tmp_path: Path) -> None:
    outside = tmp_path / "shared"
    state = outside / "project" / ".platform"
    (state / "logs").mkdir(parents=True)
    for directory in (outside, outside / "project", state, state / "logs"):
        directory.chmod(0o755)
    files.private_dirs(state / "logs" / "run-2", within=state)
    assert [mode(d) for d in (outside, outside / "project", state, state / "logs", state / "logs" / "run-2")] == [
        0o755, 0o755, 0o700, 0o700, 0o700
    ]
    files.private_dirs(outside / "other")  # no `within`: existing parents untouched
    assert mode(outside) == 0o755 and mode(outside / "other") == 0o700


def test_an_existing_world_readable_file_is_tightened_when_written(tmp_path: Path) -> None:
    log = tmp_path / "old.log"
    log.write_text("from an older version\n")
    log.chmod(0o644)
    files.append_text(log, "more\n")
    assert mode(log) == 0o600 and log.read_text() == "from an older version\nmore\n"
    other = tmp_path / "ledger.db"
    other.write_text("")
    other.chmod(0o666)
    files.tighten(other, tmp_path / "missing-wal")
    assert mode(other) == 0o600


def test_written_text_is_redacted_and_temporary_files_are_private(tmp_path: Path, umask: int,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redaction, "_REGISTRY", redaction._Registry())
    redaction.register(["hunter2-hunter2"])
    files.append_text(tmp_path / "a.log", "password hunter2-hunter2\n")
    files.write_text(tmp_path / "b.json", '{"p": "hunter2-hunter2"}')
    crash = Path(files.temporary_file("Traceback: hunter2-hunter2", prefix="tenantwave-test-", suffix=".log"))
    try:
        assert (tmp_path / "a.log").read_text() == "password [redacted]\n"
        assert (tmp_path / "b.json").read_text() == '{"p": "[redacted]"}'
        assert crash.read_text() == "Traceback: [redacted]" and mode(crash) == 0o600
    finally:
        crash.unlink()
