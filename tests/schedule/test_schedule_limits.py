"""Values at the edges: moments near the ends of the calendar, names, echoes of bad values.

Every bad value is one line naming file, field and fix (exit 2), never an internal error at plan
time; what validate accepts but is likely a mistake is a warning naming it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from support.clirunner import Platform
from tenantwave.config.schedule import Freeze
from tenantwave.planning.calendar import freeze_active, freeze_end

pytestmark = pytest.mark.cli

TIERS = {"basic": {"model": "pool", "wave": 1}, "premium": {"model": "silo", "wave": 2}}
TENANTS = {"acme": {"tier": "basic", "environments": ["production-us"]}}
FREEZE = {"start": "2026-12-18 17:00", "end": "2027-01-04 08:00", "tz": "Europe/Berlin"}
NOW = datetime(2026, 11, 25, 22, 0)


def validate(write: Any, platform: Platform, tenants: dict[str, Any] | None = None, **keys: Any) -> Any:
    root = write(TIERS, tenants or TENANTS, **keys)
    return platform("--project", str(root), "validate")


@pytest.mark.parametrize(
    ("field", "value", "tz"),
    [("end", "9999-12-31 23:59", "America/New_York"), ("start", "0001-01-01 00:00", "Asia/Tokyo")],
)
def test_a_freeze_date_out_of_range_is_refused_by_validate(
    write: Any, platform: Platform, field: str, value: str, tz: str
) -> None:
    result = validate(write, platform, freezes={"ever": {**FREEZE, field: value, "tz": tz}})
    assert result.exit_code == 2
    year = value[:4]
    assert result.stderr == (
        "error: 1 problem in the configuration:\n"
        f"  platform.yaml: freezes.ever.{field}: {value!r}: year {year} is out of range: use a year from 1970 "
        "to 9000\n"
    )


@pytest.mark.unit
@pytest.mark.parametrize(
    ("start", "end", "tz"),
    [
        ("2026-01-01 00:00", "9999-12-31 23:59", "America/New_York"),
        ("0001-01-01 00:00", "2027-01-01 00:00", "Asia/Tokyo"),
        ("0001-01-01 00:00", "9999-12-31 23:59", "Pacific/Kiritimati"),
    ],
)
def test_evaluating_a_freeze_at_the_ends_of_the_calendar_raises_nothing(start: str, end: str, tz: str) -> None:
    """Whatever got past validation (or was built in code), evaluation never overflows."""
    freeze = Freeze.model_construct(start=start, end=end, tz=tz)
    assert freeze_active(freeze, NOW) is True
    freeze_end(freeze, NOW)
    assert freeze_active(freeze, datetime(1, 1, 1)) in (True, False)
    assert freeze_active(freeze, datetime(9999, 12, 31, 23, 59)) in (True, False)


