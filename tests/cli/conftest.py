"""Fixtures of the CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.fleet import copy_example


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example fleet as the current directory, with no project, engine or ledger chosen
    by PLATFORM_* variables of the environment the tests run in."""
    root = copy_example(tmp_path / "fleet")
    monkeypatch.chdir(root)
    for name in ("PLATFORM_PROJECT", "PLATFORM_ENGINE", "PLATFORM_LEDGER_URL"):
        monkeypatch.delenv(name, raising=False)
    return root


@pytest.fixture
def as_ops_alice(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator is ops-alice: USER for the runs, PLATFORM_ACTOR for approvals (before git's user.email)."""
    monkeypatch.setenv("USER", "ops-alice")
    monkeypatch.setenv("PLATFORM_ACTOR", "ops-alice")
