"""Helpers for the tenant lifecycle tests: a full rollout of a release through the CLI, and snapshots of
the files and the ledger."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from support.clirunner import Platform
from tenantwave.ledger import Ledger

RELEASE = "1.4.0"
PRODUCTION_WAVES = range(7, 11)


def roll_out(platform: Platform, release: str = RELEASE) -> None:
    """Deploy `release` to the whole example fleet, wave after wave (approving production waves)."""
    for wave in range(1, 11):
        if wave in PRODUCTION_WAVES:
            assert platform("approve", "--release", release, "--wave", str(wave)).exit_code == 0
        result = platform("up", "--release", release, "--wave", str(wave), "--yes")
        assert result.exit_code == 0, result.output


def files(root: Path) -> dict[str, str]:
    """Every file of the project outside .platform/, path -> content hash."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".platform" not in path.relative_to(root).parts
    }


def ledger_rows(root: Path) -> list[tuple[Any, ...]]:
    """Every run and deployment in the project's ledger, read through the ledger's own API."""
    ledger = Ledger(f"sqlite:///{root / '.platform' / 'ledger.db'}")
    try:
        runs = [(r.id, r.command, r.status) for r in ledger.runs(limit=10_000)]
        deployments = [(d.id, d.stack, d.operation, d.status, d.tenants) for d in ledger.deployments()]
    finally:
        ledger.close()
    return [*sorted(runs), *deployments]
