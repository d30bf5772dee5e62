"""Shared by the dashboard tests (importable as `dashboard_helpers`: the test directory is on sys.path)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SECRET = "s3cr3t-value-4f9a2c"  # becomes a secret only after the rollout (the `secret` fixture)
FAILING = "staging.silo.helios-bank"


@dataclass(frozen=True)
class Rollout:
    root: Path
    ledger: str  # the ledger URL every command of the test uses
