"""The pool destroy guard reads the ledger as well as the configuration: a pool stack still serves
the tenants its current deployment served, whatever tenants/ says now (`tenant remove X` without
--deploy only deletes the file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from support.clirunner import Platform
from support.testengine import SPEC, ScriptedEngine

pytestmark = pytest.mark.cli
POOL = "staging.pool.basic"


def deploy_until(platform: Platform, stack: str) -> None:
    """Deploy 1.4.0 wave after wave until `stack` runs it."""
    plan = json.loads(platform("plan", "--release", "1.4.0", "--json").stdout)
    wave = next(w["number"] for w in plan["waves"] for s in w["stacks"] if s["name"] == stack)
    for number in range(1, wave + 1):
        result = platform("up", "--release", "1.4.0", "--wave", str(number), "--yes")
        assert result.exit_code == 0, result.output


def test_a_pool_that_still_serves_a_removed_tenant_per_the_ledger_is_refused(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    platform = platform.with_engine(SPEC)
    deploy_until(platform, POOL)
    (project / "tenants" / "corner-bakery.yaml").unlink()  # as `tenant remove corner-bakery` without --deploy
    result = platform("destroy", "--stack", POOL, "--yes")
    assert result.exit_code == 2, result.output
    assert result.stderr.endswith(
        f"error: {POOL} still serves corner-bakery (the ledger says so: its current deployment serves them, "
        "though tenants/ no longer lists them all): move or remove those tenants first "
        "(`platform tenant remove ID --deploy`), or pass --force to destroy it anyway\n"
    )
    assert test_engine.operations("destroy") == []
    forced = platform("destroy", "--stack", POOL, "--yes", "--force")
    assert forced.exit_code == 0, forced.output
    assert test_engine.operations("destroy") == [POOL]


def test_a_pool_the_tenant_was_offboarded_from_may_go(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    platform = platform.with_engine(SPEC)
    deploy_until(platform, POOL)
    removed = platform("tenant", "remove", "corner-bakery", "--deploy", "--yes")
    assert removed.exit_code == 0, removed.output  # the pool redeployed without the tenant, the file removed
    result = platform("destroy", "--stack", POOL, "--yes")
    assert result.exit_code == 0, result.output
    assert test_engine.operations("destroy") == [POOL]


def retire_staging(project: Path) -> None:
    """Remove the staging phase from platform.yaml (its target too) and disconnect every tier and tenant."""
    config = yaml.safe_load((project / "platform.yaml").read_text())
    config["lifecycle"] = [phase for phase in config["lifecycle"] if phase["phase"] != "staging"]
    del config["targets"]["staging"]
    (project / "platform.yaml").write_text(yaml.safe_dump(config))
    for path in [*(project / "tiers").glob("*.yaml"), *(project / "tenants").glob("*.yaml")]:
        data = yaml.safe_load(path.read_text())
        if "staging" in data.get("environments", []):
            data["environments"].remove("staging")
            path.write_text(yaml.safe_dump(data))


def test_a_stack_of_a_retired_environment_can_still_be_destroyed(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    platform = platform.with_engine(SPEC)
    deploy_until(platform, "staging.silo.helios-bank")
    retire_staging(project)
    assert platform("validate").exit_code == 0
    # it had no target any more: the runner's stack config raised KeyError: 'staging' (internal error)
    result = platform("destroy", "--stack", "staging.silo.helios-bank", "--yes")
    assert result.exit_code == 0, result.output
    assert "internal error" not in result.output
    forced = platform("destroy", "--stack", POOL, "--force", "--yes")
    assert forced.exit_code == 0, forced.output
    status = json.loads(platform("status", "--all", "--json").stdout)
    retired = {s["name"]: (s["current_release"], s["last"]["operation"], s["in_config"])
               for s in status["stacks"] if s["environment"] == "staging"}
    assert retired == {
        "staging.silo.helios-bank": (None, "destroy", False),
        POOL: (None, "destroy", False),
        "staging.pool.standard": ("1.4.0", "up", False),
    }
