"""The example fleet's window and freezes (what `make demo` shows), on pinned clocks: the calendar
under `plan`, and `up` deferring and overriding, whatever the day the suite runs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from support.clirunner import Platform
from support.clock import pin_clock
from support.fleet import copy_example
from support.testengine import SPEC, ScriptedEngine

pytestmark = pytest.mark.cli

YEAR_END = (
    "freeze year-end (year-end trading peak; phases production): 2026-12-18 17:00 to 2027-01-04 08:00 Europe/Berlin"
)
US_WEEKEND = (
    "freeze us-weekend (nobody on call in the US; environments production-us): fri 15:00 to mon 08:00 America/New_York"
)
JUNIPER = "window juniper-retail: sat,sun 02:00-06:00 Europe/Berlin in production-eu"


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_example(tmp_path / "fleet", schedule=True)
    monkeypatch.chdir(root)
    for name in ("PLATFORM_PROJECT", "PLATFORM_ENGINE", "PLATFORM_LEDGER_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PLATFORM_ACTOR", "ops-alice")
    return root


def calendar(platform: Platform, monkeypatch: pytest.MonkeyPatch, now: datetime) -> list[str]:
    pin_clock(monkeypatch, now)
    lines = platform("plan", "--release", "1.4.0", "--wave", "1", engine=SPEC).stdout.splitlines()
    return lines[lines.index("calendar:") + 1 :]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(datetime(2026, 11, 25, 22, 0), [  # Wednesday 17:00 in New York, 23:00 in Berlin
            f"  {YEAR_END}: starts 2026-12-18 17:00 Europe/Berlin (in 22 d 18 h)",
            f"  {US_WEEKEND}: starts Fri 15:00 America/New_York (in 1 d 22 h)",
            f"  {JUNIPER}: opens Sat 02:00 Europe/Berlin (in 2 d 3 h)",
        ], id="wednesday-night"),
        pytest.param(datetime(2026, 11, 28, 15, 0), [
            f"  {YEAR_END}: starts 2026-12-18 17:00 Europe/Berlin (in 20 d 1 h)",
            f"  {US_WEEKEND}: holds now, until Mon 08:00 America/New_York (in 1 d 22 h)",
            f"  {JUNIPER}: opens Sun 02:00 Europe/Berlin (in 10 h)",
        ], id="saturday-afternoon"),
        pytest.param(datetime(2026, 12, 22, 10, 0), [  # a Tuesday
            f"  {YEAR_END}: holds now, until 2027-01-04 08:00 Europe/Berlin (in 12 d 21 h)",
            f"  {US_WEEKEND}: starts Fri 15:00 America/New_York (in 3 d 10 h)",
            f"  {JUNIPER}: opens Sat 02:00 Europe/Berlin (in 3 d 15 h)",
        ], id="in-the-year-end-freeze"),
        pytest.param(datetime(2027, 3, 2, 12, 0), [  # a Tuesday
            f"  {US_WEEKEND}: starts Fri 15:00 America/New_York (in 3 d 8 h)",
            f"  {JUNIPER}: opens Sat 02:00 Europe/Berlin (in 3 d 13 h)",
        ], id="the-year-end-freeze-is-over"),
    ],
)
def test_plan_shows_the_calendar_of_the_example(
    example: Path, platform: Platform, monkeypatch: pytest.MonkeyPatch, now: datetime, expected: list[str]
) -> None:
    assert calendar(platform, monkeypatch, now) == expected


def test_the_example_without_its_schedule_has_no_calendar(
    tmp_path: Path, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(copy_example(tmp_path / "plain"))
    assert "calendar:" not in platform("plan", "--release", "1.4.0", "--wave", "1", engine=SPEC).stdout


def test_in_the_us_weekend_freeze_production_us_waits_and_production_eu_goes(
    example: Path, platform: Platform, test_engine: ScriptedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin_clock(monkeypatch, datetime(2026, 11, 28, 15, 0))  # Saturday 10:00 in New York
    for wave in range(1, 7):  # testing and staging, outside every freeze
        assert platform("up", "--release", "1.4.0", "--wave", str(wave), engine=SPEC).exit_code == 0
    assert platform("approve", "--release", "1.4.0", "--wave", "7", engine=SPEC).exit_code == 0
    result = platform("up", "--release", "1.4.0", "--wave", "7", engine=SPEC)
    assert result.exit_code == 3
    assert (
        "  deferred production-us.pool.basic: freeze us-weekend (nobody on call in the US) until Mon 08:00 "
        "America/New_York (in 1 d 22 h)\n"
    ) in result.stdout
    assert "ok production-eu.pool.basic" in result.stdout
