"""The new platform.yaml and tier keys: resolved per phase, and bad values named by file and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from support.healthserver import health_fleet
from tenantwave.config.checks import CommandCheck, HttpCheck
from tenantwave.config.loader import load_project
from tenantwave.errors import ConfigError

pytestmark = pytest.mark.unit
HEALTHZ = {"kind": "http", "name": "healthz", "url": "{outputs.endpoint}/healthz"}
ALARMS = {"kind": "command", "name": "alarms", "command": ["scripts/alarms", "--minutes", "15"]}


def problems(root: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    return [str(p) for p in caught.value.problems]


def test_checks_and_auto_rollback_resolve_per_phase(tmp_path: Path) -> None:
    rollout = {"checks": [HEALTHZ], "phases": {"staging": {"checks": [HEALTHZ, ALARMS], "auto_rollback": True}}}
    project = load_project(health_fleet(tmp_path, rollout=rollout, basic={"before_deploy": {"command": ["b"]}}))
    testing, staging = (project.platform.rollout.for_phase(p) for p in ("testing", "staging"))
    assert [type(c) for c in testing.checks] == [HttpCheck] and not testing.auto_rollback
    assert [type(c) for c in staging.checks] == [HttpCheck, CommandCheck] and staging.auto_rollback
    assert staging.checks[0] == HttpCheck(kind="http", name="healthz", url="{outputs.endpoint}/healthz")
    assert (staging.checks[0].timeout_seconds, staging.checks[0].retries, staging.checks[0].expect_status) == (
        10,
        0,
        200,
    )
    hook = project.tiers["basic"].config.before_deploy
    assert hook is not None and hook.command == ["b"] and hook.timeout_seconds == 1800
    assert project.tiers["premium"].config.before_deploy is None


def test_a_phase_can_turn_the_checks_off(tmp_path: Path) -> None:
    project = load_project(health_fleet(tmp_path, rollout={"checks": [HEALTHZ], "phases": {"testing": {"checks": []}}}))
    assert project.platform.rollout.for_phase("testing").checks == ()


@pytest.mark.parametrize(
    ("rollout", "basic", "expected"),
    [
        (
            {"checks": [{**HEALTHZ, "url": "{endpoint}/healthz"}]},
            None,
            "platform.yaml: rollout.checks[0].http.url: unknown placeholder {endpoint} (use {outputs.KEY}, "
            "{environment}, {kind}, {release}, {stack}, {tier})",
        ),
        ({"checks": [{**HEALTHZ, "kind": "ping"}]}, None, "platform.yaml: rollout.checks[0]"),
        ({"checks": [{**HEALTHZ, "retries": "3"}]}, None, "platform.yaml: rollout.checks[0].http.retries"),
        (
            {"checks": [{**HEALTHZ, "method": "POST"}]},
            None,
            "platform.yaml: rollout.checks[0].http.method: unknown key",
        ),
        (
            {"checks": [{**HEALTHZ, "body_regex": "("}]},
            None,
            "platform.yaml: rollout.checks[0].http.body_regex: not a valid regular expression",
        ),
        ({"checks": [HEALTHZ, HEALTHZ]}, None, "platform.yaml: rollout.checks: check name 'healthz' appears twice"),
        ({"checks": [{**ALARMS, "command": []}]}, None, "platform.yaml: rollout.checks[0].command.command"),
        (
            {"phases": {"staging": {"auto_rollback": "yes"}}},
            None,
            "platform.yaml: rollout.phases.staging.auto_rollback",
        ),
        ({}, {"before_deploy": {"command": "backup.sh"}}, "tiers/basic.yaml: before_deploy.command"),
        (
            {},
            {"before_deploy": {"command": ["b"], "shell": True}},
            "tiers/basic.yaml: before_deploy.shell: unknown key",
        ),
    ],
)
def test_bad_values_name_the_file_and_field(
    tmp_path: Path, rollout: dict[str, Any], basic: dict[str, Any] | None, expected: str
) -> None:
    found = problems(health_fleet(tmp_path, rollout=rollout, basic=basic))
    assert any(p.startswith(expected) for p in found), found


def test_a_tier_wave_of_a_phase_can_have_its_own_checks(tmp_path: Path) -> None:
    rollout = {
        "checks": [HEALTHZ],
        "phases": {"staging": {"waves": {2: {"checks": [ALARMS], "auto_rollback": True}, 3: {"checks": []}}}},
    }
    rollout_policy = load_project(health_fleet(tmp_path, rollout=rollout)).platform.rollout
    assert [c.name for c in rollout_policy.for_wave("staging", 1).checks] == ["healthz"]
    assert not rollout_policy.for_wave("staging", 1).auto_rollback
    assert [c.name for c in rollout_policy.for_wave("staging", 2).checks] == ["alarms"]
    assert rollout_policy.for_wave("staging", 2).auto_rollback
    assert rollout_policy.for_wave("staging", 3).checks == ()
    assert [c.name for c in rollout_policy.for_wave("testing", 2).checks] == ["healthz"]


def test_bad_wave_keys_name_the_field(tmp_path: Path) -> None:
    found = problems(health_fleet(tmp_path, rollout={"phases": {"staging": {"waves": {0: {"checks": []}}}}}))
    assert any(p.startswith("platform.yaml: rollout.phases.staging.waves[0]") for p in found), found
    found = problems(health_fleet(tmp_path, rollout={"phases": {"staging": {"waves": {2: {"bake_minutes": 3}}}}}))
    assert "platform.yaml: rollout.phases.staging.waves[2].bake_minutes: unknown key" in " ".join(found), found
