"""The stacks of a project (planning/inventory.py) compared whole: every field of every stack, the plan
order, asymmetric tenants and environments, and stacks rebuilt from the ledger (issue 21)."""

from __future__ import annotations

from datetime import datetime

import pytest

from tenantwave.config.models import Project
from tenantwave.ledger.records import DeploymentRecord
from tenantwave.planning.inventory import Stack, build_inventory, recorded_stack, stack_name

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 1, 12, 0, 0)


@pytest.fixture
def fleet(make_project) -> Project:  # type: ignore[no-untyped-def]
    """Asymmetric on purpose: tenants connected to different environments, a silo wave override,
    a pool tier not offered everywhere."""
    return make_project(
        tiers={
            "basic": {"model": "pool", "wave": 1, "environments": ["testing", "staging", "production-us"]},
            "gold": {"model": "pool", "wave": 2, "environments": ["production-eu", "production-us"]},
            "premium": {"model": "silo", "wave": 2, "environments": ["staging", "production-us", "production-eu"]},
        },
        tenants={
            "bolt": {"tier": "basic", "environments": ["staging", "production-us"]},
            "acme": {"tier": "basic", "environments": ["staging"]},
            "gilt": {"tier": "gold", "environments": ["production-eu"]},
            "zeta": {"tier": "premium", "environments": ["staging", "production-eu"], "wave": 1},
            "yarn": {"tier": "premium", "environments": ["production-us"]},
        },
    )


def test_every_stack_every_field_in_plan_order(fleet: Project) -> None:
    assert build_inventory(fleet) == [
        Stack("testing.pool.basic", "testing", "testing", 0, "pool", "basic", None, (), (0, 1)),
        Stack("staging.pool.basic", "staging", "staging", 1, "pool", "basic", None, ("acme", "bolt"), (1, 1)),
        Stack("staging.silo.zeta", "staging", "staging", 1, "silo", "premium", "zeta", ("zeta",), (1, 1)),
        Stack("production-us.pool.basic", "production-us", "production", 2, "pool", "basic", None, ("bolt",), (2, 1)),
        Stack(
            "production-eu.silo.zeta", "production-eu", "production", 2, "silo", "premium", "zeta", ("zeta",), (2, 1)
        ),
        Stack("production-us.pool.gold", "production-us", "production", 2, "pool", "gold", None, (), (2, 2)),
        Stack(
            "production-us.silo.yarn", "production-us", "production", 2, "silo", "premium", "yarn", ("yarn",), (2, 2)
        ),
        Stack("production-eu.pool.gold", "production-eu", "production", 2, "pool", "gold", None, ("gilt",), (2, 2)),
    ]


def test_untenanted_is_a_stack_without_tenants(fleet: Project) -> None:
    untenanted = {s.name: s.untenanted for s in build_inventory(fleet)}
    assert untenanted["testing.pool.basic"] is True
    assert untenanted["production-us.pool.gold"] is True
    assert untenanted["staging.pool.basic"] is False
    assert untenanted["staging.silo.zeta"] is False


def test_stack_name() -> None:
    assert stack_name("production-eu", "silo", "zeta") == "production-eu.silo.zeta"


def last(environment: str, kind: str, tenants: tuple[str, ...], tier: str = "premium") -> DeploymentRecord:
    return DeploymentRecord(
        7, "run-1", "1.4.0", "x", environment, kind, tier, tenants, "up", "succeeded", T0, T0, None, None, None, 3
    )


def test_recorded_silo_stack_keeps_its_phase_and_tenant(fleet: Project) -> None:
    rebuilt = recorded_stack(fleet, "production-us.silo.gone", last("production-us", "silo", ("gone",)))
    assert rebuilt == Stack(
        "production-us.silo.gone", "production-us", "production", 2, "silo", "premium", "gone", ("gone",), (2, 0)
    )


def test_recorded_pool_stack_has_no_tenant(fleet: Project) -> None:
    rebuilt = recorded_stack(fleet, "staging.pool.old", last("staging", "pool", ("a", "b"), tier="old"))
    assert rebuilt == Stack("staging.pool.old", "staging", "staging", 1, "pool", "old", None, ("a", "b"), (1, 0))


def test_recorded_silo_stack_without_tenants_has_no_tenant(fleet: Project) -> None:
    rebuilt = recorded_stack(fleet, "staging.silo.empty", last("staging", "silo", ()))
    assert (rebuilt.kind, rebuilt.tenant, rebuilt.tenants) == ("silo", None, ())


def test_recorded_stack_of_an_environment_no_longer_in_the_lifecycle_sorts_after_every_phase(fleet: Project) -> None:
    rebuilt = recorded_stack(fleet, "qa.pool.basic", last("qa", "pool", (), tier="basic"))
    assert rebuilt == Stack("qa.pool.basic", "qa", "?", 3, "pool", "basic", None, (), (3, 0))


def test_an_unknown_kind_is_rebuilt_as_a_pool(fleet: Project) -> None:
    assert recorded_stack(fleet, "staging.x.y", last("staging", "other", ("t",))).kind == "pool"
