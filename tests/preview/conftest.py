"""Temporary git repositories holding a project: commit a base, change it, commit (or not) a head."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from preview_helpers import TINY_LIFECYCLE, TINY_TENANTS, TINY_TIERS, add_program, commit, git

from support.fleet import EXAMPLE, copy_example, write_project


def committed_base(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`root` with the stack program, committed on branch main (tag `base`), as the working directory."""
    add_program(root)
    git(root, "init", "-q", "-b", "main")
    commit(root, "base")
    git(root, "tag", "base")
    monkeypatch.chdir(root)
    monkeypatch.delenv("PLATFORM_ENGINE", raising=False)
    monkeypatch.delenv("PLATFORM_LEDGER_URL", raising=False)
    return root


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example fleet with its program, committed on branch main (tag `base`)."""
    root = copy_example(tmp_path / "fleet")
    return committed_base(root, monkeypatch)


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One pool tier, one tenant, one environment: small enough for exact output."""
    root = write_project(tmp_path / "tiny", TINY_TIERS, TINY_TENANTS, TINY_LIFECYCLE)
    shutil.copy(EXAMPLE / "Pulumi.yaml", root / "Pulumi.yaml")
    return committed_base(root, monkeypatch)
