from __future__ import annotations

from pathlib import Path

import pytest

from support.clirunner import Platform
from support.fleet import copy_example
from support.testengine import SPEC


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example fleet as the current directory, its ledger in .platform/ledger.db."""
    root = copy_example(tmp_path / "fleet")
    monkeypatch.chdir(root)
    monkeypatch.delenv("PLATFORM_ENGINE", raising=False)
    monkeypatch.delenv("PLATFORM_LEDGER_URL", raising=False)
    monkeypatch.delenv("PLATFORM_PROJECT", raising=False)
    monkeypatch.setenv("USER", "ops-alice")
    monkeypatch.setenv("PLATFORM_ACTOR", "ops-alice")  # who approves (before git's user.email)
    return root


@pytest.fixture
def platform(platform: Platform) -> Platform:
    """`platform --engine <the scripted test engine> ARGS`: every tenant test drives the test engine."""
    return platform.with_engine(SPEC)
