"""plan --json and up --json with windows and freezes: the calendar, and when each hold ends (UTC)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from support.clirunner import Platform
from support.clock import pin_clock
from support.testengine import SPEC, ScriptedEngine

pytestmark = pytest.mark.cli

WEDNESDAY_NIGHT = datetime(2026, 11, 25, 22, 0)  # Wed 23:00 in Berlin
TIERS = {"basic": {"model": "pool", "wave": 1}, "premium": {"model": "silo", "wave": 2}}
WINDOW = {"days": ["sat", "sun"], "start": "02:00", "end": "06:00", "tz": "Europe/Berlin"}
TENANTS = {
    "acme-labs": {"tier": "basic", "environments": ["production-us"], "windows": [WINDOW]},
    "zeta": {"tier": "premium", "environments": ["production-us"]},
}
LIFECYCLE = [{"phase": "production", "environments": ["production-us"]}]
FREEZES = {"year-end": {"start": "2026-12-18 17:00", "end": "2027-01-04 08:00", "tz": "Europe/Berlin",
                        "description": "peak"}}


@pytest.fixture
def root(write: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = write(TIERS, TENANTS, LIFECYCLE, freezes=FREEZES)
    monkeypatch.chdir(project)
    pin_clock(monkeypatch, WEDNESDAY_NIGHT)
    return Path(project)


@pytest.fixture
def platform(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> Platform:
    for name in ("PLATFORM_PROJECT", "PLATFORM_ENGINE", "PLATFORM_LEDGER_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PLATFORM_ACTOR", "ops-alice")
    return platform.with_engine(SPEC)


def test_plan_json_has_the_calendar_and_when_a_deferred_stack_may_deploy(root: Path, platform: Platform) -> None:
    document = platform("plan", "--release", "1.0.0", "--json").json()
    (pool,) = [s for w in document["waves"] for s in w["stacks"] if s["name"] == "production-us.pool.basic"]
    assert (pool["state"], pool["until"]) == ("deferred", "2026-11-28T01:00:00Z")
    (silo,) = [s for w in document["waves"] for s in w["stacks"] if s["name"] == "production-us.silo.zeta"]
    assert "until" not in silo
    assert document["calendar"] == [
        {"kind": "freeze", "name": "year-end", "state": "starts", "at": "2026-12-18T16:00:00Z",
         "text": "freeze year-end (peak): 2026-12-18 17:00 to 2027-01-04 08:00 Europe/Berlin: starts 2026-12-18 "
                 "17:00 Europe/Berlin (in 22 d 18 h)"},
        {"kind": "window", "name": "acme-labs", "state": "opens", "at": "2026-11-28T01:00:00Z",
         "text": "window acme-labs: sat,sun 02:00-06:00 Europe/Berlin: opens Sat 02:00 Europe/Berlin (in 2 d 3 h)"},
    ]


def test_up_json_deferred_entries_say_until_when(root: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    document = platform("up", "--release", "1.0.0", "--wave", "1", "--json").json()
    assert document["deferred"] == [
        {"name": "production-us.pool.basic",
         "reason": "acme-labs's window opens Sat 02:00 Europe/Berlin (in 2 d 3 h)",
         "until": "2026-11-28T01:00:00Z"}
    ]


def test_up_says_which_stack_a_freeze_deferred_at_its_start(
    write: Any, monkeypatch: pytest.MonkeyPatch, test_engine: ScriptedEngine, platform: Platform
) -> None:
    """The freeze begins while the first stack deploys: the second is deferred when its turn comes."""
    tenants = {t: {"tier": "premium", "environments": ["production-us"]} for t in ("bolt", "cove")}
    late = {"start": "2026-11-25 23:00", "end": "2026-11-26 06:00", "tz": "UTC"}
    monkeypatch.chdir(write(TIERS, tenants, LIFECYCLE, freezes={"late": late}))
    now = [datetime(2026, 11, 25, 22, 0)]
    for target in ("tenantwave.ledger.store.utcnow", "tenantwave.ledger.deferred.utcnow"):
        monkeypatch.setattr(target, lambda: now[0])
    original = test_engine.up

    def up(job: Any, progress: Any, cancel: Any) -> Any:
        result = original(job, progress, cancel)
        now[0] = datetime(2026, 11, 25, 23, 30)
        return result

    monkeypatch.setattr(test_engine, "up", up)
    result = platform("up", "--release", "1.0.0", "--tier", "premium", "--concurrency", "1", "--yes")
    assert result.exit_code == 3
    assert test_engine.operations() == ["production-us.silo.bolt"]
    assert (
        "  deferred production-us.silo.cove at its start: freeze late until Thu 06:00 UTC (in 6 h 30 min)\n"
        in result.stdout
    )
    assert "1 stack(s) deferred: run the same command again" in result.stdout
