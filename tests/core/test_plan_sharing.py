"""A plan judges 25,000 stacks on shared facts (planning/lifecycle.py: rules 1 to 3 worked out once
per phase, tier and tenants, equal verdicts one object; planning/revision.py: a revision once per
tier and tenants). Sharing must never give a stack another stack's answer: over random ledger
histories, each stack judged by the plan's one Lifecycle (`judge`, what plan.evaluate calls) gets
what a fresh Lifecycle made for it alone says (`verdict` with its fingerprint, `revision_id`), and
plan.evaluate over all stacks at once gives each stack what evaluating it alone gives."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.fleet import write_project
from tenantwave.config.loader import load_project
from tenantwave.config.models import Project
from tenantwave.ledger.driftreads import DriftMark
from tenantwave.ledger.history import Deployed, ReleaseHistory, Success
from tenantwave.planning import plan, stackconfig
from tenantwave.planning.inventory import Stack, build_inventory
from tenantwave.planning.lifecycle import Lifecycle, Verdict
from tenantwave.planning.removal import removals
from tenantwave.planning.stackconfig import fingerprint

pytestmark = pytest.mark.unit

R = "2.0.0"
LIFECYCLE = [
    {"phase": "testing", "environments": ["testing"]},
    {"phase": "staging", "environments": ["staging"]},
    {"phase": "production", "environments": ["prod-us", "prod-eu"]},
]
ALL = ["testing", "staging", "prod-us", "prod-eu"]
TIERS = {
    "basic": {"model": "pool", "wave": 1, "overridable": ["replicas"]},
    "premium": {"model": "silo", "wave": 2, "overridable": ["replicas"]},
    "spare": {"model": "pool", "wave": 3, "environments": ["testing", "prod-eu"]},  # serve nobody: the
    "standby": {"model": "pool", "wave": 3},  # same tenants (none) on two tiers
}
TENANTS = {
    "acme": {"tier": "premium", "environments": ["staging", "prod-us", "prod-eu"]},
    "bolt": {"tier": "premium", "environments": ["staging", "prod-us"], "parameters": {"replicas": 2}},
    "cora": {"tier": "premium", "environments": ["prod-eu"], "parameters": {"replicas": 2}},
    "dune": {"tier": "premium", "environments": ["testing", "prod-us", "prod-eu"]},
    "echo": {"tier": "basic", "environments": ["staging", "prod-us", "prod-eu"]},
    "fern": {"tier": "basic", "environments": ["prod-us"], "parameters": {"replicas": 3}},
    "gull": {"tier": "basic", "environments": ALL},
}
GONE = "gone"  # a tenant the ledger knows that the configuration no longer has


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return load_project(write_project(Path(tmp_path_factory.mktemp("sharing")), TIERS, TENANTS, LIFECYCLE))


@st.composite
def histories(draw: st.DrawFn, project: Project) -> ReleaseHistory:
    """A release's history as the ledger reports it: successes of some stacks (with or without their
    recorded revision and fingerprint, serving some of its tenants, or one gone), what each stack runs
    now (another release, this one at its revision or another, a stale fingerprint), drift found."""
    stacks = build_inventory(project)
    lifecycle = Lifecycle(project, ReleaseHistory(R), stacks)
    successes: list[Success] = []
    current: dict[str, Deployed] = {}
    drift: dict[str, DriftMark] = {}
    for stack in stacks:
        revision = lifecycle.revision(stack)
        served = tuple(t for t in stack.tenants if draw(st.booleans())) + ((GONE,) if draw(st.booleans()) else ())
        tenants = draw(st.sampled_from([stack.tenants, served]))
        config = draw(st.sampled_from([None, revision.config_json()]))
        recorded = draw(st.sampled_from([None, "stale", fingerprint(project, stack)]))
        if draw(st.booleans()):
            successes.append(Success(stack.name, stack.environment, tenants, recorded, config))
        which = draw(st.integers(0, 3))
        if which == 1:
            current[stack.name] = Deployed("1.0.0", recorded, None, None, None, tenants)
        elif which >= 2:
            id_ = draw(st.sampled_from([None, revision.id, f"{R}+00000000"]))
            current[stack.name] = Deployed(R, recorded, None, id_, config, tenants)
            if draw(st.integers(0, 3)) == 0:
                drift[stack.name] = DriftMark(stack.name, "run-1", R, tenants, 2, datetime(2026, 1, 1))
    return ReleaseHistory.from_records(R, successes, current, drift=drift)


def alone(project: Project, history: ReleaseHistory, stacks: list[Stack], stack: Stack) -> tuple[Verdict, str]:
    """The verdict and revision id of `stack` from a Lifecycle made for it alone (nothing shared)."""
    stackconfig._last = None
    lifecycle = Lifecycle(project, history, stacks)
    return lifecycle.verdict(stack, fingerprint(project, stack)), lifecycle.revision_id(stack)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_each_stack_judged_on_shared_facts_gets_its_own_verdict(project: Project, data: st.DataObject) -> None:
    history = data.draw(histories(project))
    stacks = build_inventory(project)
    stackconfig._last = None
    shared = Lifecycle(project, history, stacks)
    judged = [shared.judge(stack, history.current.get(stack.name)) for stack in stacks]
    assert judged == [alone(project, history, stacks, stack) for stack in stacks]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_plan_of_every_stack_gives_each_what_its_plan_alone_gives(project: Project, data: st.DataObject) -> None:
    history = data.draw(histories(project))
    stacks = tuple(build_inventory(project))
    plan._cached = None
    together = plan.evaluate(project, history, stacks, offboarding=("fern",))
    separately = []
    for stack in stacks:
        plan._cached = None
        separately += plan.evaluate(project, history, (stack,), offboarding=("fern",))
    plan._cached = None
    assert together == tuple(separately)
    for stack_plan in together:  # what it takes out is what the removal rule says, whatever skipped it
        current = history.current.get(stack_plan.stack.name)
        verdict = alone(project, history, list(stacks), stack_plan.stack)[0]
        taken = removals(project, stack_plan.stack, current) if verdict.state != "done" else []
        assert stack_plan.removes == tuple(r.tenant for r in taken)
