"""Which stacks a change affects and why: the rules of tenantwave.preview.changes over two configurations."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from support.fleet import copy_example
from tenantwave.config.loader import load_project
from tenantwave.preview.changes import affected_stacks, global_reasons, ignored_files

pytestmark = pytest.mark.unit


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "base")


@pytest.fixture
def head(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "head")


def _edit(path: Path, **fields: object) -> None:
    data = yaml.safe_load(path.read_text()) if path.exists() else {}
    data.update(fields)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _affected(base: Path, head: Path, *changed: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    found = affected_stacks(list(changed), load_project(base), load_project(head))
    return {a.name: (a.presence, a.reasons) for a in found}


def test_tier_parameter_change_affects_that_tiers_stacks(base: Path, head: Path) -> None:
    assert _affected(base, head, "tiers/standard.yaml") == {
        name: ("both", ("tier standard changed (tiers/standard.yaml)",))
        for name in ("testing.pool.standard", "staging.pool.standard", "production-us.pool.standard",
                     "production-eu.pool.standard")
    }


def test_silo_tier_change_affects_each_tenants_silo_stacks(base: Path, head: Path) -> None:
    assert list(_affected(base, head, "tiers/premium.yaml")) == [
        "staging.silo.helios-bank",
        "staging.silo.juniper-retail",
        "production-us.silo.helios-bank",
        "production-us.silo.ironclad",
        "production-eu.silo.helios-bank",
        "production-eu.silo.juniper-retail",
    ]


def test_tenant_added_to_a_silo_tier_adds_its_stacks(base: Path, head: Path) -> None:
    _edit(head / "tenants" / "nova.yaml", tier="premium", environments=["staging", "production-eu"])
    assert _affected(base, head, "tenants/nova.yaml") == {
        "staging.silo.nova": ("added", ("tenant nova added (tenants/nova.yaml)",)),
        "production-eu.silo.nova": ("added", ("tenant nova added (tenants/nova.yaml)",)),
    }


def test_tenant_added_to_a_pool_affects_its_pool_stacks(base: Path, head: Path) -> None:
    _edit(head / "tenants" / "nova.yaml", tier="basic", environments=["production-eu"])
    assert _affected(base, head, "tenants/nova.yaml") == {
        "production-eu.pool.basic": ("both", ("tenant nova added (tenants/nova.yaml)",)),
    }


def test_tenant_moved_between_tiers_affects_the_pools_it_leaves_and_joins(base: Path, head: Path) -> None:
    _edit(head / "tenants" / "corner-bakery.yaml", tier="standard")
    move = "it moves from tier basic to tier standard (tenants/corner-bakery.yaml)"
    left, joined = f"tenant corner-bakery leaves the pool: {move}", f"tenant corner-bakery joins the pool: {move}"
    assert _affected(base, head, "tenants/corner-bakery.yaml") == {
        "staging.pool.basic": ("both", (left,)),
        "staging.pool.standard": ("both", (joined,)),
        "production-us.pool.basic": ("both", (left,)),
        "production-us.pool.standard": ("both", (joined,)),
    }


def test_tenant_moved_from_silo_to_pool_removes_its_silo_stacks(base: Path, head: Path) -> None:
    _edit(head / "tenants" / "ironclad.yaml", tier="standard")
    found = _affected(base, head, "tenants/ironclad.yaml")
    assert found["production-us.silo.ironclad"][0] == "removed"
    assert found["production-us.silo.ironclad"][1] == (
        "tenant ironclad leaves this environment: it moves from tier premium to tier standard (tenants/ironclad.yaml)",
    )
    assert found["production-us.pool.standard"][0] == "both"


def test_tenant_connected_to_a_new_environment(base: Path, head: Path) -> None:
    _edit(head / "tenants" / "acme-labs.yaml", environments=["production-us", "production-eu"])
    assert _affected(base, head, "tenants/acme-labs.yaml") == {
        "production-us.pool.basic": ("both", ("tenant acme-labs changed (tenants/acme-labs.yaml)",)),
        "production-eu.pool.basic": (
            "both",
            ("tenant acme-labs joins the pool: it connects to production-eu (tenants/acme-labs.yaml)",),
        ),
    }


def test_tenant_removed_affects_its_stacks_and_pools(base: Path, head: Path) -> None:
    (head / "tenants" / "juniper-retail.yaml").unlink()
    assert _affected(base, head, "tenants/juniper-retail.yaml") == {
        "staging.silo.juniper-retail": ("removed", ("tenant juniper-retail removed (tenants/juniper-retail.yaml)",)),
        "production-eu.silo.juniper-retail": (
            "removed",
            ("tenant juniper-retail removed (tenants/juniper-retail.yaml)",),
        ),
    }


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("platform.yaml", "platform.yaml changed"),
        ("Pulumi.yaml", "Pulumi.yaml changed"),
        ("stacks/tenantstack/pool.py", "the stack program changed (stacks/tenantstack/pool.py)"),
        ("pyproject.toml", "dependencies changed (pyproject.toml)"),
        ("requirements-dev.txt", "dependencies changed (requirements-dev.txt)"),
    ],
)
def test_global_files_affect_every_stack(base: Path, head: Path, path: str, reason: str) -> None:
    found = _affected(base, head, path)
    assert len(found) == 14
    assert {reasons for _, reasons in found.values()} == {(reason,)}


def test_program_reason_names_a_few_files() -> None:
    paths = [f"stacks/tenantstack/m{i}.py" for i in range(5)]
    assert global_reasons(paths) == [
        "the stack program changed (stacks/tenantstack/m0.py, stacks/tenantstack/m1.py, "
        "stacks/tenantstack/m2.py and 2 more)"
    ]


def test_other_files_affect_nothing(base: Path, head: Path) -> None:
    changed = ["README.md", "platform/tenantwave/cli/app.py", "tests/x.py", "tiers/notes/readme.md"]
    assert _affected(base, head, *changed) == {}
    assert ignored_files([*changed, "tiers/basic.yaml"]) == changed


def test_new_project_adds_every_stack(head: Path) -> None:
    found = affected_stacks(["platform.yaml", "tiers/basic.yaml"], None, load_project(head))
    assert len(found) == 14 and {a.presence for a in found} == {"added"}
