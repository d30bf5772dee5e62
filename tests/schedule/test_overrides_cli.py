"""What `up` says about an override: recorded only when a run was, and whether it waived anything.

The clock is pinned (support/clock.py); Wed 2026-11-25 22:00 UTC is Wed 23:00 in Europe/Berlin.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from support.clirunner import Platform
from support.clock import pin_clock
from support.testengine import SPEC, ScriptedEngine
from tenantwave.ledger.store import Ledger

pytestmark = pytest.mark.cli

WEDNESDAY_NIGHT = datetime(2026, 11, 25, 22, 0)
TIERS = {"basic": {"model": "pool", "wave": 1}, "premium": {"model": "silo", "wave": 2}}
WINDOW = {"days": ["sat", "sun"], "start": "02:00", "end": "06:00", "tz": "Europe/Berlin"}
TENANTS = {
    "acme-labs": {"tier": "basic", "environments": ["production-us"], "windows": [WINDOW]},
    "zeta": {"tier": "premium", "environments": ["production-us"]},
}
LIFECYCLE = [{"phase": "production", "environments": ["production-us"]}]


@pytest.fixture
def root(write: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = write(TIERS, TENANTS, LIFECYCLE)
    monkeypatch.chdir(project)
    pin_clock(monkeypatch, WEDNESDAY_NIGHT)
    return Path(project)


@pytest.fixture
def platform(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> Platform:
    for name in ("PLATFORM_PROJECT", "PLATFORM_ENGINE", "PLATFORM_LEDGER_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PLATFORM_ACTOR", "ops-alice")
    return platform.with_engine(SPEC)


def runs(root: Path) -> list[Any]:
    return Ledger(f"sqlite:///{root / '.platform' / 'ledger.db'}").runs()


def test_a_closed_gate_records_no_override_and_says_so(
    root: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    args = ("up", "--release", "1.0.0", "--wave", "2", "--ignore-windows", "--reason", "INC-42 hotfix")
    result = platform(*args)
    assert result.exit_code == 3
    assert "override: --ignore-windows by ops-alice: INC-42 hotfix (not recorded: nothing ran)\n" in result.stdout
    assert "recorded on the run" not in result.stdout
    document = platform(*args, "--json").json()
    assert document["run"] is None
    assert document["overrides"] == [
        {"ignored": "windows", "by": "ops-alice", "reason": "INC-42 hotfix", "waived": False, "recorded": False}
    ]
    assert runs(root) == []


def test_an_override_that_waives_nothing_says_so(root: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    result = platform("up", "--release", "1.0.0", "--wave", "1", "--ignore-freeze", "--ignore-windows",
                      "--reason", "INC-42", "--json")
    assert result.exit_code == 0
    document = result.json()
    assert document["overrides"] == [
        {"ignored": "windows", "by": "ops-alice", "reason": "INC-42", "waived": True, "recorded": True},
        {"ignored": "freeze", "by": "ops-alice", "reason": "INC-42", "waived": False, "recorded": True},
    ]
    (run,) = runs(root)
    assert run.id == document["run"]
    assert run.user == "ops-alice"  # the override's identity


def test_the_text_says_which_override_waived_nothing(
    root: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    result = platform("up", "--release", "1.0.0", "--wave", "1", "--ignore-freeze", "--ignore-windows",
                      "--reason", "INC-42")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1:3] == [
        "override: --ignore-windows by ops-alice: INC-42 (recorded on the run)",
        "override: --ignore-freeze by ops-alice: INC-42 (recorded on the run; it waives nothing now: no selected "
        "stack is inside a freeze)",
    ]
