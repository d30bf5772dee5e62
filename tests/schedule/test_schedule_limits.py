"""Values at the edges: moments near the ends of the calendar, names, echoes of bad values.

Every bad value is one line naming file, field and fix (exit 2), never an internal error at plan
time; what validate accepts but is likely a mistake is a warning naming it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from support.clirunner import Platform
from support.testengine import SPEC
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




WINDOW = {"days": ["sat"], "start": "02:00", "end": "06:00", "tz": "Europe/Berlin"}


def one_problem(result: Any) -> str:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    first, *rest = result.stderr.splitlines()
    assert first == "error: 1 problem in the configuration:", result.stderr
    (line,) = rest
    return line.strip()


@pytest.mark.parametrize("tz", ["localtime", "Factory", "posixrules"])
def test_a_time_zone_that_is_not_an_iana_location_is_refused(write: Any, platform: Platform, tz: str) -> None:
    tenants = {"acme": {"tier": "premium", "environments": ["production-us"], "windows": [{**WINDOW, "tz": tz}]}}
    assert one_problem(validate(write, platform, tenants)) == (
        f"tenants/acme.yaml: windows[0].tz: {tz!r} is not an IANA location: use an IANA name such as "
        "Europe/Berlin or UTC"
    )


@pytest.mark.parametrize("key", ["environments", "phases", "tenants"])
def test_a_freeze_scoped_to_an_empty_list_is_refused(write: Any, platform: Platform, key: str) -> None:
    assert one_problem(validate(write, platform, freezes={"ever": {**FREEZE, key: []}})) == (
        f"platform.yaml: freezes.ever.{key}: an empty list covers nothing: leave the key out or name at least one"
    )


def test_a_window_with_an_empty_environment_list_is_refused(write: Any, platform: Platform) -> None:
    window = {**WINDOW, "environments": []}
    tenants = {"acme": {"tier": "premium", "environments": ["production-us"], "windows": [window]}}
    assert one_problem(validate(write, platform, tenants)) == (
        "tenants/acme.yaml: windows[0].environments: an empty list covers nothing: leave the key out or name at "
        "least one"
    )


def test_a_freeze_name_is_an_id(write: Any, platform: Platform) -> None:
    assert one_problem(validate(write, platform, freezes={"Year_End": FREEZE})) == (
        "platform.yaml: freezes.Year_End: 'Year_End' is not a valid id: use lowercase letters, digits and '-', "
        "starting and ending with a letter or digit"
    )


def test_a_window_for_an_environment_the_tenant_is_not_in_is_a_warning(write: Any, platform: Platform) -> None:
    window = {**WINDOW, "environments": ["production-eu"]}
    tenants = {"acme": {"tier": "premium", "environments": ["production-us"], "windows": [window]}}
    root = write(TIERS, tenants, [{"phase": "production", "environments": ["production-us", "production-eu"]}])
    result = platform("--project", str(root), "validate")
    assert result.exit_code == 0
    assert result.stderr == (
        "warning: tenants/acme.yaml: windows[0].environments: acme is not in production-eu (its environments: "
        "production-us): the window never applies there\n"
    )


def test_a_long_bad_value_is_echoed_capped(write: Any, platform: Platform) -> None:
    tz = "Europe/" + "x" * 200
    tenants = {"acme": {"tier": "premium", "environments": ["production-us"], "windows": [{**WINDOW, "tz": tz}]}}
    line = one_problem(validate(write, platform, tenants))
    assert line.startswith(f"tenants/acme.yaml: windows[0].tz: unknown time zone '{tz[:80]}'...")
    assert len(line) < 250


def test_many_unknown_names_report_the_first_few_and_a_count(write: Any, platform: Platform) -> None:
    names = ["production-us", *(f"env-{n}" for n in range(12))]
    result = validate(write, platform, freezes={"ever": {**FREEZE, "environments": names}})
    assert result.exit_code == 2
    lines = [line.strip() for line in result.stderr.splitlines()[1:]]
    assert [line.split(": ")[1] for line in lines] == [
        "freezes.ever.environments[1]", "freezes.ever.environments[2]", "freezes.ever.environments[3]",
        "freezes.ever.environments[4:]",
    ]
    assert lines[-1] == "platform.yaml: freezes.ever.environments[4:]: 9 more unknown environments"


@pytest.mark.unit
def test_problems_are_ordered_by_their_indexes_as_numbers() -> None:
    from tenantwave.errors import ConfigError, Problem

    fields = ["tiers[10]", "tiers[2]", "tiers[2].x", "tiers"]
    problems = ConfigError([Problem("platform.yaml", f, "m") for f in fields]).problems
    assert [p.field for p in problems] == ["tiers", "tiers[2]", "tiers[2].x", "tiers[10]"]


@pytest.mark.parametrize("text", ["INC-1\rforged line", "INC-1 \x1b[31mred", "bell\x07", "tab\there", "nul\x00"])
def test_a_reason_with_control_characters_is_refused(write: Any, platform: Platform, text: str) -> None:
    root = write(TIERS, TENANTS)
    result = platform("--project", str(root), "up", "--release", "1.0.0", "--wave", "1", "--ignore-windows",
                      "--reason", text, engine=SPEC)
    assert result.exit_code == 2
    assert result.stderr == "error: --reason: one line of at most 500 characters, without control characters\n"
    assert not (root / ".platform" / "ledger.db").exists()
