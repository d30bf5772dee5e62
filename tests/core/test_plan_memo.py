"""What a plan works out once and shares between stacks: revisions by tier and overrides
(planning/revision.py `Revisions.serving`) and each stack's fingerprint (planning/stackconfig.py).
Sharing must never give a stack another stack's answer. And the builders of the plan's two
per-stack objects (new_stack, stack_plan) make exactly what the dataclass constructors make."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from support.fleet import write_project
from tenantwave.config.loader import load_project
from tenantwave.config.models import Project
from tenantwave.planning import stackconfig
from tenantwave.planning.inventory import Kind, Stack, build_inventory, new_stack
from tenantwave.planning.lifecycle import State
from tenantwave.planning.plan import StackPlan, stack_plan
from tenantwave.planning.revision import Revision, Revisions
from tenantwave.planning.stackconfig import fingerprint

pytestmark = pytest.mark.unit

LIFECYCLE = [{"phase": "staging", "environments": ["staging"]}, {"phase": "production", "environments": ["prod"]}]
TIERS = {"basic": {"model": "pool", "wave": 1, "overridable": ["replicas"]},
         "premium": {"model": "silo", "wave": 2, "overridable": ["replicas"]}}
BOTH = ["staging", "prod"]
TENANTS = {
    "acme": {"tier": "premium", "environments": BOTH},
    "bolt": {"tier": "premium", "environments": BOTH},
    "cora": {"tier": "premium", "environments": BOTH, "parameters": {"replicas": 2}},
    "dune": {"tier": "premium", "environments": BOTH, "parameters": {"replicas": 2}},
    "echo": {"tier": "basic", "environments": BOTH},
    "fern": {"tier": "basic", "environments": BOTH, "parameters": {"replicas": 3}},
}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return load_project(write_project(tmp_path / "p", TIERS, TENANTS, LIFECYCLE))


def unshared(revisions: Revisions, tier: str, tenants: tuple[str, ...]) -> Revision:
    """The revision as it was built before it was shared: from scratch, for this stack alone."""
    known = revisions.project.tenants
    overrides = tuple(sorted((t, d) for t in tenants if t in known and (d := revisions.overrides(t))))
    return Revision(revisions.release, revisions.program, tier, revisions.tier_config(tier), overrides)


def test_every_stack_gets_its_own_revision_and_id_however_they_are_shared(project: Project) -> None:
    revisions = Revisions(project, "2.0.0", program="p")
    for stack in build_inventory(project):
        revision, revision_id = revisions.serving(stack.tier, stack.tenants)
        assert revision == unshared(revisions, stack.tier, stack.tenants) == revisions.of(stack)
        assert revision_id == revision.id
    acme, bolt, cora, dune = (revisions.serving("premium", (t,)) for t in ("acme", "bolt", "cora", "dune"))
    assert acme is bolt  # nothing overridden: the tier's revision, once
    assert cora[0] != dune[0] and cora[1] != dune[1]  # the same override, but each tenant's own
    assert cora[0] != acme[0]


def test_a_pool_revision_ignores_member_order_and_tenants_no_longer_configured(project: Project) -> None:
    revisions = Revisions(project, "2.0.0", program="p")
    assert revisions.serving("basic", ("fern", "echo")) == revisions.serving("basic", ("echo", "fern"))
    assert revisions.serving("basic", ("echo", "gone")) == revisions.serving("basic", ("echo",))
    assert revisions.serving("basic", ("echo",))[0] == Revision("2.0.0", "p", "basic", revisions.tier_config("basic"))


def test_a_fingerprint_is_kept_for_the_stack_it_was_computed_for_only(project: Project) -> None:
    stacks = build_inventory(project)
    stackconfig._last = None
    first = [fingerprint(project, stack) for stack in stacks]
    assert [fingerprint(project, stack) for stack in stacks] == first  # kept
    pool = next(s for s in stacks if s.name == "prod.pool.basic")
    fewer = dataclasses.replace(pool, tenants=("echo",))  # same name, other members
    stackconfig._last = None
    fresh = fingerprint(project, fewer)
    stackconfig._last = None
    assert fingerprint(project, pool) == first[stacks.index(pool)]
    assert fingerprint(project, fewer) == fresh != first[stacks.index(pool)]
    assert fingerprint(project, pool) == first[stacks.index(pool)]


texts = st.none() | st.text(max_size=10)
tenant_lists = st.lists(st.text(max_size=6), max_size=3).map(tuple)


def _same_instance(built: object, made: object) -> None:
    assert type(built) is type(made)
    assert built == made and hash(built) == hash(made) and repr(built) == repr(made)
    assert [getattr(built, f.name) for f in dataclasses.fields(made)] == [  # type: ignore[arg-type]
        getattr(made, f.name) for f in dataclasses.fields(made)  # type: ignore[arg-type]
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(built, dataclasses.fields(made)[0].name, "other")  # type: ignore[arg-type]


@given(st.text(max_size=10), st.text(max_size=6), st.integers(0, 9), st.sampled_from(["silo", "pool"]), texts,
       tenant_lists, st.tuples(st.integers(0, 9), st.integers(0, 9)), texts, st.integers(0, 3))
def test_new_stack_is_what_the_constructor_makes(
    name: str, env: str, index: int, kind: Kind, tenant: str | None, tenants: tuple[str, ...],
    wave_key: tuple[int, int], ring: str | None, rank: int,
) -> None:  # fmt: skip
    values = (name, env, "prod", index, kind, "basic", tenant, tenants, wave_key, ring, rank)
    _same_instance(new_stack(*values), Stack(*values))
    assert [f.name for f in dataclasses.fields(Stack)] == list(inspect.signature(new_stack).parameters)


@given(st.sampled_from(["eligible", "blocked", "deferred", "done"]), st.text(max_size=20), texts, texts, texts,
       tenant_lists, st.booleans(), st.none() | st.datetimes())
def test_stack_plan_is_what_the_constructor_makes(
    state: State, reason: str, current: str | None, running: str | None, revision: str | None,
    removes: tuple[str, ...], redeploy: bool, until: datetime | None,
) -> None:  # fmt: skip
    stack = Stack("prod.silo.acme", "prod", "production", 1, "silo", "premium", "acme", ("acme",), (1, 2))
    values = (stack, state, reason, current, running, revision, revision, removes, None, redeploy, until)
    built = stack_plan(*values)
    _same_instance(built, StackPlan(*values))
    assert [f.name for f in dataclasses.fields(StackPlan)] == list(inspect.signature(stack_plan).parameters)
