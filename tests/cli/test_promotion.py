"""Issue 23 through the CLI, on SQLite and PostgreSQL: configuration is promoted like a release,
approvals bind to what they cover, `plan` shows each wave's gate, nothing leaves by accident.

The example fleet's waves: 1-2 testing (basic, standard), 3-6 staging (basic, standard, premium,
juniper-retail's wave 4), 7-10 production (the same); production waves need an approval.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.clirunner import Platform
from support.fleet import copy_example
from support.testengine import SPEC, ScriptedEngine, Step

pytestmark = pytest.mark.cli
R = "2.0.0"
REVISION = re.compile(r"2\.0\.0\+[0-9a-f]{8}")
PRODUCTION_STANDARD = ["production-us.pool.standard", "production-eu.pool.standard"]


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ledger_url: str) -> Path:
    root = copy_example(tmp_path / "fleet")
    monkeypatch.chdir(root)
    monkeypatch.delenv("PLATFORM_ENGINE", raising=False)
    monkeypatch.setenv("PLATFORM_LEDGER_URL", ledger_url)
    monkeypatch.setenv("USER", "ops-lead")
    monkeypatch.setenv("PLATFORM_ACTOR", "ops-lead")  # who approves (before git's user.email)
    return root


@pytest.fixture
def platform(platform: Platform) -> Platform:
    return platform.with_engine(SPEC)


def plan_json(platform: Platform, *args: str) -> dict[str, Any]:
    result = platform("plan", "--release", R, "--json", *args)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = result.json()
    return document


def stacks_of(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for w in document["waves"] for s in w["stacks"]}


def roll_out(platform: Platform, waves: range = range(1, 11)) -> None:
    """Release R wave after wave, each production wave approved first."""
    for wave in waves:
        if wave >= 7:
            assert platform("approve", "--release", R, "--wave", str(wave)).exit_code == 0
        result = platform("up", "--release", R, "--wave", str(wave), "--yes")
        assert result.exit_code == 0, result.output


def set_rate_limit(root: Path, tier: str, rps: int) -> None:
    path = root / "tiers" / f"{tier}.yaml"
    data = yaml.safe_load(path.read_text())
    data["parameters"]["rate_limit"] = {"requests_per_second": rps, "burst": 2 * rps}
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_a_tier_change_goes_through_testing_and_staging_before_production(
    fleet: Path, platform: Platform, test_engine: ScriptedEngine
) -> None:
    roll_out(platform)
    before = stacks_of(plan_json(platform))
    assert {s["state"] for s in before.values()} == {"done"}
    old = before["production-us.pool.standard"]["current_revision"]
    assert REVISION.fullmatch(old) and old == before["production-us.pool.standard"]["revision"]

    tested = before["testing.pool.standard"]["revision"]  # untenanted: the tier's own revision

    set_rate_limit(fleet, "standard", 150)
    after = stacks_of(plan_json(platform))
    new = after["testing.pool.standard"]["revision"]
    assert REVISION.fullmatch(new) and new not in (old, tested)
    assert (after["testing.pool.standard"]["state"], after["testing.pool.standard"]["reason"]) == (
        "eligible",
        f"on {tested}; changed since: tier standard's parameters; deploys {new}",
    )
    not_tested = f"tier standard's revision {new} has not completed phase testing: 0 of 1 required environment"
    for name in ["staging.pool.standard", *PRODUCTION_STANDARD]:
        assert after[name]["state"] == "blocked"
        assert after[name]["reason"].startswith(not_tested), after[name]["reason"]
    assert {after[name]["state"] for name in after if ".standard" not in name} == {"done"}

    # the run: straight to production is refused, targeted or by wave, and nothing deploys
    calls = len(test_engine.calls)
    targeted = platform("up", "--release", R, "--stack", "production-us.pool.standard", "--yes")
    assert targeted.exit_code == 3
    assert f"  blocked  production-us.pool.standard: {not_tested} (still to deploy: testing)\n" in targeted.output
    by_wave = platform("up", "--release", R, "--wave", "8", "--yes")
    assert by_wave.exit_code == 3
    assert len(test_engine.calls) == calls

    # testing first, then staging, then production
    assert platform("up", "--release", R, "--wave", "2", "--yes").exit_code == 0
    staged = stacks_of(plan_json(platform))
    assert staged["staging.pool.standard"]["state"] == "eligible"
    not_staged = f"tier standard's revision {new} has not completed phase staging: 0 of 1 required environment"
    assert staged["production-us.pool.standard"]["reason"].startswith(not_staged)
    # evergreen goes through staging first; gamma-health and fjord-logistics are production-only
    assert platform("up", "--release", R, "--wave", "4", "--yes").exit_code == 0
    ready = stacks_of(plan_json(platform))
    assert [ready[name]["state"] for name in PRODUCTION_STANDARD] == ["eligible", "eligible"]
    assert test_engine.operations()[-2:] == ["testing.pool.standard", "staging.pool.standard"]


def test_an_approval_binds_to_the_revision_it_was_given_for(
    fleet: Path, platform: Platform, test_engine: ScriptedEngine
) -> None:
    roll_out(platform)
    before = stacks_of(plan_json(platform))
    # production-us serves gamma-health, which overrides its rate limit: another revision than eu's
    old = sorted({before[name]["revision"] for name in PRODUCTION_STANDARD})
    set_rate_limit(fleet, "standard", 150)
    roll_out(platform, range(2, 5, 2))  # testing and staging standard pools
    after = stacks_of(plan_json(platform))
    new = sorted({after[name]["revision"] for name in PRODUCTION_STANDARD})
    assert len(old) == len(new) == 2 and not set(old) & set(new)

    gate = plan_json(platform, "--wave", "8")["waves"][0]["gate"]
    assert gate["state"] == "closed"
    (was, command) = gate["reasons"]
    assert re.fullmatch(rf"the approval by ops-lead at \d\d:\d\dZ was for {re.escape(', '.join(old))}; "
                        rf"wave 8 now deploys {re.escape(', '.join(new))}", was)  # fmt: skip
    assert command == f"approve what wave 8 deploys now with `platform approve --release {R} --wave 8`"
    held = platform("up", "--release", R, "--wave", "8", "--yes")
    assert held.exit_code == 3 and f"wave 8 now deploys {', '.join(new)}" in held.output

    approved = platform("approve", "--release", R, "--wave", "8", "--comment", "CHG-7")
    assert approved.exit_code == 0
    assert re.fullmatch(rf"wave 8 of {R} approved by ops-lead at .*Z for 2 stacks at {re.escape(', '.join(new))}\n",
                        approved.stdout)  # fmt: skip
    assert plan_json(platform, "--wave", "8")["waves"][0]["gate"]["state"] == "open"
    go = platform("up", "--release", R, "--wave", "8", "--yes")
    assert go.exit_code == 0, go.output
    assert sorted(test_engine.operations()[-2:]) == sorted(PRODUCTION_STANDARD)


def test_an_approval_does_not_follow_the_wave_number_to_other_stacks(
    fleet: Path, platform: Platform, test_engine: ScriptedEngine
) -> None:
    roll_out(platform, range(1, 7))  # through staging
    assert platform("approve", "--release", R, "--wave", "8").exit_code == 0  # production standard
    # a silo tenant with its own wave in staging adds a wave before production: numbers move by one
    (fleet / "tenants" / "kestrel.yaml").write_text("tier: premium\nenvironments: [staging]\nwave: 9\n")
    gate = plan_json(platform, "--wave", "8")["waves"][0]["gate"]
    assert gate["state"] == "closed"
    assert "production-us.pool.basic joined wave 8 after it was approved" in gate["reasons"]
    assert "production-eu.pool.basic joined wave 8 after it was approved" in gate["reasons"]
    calls = len(test_engine.calls)
    assert platform("up", "--release", R, "--wave", "8", "--yes").exit_code == 3
    assert len(test_engine.calls) == calls


def test_plan_shows_every_wave_gate_in_the_table_and_the_json(
    fleet: Path, platform: Platform, test_engine: ScriptedEngine
) -> None:
    roll_out(platform, range(1, 7))
    document = plan_json(platform)
    gates = {w["number"]: w["gate"] for w in document["waves"]}
    assert gates[6] == {"state": "open", "reasons": []}
    assert gates[7] == {
        "state": "closed",
        "reasons": [f"wave 7 (phase production) needs an approval: run `platform approve --release {R} --wave 7`"],
    }
    assert gates[8]["state"] == "closed" and gates[8]["reasons"][0].startswith("wave 7 is not complete: 2 of 2")
    table = platform("plan", "--release", R, "--wave", "7")
    assert table.exit_code == 0
    assert (
        "gate: closed\n"
        f"  - wave 7 (phase production) needs an approval: run `platform approve --release {R} --wave 7`\n"
    ) in table.stdout
    assert platform("approve", "--release", R, "--wave", "7").exit_code == 0
    opened = plan_json(platform, "--wave", "7")["waves"][0]["gate"]
    assert opened["state"] == "open" and opened["approval"]["by"] == "ops-lead"
    assert re.search(r"gate: open \(approved by ops-lead at [\d-]+ \d\d:\d\dZ\)\n",
                     platform("plan", "--release", R, "--wave", "7").stdout)  # fmt: skip


def test_a_tenant_file_gone_by_accident_does_not_offboard_the_tenant(
    fleet: Path, platform: Platform, test_engine: ScriptedEngine
) -> None:
    roll_out(platform)
    (fleet / "tenants" / "acme-labs.yaml").rename(fleet / "tenants" / "acme-labs.YAML")
    pool = stacks_of(plan_json(platform))["production-us.pool.basic"]
    removal = (
        "would remove tenant acme-labs: no tenants/acme-labs.yaml; "
        "offboard deliberately with `platform tenant remove acme-labs`"
    )
    assert (pool["state"], pool["reason"], pool["removes"]) == ("blocked", removal, ["acme-labs"])

    calls = len(test_engine.calls)
    refused = platform("up", "--release", R, "--stack", "production-us.pool.basic", "--yes")
    assert refused.exit_code == 3
    assert f"  blocked  production-us.pool.basic: {removal}\n" in refused.output
    assert len(test_engine.calls) == calls

    allowed = platform("up", "--release", R, "--stack", "production-us.pool.basic", "--allow-removal", "--yes")
    assert allowed.exit_code == 0, allowed.output
    assert "production-us.pool.basic: on 2.0.0+" in allowed.output
    assert "takes out acme-labs (--allow-removal)" in allowed.output
    assert test_engine.operations()[-1] == "production-us.pool.basic"
    assert stacks_of(plan_json(platform))["production-us.pool.basic"]["state"] == "done"


def test_a_tenant_disconnected_from_an_environment_is_not_taken_out_silently(
    fleet: Path, platform: Platform, test_engine: ScriptedEngine
) -> None:
    roll_out(platform)
    path = fleet / "tenants" / "dune-analytics.yaml"
    path.write_text(path.read_text().replace("[production-us, production-eu]", "[production-eu]"))
    pool = stacks_of(plan_json(platform))["production-us.pool.basic"]
    assert pool["state"] == "blocked"
    assert pool["reason"] == (
        "would remove tenant dune-analytics: tenants/dune-analytics.yaml does not connect it to production-us; "
        "pass --allow-removal to disconnect it"
    )


def test_up_and_destroy_print_the_changes_and_call_out_data_bearing_resources(
    fleet: Path, platform: Platform, test_engine: ScriptedEngine
) -> None:
    roll_out(platform, range(1, 3))
    test_engine.steps["staging.pool.basic"] = Step(
        changes={"create": 1, "update": 2, "delete": 6, "replace": 1, "same": 11},
        removed=(
            ("delete", "aws:iam/role:Role", "acme-labs"),
            ("delete", "aws:dynamodb/table:Table", "tenants"),
            ("replace", "aws:sqs/queue:Queue", "work"),
        ),
    )
    up = platform("up", "--release", R, "--wave", "3", "--yes")
    assert up.exit_code == 0, up.output
    assert "ok staging.pool.basic: +1 ~2 -6 +-1\n" in up.stdout
    assert up.text.endswith(
        "changes: +1 created, ~2 updated, -6 deleted, +-1 replaced, 11 unchanged\n"
        "  data-bearing: staging.pool.basic deletes aws:dynamodb/table:Table tenants\n"
        "  data-bearing: staging.pool.basic replaces aws:sqs/queue:Queue work\n"
        "run RUN: 1 succeeded\n"
    )
    report = platform("up", "--release", "2.0.1", "--wave", "1", "--yes", "--json").json()
    assert report["stacks"][0]["changes"] == {"create": 4} and report["stacks"][0]["data_removed"] == []

    test_engine.steps["staging.silo.helios-bank"] = Step(
        changes={"delete": 5}, removed=(("delete", "aws:dynamodb/table:Table", "data"),)
    )
    destroyed = platform("destroy", "--stack", "staging.silo.helios-bank", "--yes")
    assert destroyed.exit_code == 0, destroyed.output
    assert "ok staging.silo.helios-bank: +0 ~0 -5 +-0\n" in destroyed.stdout
    assert (
        "changes: +0 created, ~0 updated, -5 deleted, +-0 replaced, 0 unchanged\n"
        "  data-bearing: staging.silo.helios-bank deletes aws:dynamodb/table:Table data\n"
    ) in destroyed.stdout


def test_validate_names_every_file_it_does_not_read(fleet: Path, platform: Platform) -> None:
    tenants = fleet / "tenants"
    (tenants / "acme-labs.yaml").rename(tenants / "acme-labs.YAML")
    (tenants / "us").mkdir()
    (tenants / "brightside.yaml").rename(tenants / "us" / "brightside.yaml")
    (tenants / ".gitkeep").write_text("")
    (fleet / "tiers" / "basic.yaml.bak").write_text("model: pool\n")
    result = platform("validate", "--json")
    assert result.exit_code == 0
    assert result.json()["warnings"] == [
        "tiers/basic.yaml.bak: not read (only .yaml and .yml files are); "
        "rename it to tiers/basic.yaml if it is a tier, or remove it",
        "tenants/acme-labs.YAML: not read (only .yaml and .yml files are); "
        "rename it to tenants/acme-labs.yaml if it is a tenant, or remove it",
        "tenants/us/: a directory, not read (only tenants/<id>.yaml files are); "
        "move the tenant files in it up to tenants/",
    ]
    human = platform("validate")
    assert human.exit_code == 0
    assert "warning: tenants/acme-labs.YAML: not read" in human.output


@pytest.mark.parametrize("missing", [False, True])
def test_validate_warns_when_there_is_no_tenant(fleet: Path, platform: Platform, missing: bool) -> None:
    for path in (fleet / "tenants").iterdir():
        path.unlink()
    if missing:
        (fleet / "tenants").rmdir()
    warnings = platform("validate", "--json").json()["warnings"]
    what = "no such folder" if missing else "no tenant file"
    assert warnings == [
        f"tenants/: {what}, so the configuration has no tenant: every pool stack would serve nobody "
        "(plan shows a stack that would take tenants out as blocked)"
    ]


def test_status_shows_the_revision_each_stack_runs(
    fleet: Path, platform: Platform, test_engine: ScriptedEngine
) -> None:
    roll_out(platform, range(1, 2))
    revision = stacks_of(plan_json(platform))["testing.pool.basic"]["revision"]
    stacks = {s["name"]: s for s in platform("status", "--json").json()["stacks"]}
    assert (stacks["testing.pool.basic"]["current_release"], stacks["testing.pool.basic"]["current_revision"]) == (
        R,
        revision,
    )
    assert stacks["staging.pool.basic"]["current_revision"] is None
    table = platform("status").stdout
    assert re.search(rf"testing\.pool\.basic +│ \(untenanted\) +│ {re.escape(revision)} +│ up {R}: succeeded", table)


def test_an_override_follows_its_tenant_and_onboarding_its_own_progression(
    fleet: Path, platform: Platform, test_engine: ScriptedEngine
) -> None:
    roll_out(platform)
    gamma = fleet / "tenants" / "gamma-health.yaml"  # production-us only
    gamma.write_text(gamma.read_text().replace("requests_per_second: 250", "requests_per_second: 300"))
    evergreen = fleet / "tenants" / "evergreen.yaml"  # staging and production-eu
    evergreen.write_text(evergreen.read_text() + "parameters:\n  rate_limit: {requests_per_second: 120, burst: 240}\n")
    (fleet / "tenants" / "nova-labs.yaml").write_text("tier: basic\nenvironments: [production-us]\n")
    stacks = stacks_of(plan_json(platform))
    us, eu = stacks["production-us.pool.standard"], stacks["production-eu.pool.standard"]
    assert us["state"] == "eligible"
    assert us["reason"].endswith("changed since: the overrides of gamma-health; deploys " + us["revision"])
    assert stacks["staging.pool.standard"]["state"] == "eligible"
    assert eu["state"] == "blocked"
    assert re.fullmatch(r"tenant evergreen has not deployed 2\.0\.0\+[0-9a-f]{8} to staging", eu["reason"])
    basic = stacks["production-us.pool.basic"]
    assert (basic["state"], basic["reason"]) == ("eligible", f"on {basic['current_revision']}; changed since: "
                                                 "members (joins nova-labs)")  # fmt: skip
    assert basic["revision"] == basic["current_revision"]
    # the wave's approval still covers the pool: the revision it deploys is the one approved
    assert plan_json(platform, "--wave", "7")["waves"][0]["gate"]["state"] == "open"
