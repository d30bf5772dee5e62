"""The runner's journal (results the ledger could not take) is private and redacted like the ledger."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tenantwave.ledger import journal
from tenantwave.privacy import redaction

pytestmark = pytest.mark.unit
TOKEN = "pul-1f2e3d4c-never-print-me"


def test_a_journal_entry_is_redacted_and_private_whatever_the_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redaction, "_REGISTRY", redaction._Registry())
    redaction.adopt_environment({"PULUMI_ACCESS_TOKEN": TOKEN})
    state = tmp_path / ".platform"
    previous = os.umask(0)
    try:
        path = journal.keep(state, "sqlite:///l.db", "run-1", {"kind": "run", "status": "failed",
                                                                "detail": f"engine said: token {TOKEN}"})
    finally:
        os.umask(previous)
    assert TOKEN not in path.read_text() and "token [redacted]" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [stat.S_IMODE(p.stat().st_mode) for p in (state, path.parent)] == [0o700, 0o700]
