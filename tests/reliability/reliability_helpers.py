"""Helpers for the reliability tests: real `platform` subprocesses driven by the test engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect

from support.fleet import write_project
from support.ledgertools import raw_url, rows
from support.testengine import SPEC

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
RELEASE = "1.4.0"
UP = ("up", "--release", RELEASE, "--wave", "1", "--yes")
PLATFORM = [sys.executable, "-c", "from tenantwave.cli import main; main()"]


@dataclass(frozen=True)
class Harness:
    """One project, one ledger, one engine script and call log for subprocess runs."""

    root: Path
    ledger: str
    calls: Path
    script: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("PLATFORM_", "TENANTWAVE_"))}
        pythonpath = [str(TESTS), str(ROOT / "platform"), env.get("PYTHONPATH", "")]
        env.update(
            PYTHONPATH=os.pathsep.join(part for part in pythonpath if part),
            TENANTWAVE_TEST_SCRIPT=str(self.script),
            TENANTWAVE_TEST_CALLS=str(self.calls),
            PLATFORM_LEDGER_URL=self.ledger,
            PLATFORM_ENGINE=SPEC,
            PLATFORM_USER="reliability",
        )
        env.update(extra)
        return env

    def command(self, *args: str) -> list[str]:
        return [*PLATFORM, "--project", str(self.root), *args]

    def start(self, *args: str, **extra: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.command(*args), env=self.env(**extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )

    def run(self, *args: str, timeout: float = 120, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args), env=self.env(**extra), capture_output=True, text=True, timeout=timeout
        )

    def up(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return self.run(*UP, *args, **extra)

    def engine_calls(self, operation: str = "up") -> list[dict[str, Any]]:
        if not self.calls.exists():
            return []
        lines = self.calls.read_text(encoding="utf-8").splitlines()
        return [call for call in map(json.loads, lines) if call["operation"] == operation]

    def deployments(self) -> list[dict[str, Any]]:
        return self._rows("tw_deployments")

    def runs(self) -> list[dict[str, Any]]:
        return self._rows("tw_runs")

    def _rows(self, table: str) -> list[dict[str, Any]]:
        """The table's rows; none while no run has created the ledger yet."""
        engine = create_engine(raw_url(self.ledger.split("?")[0] if self.ledger.startswith("sqlite") else self.ledger))
        try:
            with engine.connect() as conn:
                present = inspect(conn).has_table(table)
        finally:
            engine.dispose()
        return rows(self.ledger, table) if present else []


def silo_fleet(root: Path, tenants: int) -> Path:
    """One phase, one silo tier: wave 1 is `tenants` silo stacks in production-us."""
    return write_project(
        root,
        tiers={"premium": {"model": "silo", "wave": 1, "environments": ["production-us"]}},
        tenants={f"t{index:02d}": {"tier": "premium", "environments": ["production-us"]} for index in range(tenants)},
        lifecycle=[{"phase": "production", "environments": ["production-us"]}],
    )


def script_engine(path: Path, delay: float, stacks: dict[str, dict[str, Any]] | None = None) -> Path:
    path.write_text(json.dumps({"default": {"delay": delay}, "stacks": stacks or {}}), encoding="utf-8")
    return path


@pytest.fixture
def harness_for(tmp_path: Path) -> Any:
    """harness_for(ledger_url, tenants=12, delay=0.2) -> Harness on a fresh silo fleet."""

    def make(ledger: str, tenants: int = 12, delay: float = 0.2) -> Harness:
        root = silo_fleet(tmp_path / "fleet", tenants)
        return Harness(root, ledger, tmp_path / "calls.jsonl", script_engine(tmp_path / "script.json", delay))

    return make


def successes_per_stack(deployments: Sequence[dict[str, Any]], release: str = RELEASE) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in deployments:
        if row["release"] == release and row["operation"] == "up" and row["status"] == "succeeded":
            counts[row["stack"]] = counts.get(row["stack"], 0) + 1
    return counts
