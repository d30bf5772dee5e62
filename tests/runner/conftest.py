from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from support.fleet import write_project
from tenantwave.planning.workspace import Workspace, open_workspace


@pytest.fixture
def open_ws(tmp_path: Path) -> Any:
    """open_ws(root, ledger_url=None) -> Workspace on a SQLite ledger in tmp_path by default."""

    def opener(root: Path, ledger_url: str | None = None) -> Workspace:
        return open_workspace(root, ledger_url or f"sqlite:///{tmp_path / 'ledger.db'}", engine="test")

    return opener


@pytest.fixture
def wide_fleet(tmp_path: Path) -> Path:
    """One pool tier in testing and 12 silo tenants in production-us: wave 2 holds 12 stacks."""
    tenants = {f"t{index:02d}": {"tier": "premium", "environments": ["production-us"]} for index in range(12)}
    return write_project(
        tmp_path / "wide",
        tiers={
            "basic": {"model": "pool", "wave": 1, "environments": ["testing"]},
            "premium": {"model": "silo", "wave": 2, "environments": ["production-us"]},
        },
        tenants=tenants,
        lifecycle=[
            {"phase": "testing", "environments": ["testing"]},
            {"phase": "production", "environments": ["production-us"]},
        ],
    )
