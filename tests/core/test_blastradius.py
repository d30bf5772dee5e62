"""Blast radius in tenants (issue 18, item 4): caps given as a number or a percentage of a phase's
tenants; a stack weighs the tenants it serves; in flight never more than the cap, but for one
oversized stack alone; one run exposes no more than max_tenants_per_run, but for its first stack."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantwave.config.loader import load_project
from tenantwave.config.rings import tenant_limit
from tenantwave.errors import ConfigError
from tenantwave.planning.inventory import Stack
from tenantwave.rollout.blastradius import Admission, TenantLimits, tenant_limits

pytestmark = pytest.mark.unit

TIERS: dict[str, dict[str, Any]] = {
    "basic": {"model": "pool", "wave": 1},
    "premium": {"model": "silo", "wave": 2, "environments": ["production-us", "production-eu"]},
}


def test_a_percentage_rounds_down_and_never_below_one() -> None:
    assert [tenant_limit("10%", n) for n in (0, 5, 10, 19, 20, 1000)] == [1, 1, 1, 1, 2, 100]
    assert tenant_limit("100%", 7) == 7
    assert tenant_limit("33.5%", 200) == 67
    assert tenant_limit(4, 2) == 4  # a number is the number, whatever the phase has


def test_the_percentage_counts_the_distinct_tenants_of_the_phase(make_project) -> None:
    project = make_project(
        tiers=TIERS,
        tenants={
            **{f"b{n}": {"tier": "basic", "environments": ["production-us", "production-eu"]} for n in range(6)},
            "p": {"tier": "premium", "environments": ["production-us", "production-eu"]},
            "s": {"tier": "basic", "environments": ["staging"]},
        },
        rollout={
            "max_tenants_in_flight": "50%",
            "max_tenants_per_run": 9,
            "phases": {"staging": {"max_tenants_in_flight": 5}},
        },
    )
    limits = tenant_limits(project)
    # production: 7 tenants (each counted once, whichever environments it is in); testing serves nobody
    assert limits.in_flight == {"testing": 1, "staging": 5, "production": 3}
    assert limits.per_run == 9 and limits.active


def test_no_cap_by_default(make_project) -> None:
    project = make_project(tiers=TIERS, tenants={"a": {"tier": "basic", "environments": ["staging"]}})
    assert tenant_limits(project) == TenantLimits() and not TenantLimits().active


@pytest.mark.parametrize(
    ("rollout", "expected"),
    [
        ({"max_tenants_in_flight": 0}, "platform.yaml: rollout.max_tenants_in_flight: 0 tenants would let nothing "
         "deploy: give at least 1, or a percentage like \"10%\""),
        ({"phases": {"production": {"max_tenants_in_flight": "0%"}}},
         "platform.yaml: rollout.phases.production.max_tenants_in_flight: '0%': a percentage must be above 0% "
         "and at most 100%"),
        ({"max_tenants_in_flight": "150%"},
         "platform.yaml: rollout.max_tenants_in_flight: '150%': a percentage must be above 0% and at most 100%"),
        ({"max_tenants_in_flight": "ten"},
         "platform.yaml: rollout.max_tenants_in_flight: 'ten' is neither a number of tenants nor a percentage "
         "like \"10%\""),
        ({"max_tenants_in_flight": True},
         "platform.yaml: rollout.max_tenants_in_flight: expected a number of tenants or a percentage like \"10%\", "
         "got True"),
        ({"max_tenants_per_run": 0},
         "platform.yaml: rollout.max_tenants_per_run: input should be greater than or equal to 1"),
        ({"max_tenants_per_run": "10%"},
         "platform.yaml: rollout.max_tenants_per_run: input should be a valid integer, got '10%'"),
    ],
    ids=["zero", "zero-percent", "over-100-percent", "words", "bool", "per-run-zero", "per-run-percent"],
)
def test_bad_caps_name_file_field_and_fix(write, rollout: dict[str, Any], expected: str) -> None:
    root = write(TIERS, {"a": {"tier": "basic", "environments": ["staging"]}}, rollout=rollout)
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    assert caught.value.lines() == [expected]


# -- the admission rule, driven by a simulated scheduler ---------------------------------------------


def _stack(index: int, phase: str, tenants: frozenset[str]) -> Stack:
    return Stack(f"s{index}", phase, phase, 0, "pool", "basic", None, tuple(sorted(tenants)), (0, 1))


stacks_strategy = st.lists(
    st.tuples(st.sampled_from(["staging", "production"]), st.frozensets(st.sampled_from("abcdefghij"), max_size=6)),
    min_size=1,
    max_size=12,
)


@given(stacks_strategy, st.integers(1, 6), st.integers(1, 8), st.randoms(use_true_random=False))
def test_in_flight_tenants_never_exceed_the_cap_but_for_one_oversized_stack_alone(
    specs: list[tuple[str, frozenset[str]]], cap: int, workers: int, rng: Any
) -> None:
    stacks = [_stack(i, phase, tenants) for i, (phase, tenants) in enumerate(specs)]
    admission = Admission(TenantLimits(in_flight={"staging": cap, "production": cap}))
    pending, running, started = list(stacks), [], []
    while pending or running:
        # start what may start, in order, up to the workers (what a worker pool does)
        while pending and len(running) < workers and admission.verdict(pending[0], running) == "start":
            admission.started(pending[0])
            running.append(pending.pop(0))
            started.append(running[-1].name)
            for phase in ("staging", "production"):
                here = [s for s in running if s.phase == phase]
                changing = set().union(*(s.tenants for s in here))
                assert len(changing) <= cap or len(here) == 1
        assert running, "nothing runs and nothing may start: the cap must never deadlock"
        running.remove(rng.choice(running))  # some stack finishes
    assert started == [s.name for s in stacks]  # plan order, nothing skipped


@given(stacks_strategy, st.integers(1, 6))
def test_one_run_exposes_at_most_its_cap_but_for_its_first_stack(
    specs: list[tuple[str, frozenset[str]]], cap: int
) -> None:
    stacks = [_stack(i, phase, tenants) for i, (phase, tenants) in enumerate(specs)]
    admission = Admission(TenantLimits(per_run=cap))
    started: list[Stack] = []
    for stack in stacks:
        verdict = admission.verdict(stack, [])
        if verdict == "stop":
            break
        assert verdict == "start"
        admission.started(stack)
        started.append(stack)
    assert started, "the first stack always starts, however many tenants it serves"
    exposed = set().union(*(s.tenants for s in started))
    first_exposing = next((s for s in started if s.tenants), None)
    assert len(exposed) <= cap or exposed == set(first_exposing.tenants if first_exposing else ())
    if len(started) < len(stacks):  # stopped: the next stack did not fit
        assert len(exposed | set(stacks[len(started)].tenants)) > cap
    assert [s.name for s in started] == [s.name for s in stacks[: len(started)]]


def test_a_stack_that_changed_nothing_gives_its_tenants_back_to_the_run() -> None:
    admission = Admission(TenantLimits(per_run=3))
    held = _stack(0, "production", frozenset("abc"))
    admission.started(held)
    shared = _stack(1, "production", frozenset("c"))
    admission.started(shared)
    assert admission.verdict(_stack(2, "production", frozenset("d")), []) == "stop"
    admission.withdrawn(held)  # held by another run: it deployed nothing
    assert admission.exposed == 1  # c is still exposed by the other stack
    assert admission.verdict(_stack(2, "production", frozenset("de")), []) == "start"
    assert admission.verdict(_stack(2, "production", frozenset("def")), []) == "stop"


def test_the_work_queue_gives_back_the_tenants_of_a_held_stack_and_says_why_it_stopped() -> None:
    from tenantwave.engine.base import CancelToken
    from tenantwave.rollout.report import Outcome
    from tenantwave.rollout.workqueue import WorkQueue

    stacks = [_stack(0, "production", frozenset("ab")), _stack(1, "production", frozenset("c")),
              _stack(2, "production", frozenset("de"))]
    queue = WorkQueue(stacks, 0, CancelToken(), TenantLimits(per_run=2))
    first = queue.next()
    assert first is stacks[0]
    queue.finish(Outcome(first.name, "held", error="in progress by run R"))  # deployed nothing
    second = queue.next()
    assert second is stacks[1]
    queue.finish(Outcome(second.name, "succeeded"))
    assert queue.next() is None  # c, d and e would be 3
    queue.settle_unstarted()
    assert queue.outcomes["s2"].error == (
        "not started: max_tenants_per_run 2 reached (1 tenant exposed by this run); run the same command again "
        "to continue"
    )


def test_a_stack_withdrawn_after_the_run_stopped_at_its_cap_lets_the_run_go_on() -> None:
    """The run stopped at max_tenants_per_run counting a stack that then changed nothing (held by
    another run): the stop no longer holds, so the run goes on and never says it reached its cap."""
    from tenantwave.engine.base import CancelToken
    from tenantwave.rollout.report import Outcome
    from tenantwave.rollout.workqueue import WorkQueue

    stacks = [_stack(0, "production", frozenset("ab")), _stack(1, "production", frozenset("c"))]
    queue = WorkQueue(stacks, 0, CancelToken(), TenantLimits(per_run=2))
    first = queue.next()
    assert first is stacks[0]
    assert queue.next() is None and queue.capped is not None  # a, b and c would be 3
    queue.finish(Outcome(first.name, "held", error="in progress by run R"))  # deployed nothing after all
    assert queue.capped is None
    assert queue.next() is stacks[1]
    queue.finish(Outcome(stacks[1].name, "succeeded"))
    assert queue.next() is None and queue.capped is None
    queue.settle_unstarted()
    assert [o.status for o in queue.outcomes.values()] == ["held", "succeeded"]


def test_only_a_stack_that_succeeded_deployed_alone() -> None:
    """A stack over its phase's cap that succeeded "deployed alone"; one that failed "ran alone"; a
    cancelled or unstarted one is not said to have gone alone at all."""
    from tenantwave.planning.plan import StackPlan
    from tenantwave.planning.selection import Targets
    from tenantwave.rollout.blastradius import exposure_lines
    from tenantwave.rollout.prepare import RolloutPlan
    from tenantwave.rollout.report import Outcome, RunReport

    stacks = [_stack(n, "production", frozenset(f"{n}a{n}b{n}c".split(str(n))[1:])) for n in range(5)]
    plan = RolloutPlan("1.4.0", 1, Targets(), None, tuple(StackPlan(s, "eligible", "", None) for s in stacks), None, 1)
    statuses = ("succeeded", "failed", "unhealthy", "cancelled", "not-started")
    report = RunReport("run-1", "1.4.0", tuple(Outcome(s.name, st) for s, st in zip(stacks, statuses, strict=True)),
                       plan, False, None)
    alone = [line for line in exposure_lines(report, TenantLimits(in_flight={"production": 2})) if "alone" in line]
    assert alone == [
        "  s0 serves 3 tenants, more than max_tenants_in_flight 2 of phase production: it deployed alone",
        "  s1 serves 3 tenants, more than max_tenants_in_flight 2 of phase production: it ran alone (failed)",
        "  s2 serves 3 tenants, more than max_tenants_in_flight 2 of phase production: it ran alone (unhealthy)",
    ]
