"""`platform tenant add`: onboarding, end to end on a copy of the example with the test engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tenancy_helpers import files, ledger_rows, roll_out

from support.clirunner import Platform
from support.testengine import SPEC, ScriptedEngine

pytestmark = pytest.mark.cli

LEDGER = f"ledger: .platform/ledger.db (from platform.yaml); engine: {SPEC}\n"  # every command states it first


def test_add_a_pool_tenant_and_deploy_its_pool_stacks(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    roll_out(platform)
    before = len(test_engine.calls)
    result = platform(
        "tenant", "add", "nova-labs", "--tier", "basic", "--env", "staging", "--env", "production-us",
        "--name", "Nova Labs", "--deploy",
    )
    assert result.exit_code == 0, result.output
    assert result.text.startswith(
        LEDGER
        + "add tenant nova-labs: tier basic (pool), environments staging, production-us\n"
        "  write    tenants/nova-labs.yaml\n"
        "  update   staging.pool.basic at 1.4.0: add the tenant to the pool's members\n"
        "  update   production-us.pool.basic at 1.4.0: add the tenant to the pool's members\n"
        "run RUN: 1 stack(s); logs in .platform/logs/RUN\n"
        "start staging.pool.basic\n"
    )
    assert result.text.endswith("tenant nova-labs added: 2 stack(s) changed; tenants/nova-labs.yaml written\n")
    calls = test_engine.calls[before:]
    assert [(c.operation, c.stack, c.release) for c in calls] == [
        ("up", "staging.pool.basic", "1.4.0"),
        ("up", "production-us.pool.basic", "1.4.0"),
    ]
    members = json.loads(calls[0].config["tenantwave:members"])
    assert [m["id"] for m in members] == ["corner-bakery", "nova-labs"]
    assert (project / "tenants/nova-labs.yaml").read_text() == (
        "name: Nova Labs\ntier: basic\nenvironments: [staging, production-us]\n"
    )


def test_add_a_silo_tenant_creates_its_stacks_in_lifecycle_order(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    roll_out(platform)
    before = len(test_engine.calls)
    result = platform(
        "tenant", "add", "orbit", "--tier", "premium", "--env", "production-eu", "--env", "staging",
        "--wave", "4", "--deploy",
    )
    assert result.exit_code == 0, result.output
    assert "  create   staging.silo.orbit at 1.4.0: the tenant's own stack\n" in result.text
    assert test_engine.operations()[before:] == ["staging.silo.orbit", "production-eu.silo.orbit"]
    assert (project / "tenants/orbit.yaml").read_text() == (
        "tier: premium\nenvironments: [production-eu, staging]\nwave: 4\n"
    )
    listed = json.loads(platform("tenant", "list", "--json").output)
    orbit = next(t for t in listed["tenants"] if t["id"] == "orbit")
    assert [(e["environment"], e["stack"], e["release"]) for e in orbit["environments"]] == [
        ("staging", "staging.silo.orbit", "1.4.0"),
        ("production-eu", "production-eu.silo.orbit", "1.4.0"),
    ]


def test_add_without_deploy_only_writes_the_file(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    roll_out(platform)
    before = len(test_engine.calls)
    result = platform("tenant", "add", "nova", "--tier", "standard", "--env", "production-eu")
    assert result.exit_code == 0
    assert result.text == (
        LEDGER
        + "add tenant nova: tier standard (pool), environments production-eu\n"
        "  write    tenants/nova.yaml\n"
        "stacks left as they are (no --deploy): production-eu.pool.standard\n"
        "tenants/nova.yaml written\n"
    )
    assert len(test_engine.calls) == before
    assert platform("validate").exit_code == 0


def test_an_environment_without_a_release_is_said_plainly(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    result = platform("tenant", "add", "nova", "--tier", "basic", "--env", "production-us", "--deploy")
    assert result.exit_code == 0
    assert result.text == (
        LEDGER
        + "add tenant nova: tier basic (pool), environments production-us\n"
        "  write    tenants/nova.yaml\n"
        "  later    production-us.pool.basic: add the tenant to the pool's members (no release in production-us yet)\n"
        "note: production-us has no release yet (nothing runs there): production-us.pool.basic gets it with the "
        "next rollout, or pass --release\n"
        "tenant nova added: 0 stack(s) changed; tenants/nova.yaml written\n"
    )
    assert test_engine.calls == []


def test_provisioning_goes_through_the_lifecycle(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    roll_out(platform)
    before = len(test_engine.calls)
    result = platform(
        "tenant", "add", "nova", "--tier", "premium", "--env", "staging", "--release", "1.5.0", "--deploy"
    )
    assert result.exit_code == 3
    assert result.text.endswith(
        "stopped at staging.silo.nova: blocked: release 1.5.0 has not completed phase testing: "
        "0 of 1 required environment (still to deploy: testing)\n"
        "tenants/nova.yaml is written; finish with `platform up --release 1.5.0 --tenant nova`\n"
    )
    assert len(test_engine.calls) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["acme-labs", "--tier", "basic", "--env", "staging"],
            "error: tenant acme-labs already exists (tenants/acme-labs.yaml); "
            "use `platform tenant move` to change its tier\n",
        ),
        (
            ["nova", "--tier", "gold", "--env", "staging"],
            "error: 1 problem in the configuration:\n"
            "  tenants/nova.yaml: tier: unknown tier 'gold' (known: basic, premium, standard)\n",
        ),
        (
            ["../etc", "--tier", "basic", "--env", "staging"],
            "error: tenant id: '../etc' is not a valid id: use lowercase letters, digits and '-', "
            "starting and ending with a letter or digit\n",
        ),
        (
            ["Nova", "--tier", "basic", "--env", "staging"],
            "error: tenant id: 'Nova' is not a valid id: use lowercase letters, digits and '-', "
            "starting and ending with a letter or digit\n",
        ),
        (
            ["shared", "--tier", "basic", "--env", "staging"],
            "error: 1 problem in the configuration:\n"
            "  tenants/shared.yaml: file name: 'shared' is reserved (it labels pool-wide resources)\n",
        ),
        (
            ["nova", "--tier", "premium", "--env", "testing"],
            "error: 1 problem in the configuration:\n"
            "  tenants/nova.yaml: environments[0]: tier 'premium' is not offered in 'testing' "
            "(it is offered in: staging, production-us, production-eu)\n",
        ),
        (
            ["nova", "--tier", "basic", "--env", "staging", "--wave", "2"],
            "error: 1 problem in the configuration:\n"
            "  tenants/nova.yaml: wave: tier 'basic' is a pool: its tenants share the pool stack and its wave; "
            "set the wave on the tier or use a silo tier\n",
        ),
    ],
)
def test_bad_input_exits_2_with_nothing_written(
    project: Path, test_engine: ScriptedEngine, args: list[str], message: str, platform: Platform
) -> None:
    before = files(project)
    result = platform("tenant", "add", *args, "--deploy")
    assert (result.exit_code, result.output) == (2, LEDGER + message)
    assert files(project) == before
    assert test_engine.calls == []
    assert ledger_rows(project) == []


def test_dry_run_changes_nothing(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    roll_out(platform)
    files_before, ledger_before, calls = files(project), ledger_rows(project), len(test_engine.calls)
    result = platform("tenant", "add", "nova", "--tier", "premium", "--env", "staging", "--deploy", "--dry-run")
    assert result.exit_code == 0
    assert result.text == (
        LEDGER
        + "add tenant nova: tier premium (silo), environments staging\n"
        "  write    tenants/nova.yaml\n"
        "  create   staging.silo.nova at 1.4.0: the tenant's own stack\n"
        "dry run: nothing changed\n"
    )
    assert (files(project), ledger_rows(project), len(test_engine.calls)) == (files_before, ledger_before, calls)
