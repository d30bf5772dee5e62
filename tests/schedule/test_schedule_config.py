"""Bad windows and freezes: one line naming file, field and fix; exit 2; nothing else read as valid."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from support.clirunner import Platform
from support.clock import pin_clock

pytestmark = pytest.mark.cli

TIERS = {"basic": {"model": "pool", "wave": 1}, "premium": {"model": "silo", "wave": 2}}
WINDOW = {"days": ["sat"], "start": "02:00", "end": "06:00", "tz": "Europe/Berlin"}
FREEZE = {"start": "2026-12-18 17:00", "end": "2027-01-04 08:00", "tz": "Europe/Berlin"}


def tenant(**window: Any) -> dict[str, Any]:
    return {"tier": "premium", "environments": ["production-us"], "windows": [{**WINDOW, **window}]}


def case(case_id: str, expected: str, *, tenants: dict[str, Any] | None = None, **platform: Any) -> Any:
    return pytest.param(tenants or {}, platform, expected, id=case_id)


CASES = [
    case(
        "unknown-time-zone",
        "tenants/acme.yaml: windows[0].tz: unknown time zone 'Europe/Berln' (did you mean Europe/Berlin?): "
        "use an IANA name such as Europe/Berlin or UTC",
        tenants={"acme": tenant(tz="Europe/Berln")},
    ),
    case(
        "bad-day",
        "tenants/acme.yaml: windows[0].days: 'saturday' is not a day: use mon, tue, wed, thu, fri, sat or sun",
        tenants={"acme": tenant(days=["saturday"])},
    ),
    case(
        "bad-time",
        "tenants/acme.yaml: windows[0].start: '2:00' is not a time: write HH:MM, e.g. 02:00",
        tenants={"acme": tenant(start="2:00")},
    ),
    case(
        "hour-25",
        "tenants/acme.yaml: windows[0].end: '25:00' is not a time: hours 00-23, minutes 00-59 (or 24:00)",
        tenants={"acme": tenant(end="25:00")},
    ),
    case(
        "window-without-length",
        "tenants/acme.yaml: windows[0]: start and end are both 02:00: a window needs a length (an end at or "
        "before the start runs past midnight; a whole day is 00:00 to 24:00)",
        tenants={"acme": tenant(end="02:00")},
    ),
    case(
        "window-unknown-environment",
        "tenants/acme.yaml: windows[0].environments[0]: no environment 'prod-us' (did you mean production-us?)",
        tenants={"acme": tenant(environments=["prod-us"])},
    ),
    case(
        "freeze-end-before-start",
        "platform.yaml: freezes.year-end: end 2026-12-01 08:00 is not after start 2026-12-18 17:00: the freeze "
        "would never apply; swap them or correct the date",
        freezes={"year-end": {**FREEZE, "end": "2026-12-01 08:00"}},
    ),
    case(
        "freeze-mixed-kinds",
        "platform.yaml: freezes.weekend: start 'fri 15:00' and end '2027-01-04 08:00' mix a date and a day of "
        "the week: write both as dates (YYYY-MM-DD HH:MM) or both as days (e.g. fri 15:00 to mon 08:00)",
        freezes={"weekend": {**FREEZE, "start": "fri 15:00"}},
    ),
    case(
        "freeze-bad-day",
        "platform.yaml: freezes.weekend.start: 'fre 15:00': 'fre' is not a day: use mon, tue, wed, thu, fri, "
        "sat or sun",
        freezes={"weekend": {**FREEZE, "start": "fre 15:00", "end": "mon 08:00"}},
    ),
    case(
        "freeze-bad-date",
        "platform.yaml: freezes.year-end.end: '2027-02-30 08:00': 2027-02-30 is not a date (YYYY-MM-DD)",
        freezes={"year-end": {**FREEZE, "end": "2027-02-30 08:00"}},
    ),
    case(
        "freeze-unknown-phase",
        "platform.yaml: freezes.year-end.phases[0]: no phase 'prod' (did you mean production?)",
        freezes={"year-end": {**FREEZE, "phases": ["prod"]}},
    ),
    case(
        "freeze-unknown-tenant",
        "platform.yaml: freezes.year-end.tenants[0]: no tenant 'acme-lab' (did you mean acme?)",
        tenants={"acme": {"tier": "basic", "environments": ["production-us"]}},
        freezes={"year-end": {**FREEZE, "tenants": ["acme-lab"]}},
    ),
]


@pytest.mark.parametrize(("tenants", "platform_keys", "expected"), CASES)
def test_a_bad_window_or_freeze_is_one_line_naming_file_field_and_fix(
    write: Any, platform: Platform, tenants: dict[str, Any], platform_keys: dict[str, Any], expected: str
) -> None:
    root = write(TIERS, tenants or {"acme": {"tier": "basic", "environments": ["production-us"]}}, **platform_keys)
    result = platform("--project", str(root), "validate")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: 1 problem in the configuration:\n  {expected}\n"


def test_a_bad_window_blocks_plan_and_up_before_anything_deploys(write: Any, platform: Platform) -> None:
    root = write(TIERS, {"acme": tenant(tz="Mars/Olympus")})
    for command in (("plan", "--release", "1.0.0"), ("up", "--release", "1.0.0", "--wave", "1", "--yes")):
        result = platform("--project", str(root), *command, engine="test")
        assert result.exit_code == 2
        assert "tenants/acme.yaml: windows[0].tz: unknown time zone 'Mars/Olympus'" in result.stderr
        assert "Traceback" not in result.output
    assert not (root / ".platform" / "ledger.db").exists()


def test_validate_warns_of_a_pool_whose_member_windows_never_meet(
    write: Any, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin_clock(monkeypatch, datetime(2026, 11, 25, 22, 0))
    monday = {**WINDOW, "days": ["mon"]}
    tenants = {
        "acme": {"tier": "basic", "environments": ["production-us"], "windows": [WINDOW]},
        "bolt": {"tier": "basic", "environments": ["production-us"], "windows": [monday]},
        "cove": {"tier": "basic", "environments": ["production-us"], "windows": [WINDOW]},
    }
    root = write(TIERS, tenants)
    result = platform("--project", str(root), "validate")
    assert result.exit_code == 0
    assert result.stderr == (
        "warning: tenants/acme.yaml, tenants/bolt.yaml, tenants/cove.yaml: windows: production-us.pool.basic can "
        "never deploy: its members' windows are never open at the same time; align them "
        "(docs/windows-and-freezes.md) or deploy it with --ignore-windows\n"
    )
    tenants["bolt"]["windows"] = [{**WINDOW, "start": "05:00", "end": "07:00"}]  # overlaps 05:00-06:00
    assert platform("--project", str(write(TIERS, tenants)), "validate").stderr == ""
