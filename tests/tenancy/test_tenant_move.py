"""`platform tenant move`: per environment, the new side is up before the old one goes; resumable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tenancy_helpers import files, ledger_rows, roll_out

from support.clirunner import Platform
from support.testengine import SPEC, ScriptedEngine, Step
from tenantwave.tenants.files import new_tenant_text, with_tier

pytestmark = pytest.mark.cli

LEDGER = f"ledger: .platform/ledger.db (from platform.yaml); engine: {SPEC}\n"  # every command states it first


def test_pool_to_silo_new_side_first_comments_kept(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    roll_out(platform)
    before = len(test_engine.calls)
    result = platform("tenant", "move", "corner-bakery", "--tier", "premium", "--deploy")
    assert result.exit_code == 0, result.output
    assert result.text.startswith(
        LEDGER
        + "move tenant corner-bakery: tier basic -> premium (pool -> silo)\n"
        "  create   staging.silo.corner-bakery at 1.4.0: the tenant's own stack, new tier\n"
        "  update   staging.pool.basic at 1.4.0: remove the tenant from the pool's members\n"
        "  create   production-us.silo.corner-bakery at 1.4.0: the tenant's own stack, new tier\n"
        "  update   production-us.pool.basic at 1.4.0: remove the tenant from the pool's members\n"
        "  rewrite  tenants/corner-bakery.yaml (after every stack succeeded)\n"
    )
    assert result.text.endswith(
        "tenant corner-bakery moved to tier premium: 4 stack(s) changed; tenants/corner-bakery.yaml rewritten\n"
    )
    assert test_engine.operations()[before:] == [
        "staging.silo.corner-bakery",
        "staging.pool.basic",
        "production-us.silo.corner-bakery",
        "production-us.pool.basic",
    ]
    assert (project / "tenants/corner-bakery.yaml").read_text() == (
        "# Asked to see releases in staging first, and early: `ring: early` (rollout.rings in platform.yaml) puts\n"
        "# staging.pool.basic first in staging; production-us.pool.basic still goes with the general ring,\n"
        "# because acme-labs and dune-analytics share it (a pool goes with the latest ring of its members).\n"
        "name: Corner Bakery Co\n"
        "tier: premium\n"
        "environments: [staging, production-us]\n"
        "tags: {ring: early}\n"
    )
    assert not (project / ".platform/tenant-moves/corner-bakery.json").exists()


def test_silo_to_pool_destroys_the_silo_after_the_pool_serves(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    roll_out(platform)
    before = len(test_engine.calls)
    result = platform("tenant", "move", "ironclad", "--tier", "basic", "--deploy", "--yes")
    assert result.exit_code == 0, result.output
    assert [(c.operation, c.stack) for c in test_engine.calls[before:]] == [
        ("up", "production-us.pool.basic"),
        ("destroy", "production-us.silo.ironclad"),
    ]
    members = json.loads(test_engine.calls[before].config["tenantwave:members"])
    assert "ironclad" in [m["id"] for m in members]


def test_an_interrupted_move_resumes(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    roll_out(platform)
    test_engine.steps["production-us.silo.corner-bakery"] = Step("failed", error="Error: quota exceeded")
    first = platform("tenant", "move", "corner-bakery", "--tier", "premium", "--deploy")
    assert first.exit_code == 1
    assert "stopped at production-us.silo.corner-bakery: failed: Error: quota exceeded\n" in first.text
    assert "tier: basic\n" in (project / "tenants/corner-bakery.yaml").read_text()
    listed = platform("tenant", "list").text
    assert "│ corner-bakery   │ basic (pool), moving to premium │" in listed
    # production-us.pool.basic still serves the tenant: the new side never came up there
    assert "production-us.pool.basic" not in test_engine.operations()[-2:]

    del test_engine.steps["production-us.silo.corner-bakery"]
    before = len(test_engine.calls)
    again = platform("tenant", "move", "corner-bakery", "--tier", "premium", "--deploy")
    assert again.exit_code == 0, again.output
    assert again.text.startswith(
        LEDGER
        + "move tenant corner-bakery: tier basic -> premium (pool -> silo)\n"
        "  done     staging.silo.corner-bakery: the tenant's own stack, new tier\n"
        "  done     staging.pool.basic: remove the tenant from the pool's members\n"
        "  create   production-us.silo.corner-bakery at 1.4.0: the tenant's own stack, new tier\n"
        "  update   production-us.pool.basic at 1.4.0: remove the tenant from the pool's members\n"
    )
    assert test_engine.operations()[before:] == ["production-us.silo.corner-bakery", "production-us.pool.basic"]
    assert "tier: premium\n" in (project / "tenants/corner-bakery.yaml").read_text()
    assert "moving" not in platform("tenant", "list").text


def test_a_move_cancelled_on_a_hanging_stack_resumes(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    import threading

    from tenantwave.engine.base import CancelToken
    from tenantwave.planning.workspace import open_workspace
    from tenantwave.tenants.execution import TenantExecutor
    from tenantwave.tenants.operations import plan_move

    roll_out(platform)
    test_engine.steps["staging.pool.basic"] = Step("hang")
    workspace = open_workspace(project)
    cancel = CancelToken()
    timer = threading.Timer(0.3, cancel.cancel)
    timer.start()
    result = TenantExecutor(workspace, test_engine, cancel=cancel).execute(
        plan_move(workspace, "corner-bakery", tier="premium")
    )
    timer.join()
    assert result.status == "failed" and result.stopped_at is not None
    assert result.stopped_at.step.stack.name == "staging.pool.basic"
    assert [o.status for o in result.outcomes] == ["succeeded", "cancelled", "not-started", "not-started"]
    assert "tier: basic\n" in (project / "tenants/corner-bakery.yaml").read_text()

    del test_engine.steps["staging.pool.basic"]
    workspace = open_workspace(project)
    resumed = TenantExecutor(workspace, test_engine).execute(plan_move(workspace, "corner-bakery", tier="premium"))
    assert [o.status for o in resumed.outcomes] == ["done", "succeeded", "succeeded", "succeeded"]
    assert resumed.file_changed


def test_move_without_deploy_rewrites_only_the_file(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    result = platform("tenant", "move", "gamma-health", "--tier", "basic")
    assert (result.exit_code, result.text) == (
        0,
        LEDGER
        + "move tenant gamma-health: tier standard -> basic (pool -> pool)\n"
        "  rewrite  tenants/gamma-health.yaml\n"
        "tenants/gamma-health.yaml rewritten\n",
    )
    assert (project / "tenants/gamma-health.yaml").read_text().startswith(
        "# Contract: higher API limits than the standard plan.\nname: Gamma Health\ntier: basic\n"
    )
    assert test_engine.calls == []


@pytest.mark.parametrize(
    ("tenant", "tier", "message"),
    [
        ("corner-bakery", "gold", "  tenants/corner-bakery.yaml: tier: unknown tier 'gold' (known: basic, premium, "
         "regional, standard)\n"),
        ("corner-bakery", "regional", "  tenants/corner-bakery.yaml: environments[0]: tier 'regional' is not offered "
         "in 'staging' (it is offered in: production-us)\n"),
        ("juniper-retail", "basic", "  tenants/juniper-retail.yaml: wave: tier 'basic' is a pool: its tenants share "
         "the pool stack and its wave; set the wave on the tier or use a silo tier\n"),
    ],
)
def test_bad_moves_exit_2_with_nothing_written(
    project: Path, test_engine: ScriptedEngine, tenant: str, tier: str, message: str, platform: Platform
) -> None:
    (project / "tiers/regional.yaml").write_text("model: silo\nwave: 3\nenvironments: [production-us]\n")
    roll_out(platform)
    files_before, ledger_before, calls = files(project), ledger_rows(project), len(test_engine.calls)
    result = platform("tenant", "move", tenant, "--tier", tier, "--deploy", "--yes")
    assert (result.exit_code, result.output) == (2, LEDGER + "error: 1 problem in the configuration:\n" + message)
    assert (files(project), ledger_rows(project), len(test_engine.calls)) == (files_before, ledger_before, calls)


def test_dry_run_changes_nothing(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    roll_out(platform)
    files_before, ledger_before, calls = files(project), ledger_rows(project), len(test_engine.calls)
    result = platform("tenant", "move", "helios-bank", "--tier", "premium", "--deploy", "--dry-run")
    assert (result.exit_code, result.text) == (
        2,
        LEDGER + "error: tenant helios-bank is already on tier premium in every environment: nothing to move\n",
    )
    result = platform("tenant", "move", "ironclad", "--tier", "standard", "--deploy", "--dry-run")
    assert result.exit_code == 0
    assert result.text == (
        LEDGER
        + "move tenant ironclad: tier premium -> standard (silo -> pool)\n"
        "  update   production-us.pool.standard at 1.4.0: the new tier's pool serves the tenant\n"
        "  destroy  production-us.silo.ironclad at 1.4.0: the tenant's own stack\n"
        "  rewrite  tenants/ironclad.yaml (after every stack succeeded)\n"
        "note: data-bearing resources (tables, databases) of destroyed stacks are kept "
        "(pass --delete-data to delete them)\n"
        "dry run: nothing changed\n"
    )
    assert (files(project), ledger_rows(project), len(test_engine.calls)) == (files_before, ledger_before, calls)


@pytest.mark.parametrize("layout", ["environments:\n- staging\n- production-us\n",
                                    "environments:\n  - staging\n  - production-us\n"])
def test_rewrites_keep_comments_and_layout(layout: str) -> None:
    text = f"# note at the top\nname: 'Quoted: Name'   # display\ntier: basic  # since 2024\n{layout}# trailing\n"
    assert with_tier(text, "premium") == text.replace("tier: basic  # since", "tier: premium # since")


def test_new_files_quote_what_needs_quoting() -> None:
    assert new_tenant_text("basic", ["staging"], None, "Acme: Labs") == (
        "name: 'Acme: Labs'\ntier: basic\nenvironments: [staging]\n"
    )
