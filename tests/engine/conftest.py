"""Fixtures for the `pulumi` engine's boundary tests: a fake `pulumi` first on PATH, a project, a context."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi_fakes import PASSPHRASE, PROJECT_YAML, FakePulumi, make_context, write_fake

from tenantwave.engine.base import EngineContext


@pytest.fixture
def fake_pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePulumi]:
    """A fake `pulumi` first on PATH (a tmp dir named bin/, as a real install), recording every call."""
    home = tmp_path / "fake-pulumi-home"
    home.mkdir()
    bin_dir = tmp_path / "pulumi-install" / "bin"
    write_fake(bin_dir)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_PULUMI_HOME", str(home))
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
    for var in ("PULUMI_BACKEND_URL", "PULUMI_ACCESS_TOKEN", "FAKE_PULUMI_LOGIN", "FAKE_PULUMI_VERSION",
                "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK"):
        monkeypatch.delenv(var, raising=False)
    yield FakePulumi(home=home, bin_dir=bin_dir)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text(PROJECT_YAML)
    return root


@pytest.fixture
def context(project: Path, fake_pulumi: FakePulumi) -> EngineContext:
    return make_context(project)


@pytest.fixture
def no_pulumi_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A PATH that has a python but no pulumi."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    path = str(empty)
    monkeypatch.setenv("PATH", path)
    assert shutil.which("pulumi", path=path) is None
    return path

