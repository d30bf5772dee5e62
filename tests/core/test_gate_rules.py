"""The wave gate's rules, one by one, on hand-built wave plans and ledger facts with a fixed clock.

Written to kill the mutants of planning/gate.py that the rest of the suite let survive (issue 21):
every branch of the gate (previous wave, failure budget, bake, verification after the bake,
approvals bound to stacks and revisions) is compared against its whole reason text.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from tenantwave.config.models import Rollout
from tenantwave.ledger.history import GateFacts
from tenantwave.ledger.records import Approval, DeploymentRecord, RunRecord
from tenantwave.planning.gate import GateVerdict, approval_scope, evaluate_gate
from tenantwave.planning.inventory import Stack
from tenantwave.planning.plan import StackPlan, WavePlan
from tenantwave.planning.waves import Wave

pytestmark = pytest.mark.unit

R = "1.4.0"
T0 = datetime(2026, 1, 1, 12, 0, 0)
CHECK = {"kind": "command", "name": "smoke", "command": ["true"]}
UP1 = "`platform up --release 1.4.0 --wave 1`"
VERIFY1 = "`platform verify --release 1.4.0 --wave 1`"
APPROVE2 = "`platform approve --release 1.4.0 --wave 2`"


def project(**rollout: Any) -> Any:
    """Only what the gate reads of a project: its rollout policy."""
    return SimpleNamespace(platform=SimpleNamespace(rollout=Rollout.model_validate(rollout)))


def stack(name: str, phase: str) -> Stack:
    return Stack(name, phase, phase, 0, "pool", "basic", None, ("acme",), (0, 1))


def wave(
    number: int, phase: str, *stacks: tuple[str, str] | tuple[str, str, str | None], tier_wave: int = 1
) -> WavePlan:
    """A wave plan: (name, state[, revision]) per stack."""
    plans = []
    for item in stacks:
        name, state = item[0], item[1]
        revision = item[2] if len(item) > 2 else f"{R}+aaaa"  # type: ignore[misc]
        plans.append(StackPlan(stack(name, phase), state, "", None, revision=revision))  # type: ignore[arg-type]
    members = tuple(p.stack for p in plans)
    return WavePlan(Wave(number, phase, tier_wave, members), tuple(plans))


def record(
    name: str, status: str = "succeeded", ended: datetime | None = T0, error: str | None = None
) -> DeploymentRecord:
    return DeploymentRecord(
        1,
        "run-1",
        R,
        name,
        "staging",
        "pool",
        "basic",
        ("acme",),
        "up",
        status,
        T0 - timedelta(minutes=5),
        ended,
        error,
        None,
        None,
        3,
    )


def verification(started: datetime, status: str = "succeeded", detail: str | None = None) -> RunRecord:
    return RunRecord(
        "run-v", R, "verify", 1, "mock", status, started, started + timedelta(seconds=5), None, False, detail
    )


def approval(scope: dict[str, str] | None, at: datetime = T0, by: str = "ops-lead", wave_number: int = 2) -> Approval:
    return Approval(R, wave_number, by, at, "go", scope)


def gate(project_: Any, current: WavePlan, previous: WavePlan | None, facts: GateFacts, now: datetime) -> GateVerdict:
    return evaluate_gate(project_, R, current, previous, facts, now)


STAGING_DONE = wave(1, "staging", ("staging.pool.basic", "done"), ("staging.pool.premium", "done"))
NEXT = wave(2, "staging", ("staging.pool.gold", "eligible"))


# -- previous wave: complete, failures within the budget ---------------------------------------------


def test_first_wave_without_approval_policy_is_open() -> None:
    verdict = gate(project(), wave(1, "testing", ("t.pool.basic", "eligible")), None, GateFacts(), T0)
    assert verdict == GateVerdict(wave=1, open=True, reasons=(), approval=None)
    assert (verdict.state, verdict.reason, verdict.to_json()) == ("open", "", {"state": "open", "reasons": []})


def test_incomplete_previous_wave_names_every_missing_stack_and_how_many_more() -> None:
    names = [f"staging.pool.t{i}" for i in range(7)]
    previous = wave(1, "staging", *((n, "eligible") for n in names), ("staging.pool.zz", "done"))
    verdict = gate(project(), NEXT, previous, GateFacts(), T0)
    assert verdict.reasons == (
        f"wave 1 is not complete: 7 of 8 stacks not on 1.4.0 yet (staging.pool.t0, staging.pool.t1, staging.pool.t2, "
        f"staging.pool.t3, staging.pool.t4 and 2 more); run {UP1}",
    )
    assert verdict.state == "closed" and not verdict.open


def test_incomplete_previous_wave_of_five_names_them_all() -> None:
    names = [f"s{i}" for i in range(5)]
    verdict = gate(project(), NEXT, wave(1, "staging", *((n, "blocked") for n in names)), GateFacts(), T0)
    assert verdict.reasons == (
        f"wave 1 is not complete: 5 of 5 stacks not on 1.4.0 yet (s0, s1, s2, s3, s4); run {UP1}",
    )


def test_failures_within_the_budget_keep_the_gate_open_and_one_over_closes_it() -> None:
    previous = wave(1, "staging", ("a", "eligible"), ("b", "done"))
    facts = GateFacts(results={"a": record("a", "failed", error="boom"), "b": record("b")})
    assert gate(project(failure_budget=1), NEXT, previous, facts, T0).reasons == ()
    assert gate(project(failure_budget=0), NEXT, previous, facts, T0).reasons == (
        "wave 1 has 1 failed stack (a), over its failure budget of 0: fix and rerun wave 1",
    )


@pytest.mark.parametrize("status", ["failed", "unhealthy", "cancelled", "abandoned"])
def test_each_failed_status_counts_against_the_budget(status: str) -> None:
    previous = wave(1, "staging", ("a", "eligible"), ("b", "eligible"))
    facts = GateFacts(results={"a": record("a", status), "b": record("b", status)})
    reasons = gate(project(failure_budget=1), NEXT, previous, facts, T0).reasons
    assert len(reasons) == 1
    assert reasons[0].startswith(
        "wave 1 has 2 failed stacks (a, b), over its failure budget of 1: fix and rerun wave 1"
    )


def test_a_stack_that_failed_before_but_is_done_now_is_not_failed() -> None:
    previous = wave(1, "staging", ("a", "done"))
    facts = GateFacts(results={"a": record("a", "failed")})
    assert gate(project(), NEXT, previous, facts, T0).open


def test_a_stack_still_running_or_pending_is_missing_not_failed() -> None:
    previous = wave(1, "staging", ("a", "eligible"))
    facts = GateFacts(results={"a": record("a", "running", ended=None)})
    assert gate(project(), NEXT, previous, facts, T0).reasons == (
        f"wave 1 is not complete: 1 of 1 stacks not on 1.4.0 yet (a); run {UP1}",
    )


def test_unhealthy_stacks_name_their_checks_three_then_how_many_more() -> None:
    names = ["u1", "u2", "u3", "u4", "f1"]
    previous = wave(1, "staging", *((n, "eligible") for n in names))
    results = {n: record(n, "unhealthy", error=f"check smoke failed on {n}") for n in names[:3]}
    results["u4"] = record("u4", "unhealthy", error=None)
    results["f1"] = record("f1", "failed", error="not a check")
    verdict = gate(project(), NEXT, previous, GateFacts(results=results), T0)
    assert verdict.reasons == (
        "wave 1 has 5 failed stacks (u1, u2, u3, u4, f1), over its failure budget of 0: fix and rerun wave 1"
        "; unhealthy: u1: check smoke failed on u1; u2: check smoke failed on u2; u3: check smoke failed on u3"
        "; and 1 more",
    )


def test_three_unhealthy_stacks_are_all_named() -> None:
    previous = wave(1, "staging", ("u1", "eligible"), ("u2", "eligible"), ("u3", "eligible"))
    results = {n: record(n, "unhealthy") for n in ("u1", "u2", "u3")}
    assert gate(project(), NEXT, previous, GateFacts(results=results), T0).reasons == (
        "wave 1 has 3 failed stacks (u1, u2, u3), over its failure budget of 0: fix and rerun wave 1"
        "; unhealthy: u1: a health check failed; u2: a health check failed; u3: a health check failed",
    )


def test_missing_and_failed_are_both_reported() -> None:
    previous = wave(1, "staging", ("a", "eligible"), ("b", "eligible"))
    facts = GateFacts(results={"a": record("a", "failed")})
    assert gate(project(), NEXT, previous, facts, T0).reasons == (
        f"wave 1 is not complete: 1 of 2 stacks not on 1.4.0 yet (b); run {UP1}",
        "wave 1 has 1 failed stack (a), over its failure budget of 0: fix and rerun wave 1",
    )


# -- bake: counted from the last stack that finished --------------------------------------------------


def test_bake_counts_from_the_last_finished_stack_with_an_exact_countdown() -> None:
    facts = GateFacts(
        results={
            "staging.pool.basic": record("staging.pool.basic", ended=T0),
            "staging.pool.premium": record("staging.pool.premium", ended=T0 + timedelta(minutes=5)),
        }
    )
    verdict = gate(project(bake_minutes=10), NEXT, STAGING_DONE, facts, T0 + timedelta(minutes=12))
    assert verdict.reasons == (
        "wave 1 finished at 12:05:00Z and bakes for 10 min: wave 2 may start at 12:15:00Z (in 3 min 0 s)",
    )


def test_a_one_minute_bake_is_not_skipped() -> None:
    facts = GateFacts(results={"staging.pool.basic": record("staging.pool.basic")})
    verdict = gate(project(bake_minutes=1), NEXT, STAGING_DONE, facts, T0 + timedelta(seconds=30))
    assert verdict.reasons == (
        "wave 1 finished at 12:00:00Z and bakes for 1 min: wave 2 may start at 12:01:00Z (in 30 s)",
    )


def test_a_fractional_bake_shows_its_minutes_and_rounds_the_countdown_up_to_a_second() -> None:
    facts = GateFacts(results={"staging.pool.basic": record("staging.pool.basic")})
    now = T0 + timedelta(seconds=29, microseconds=600_000)
    verdict = gate(project(bake_minutes=0.5), NEXT, STAGING_DONE, facts, now)
    assert verdict.reasons == (
        "wave 1 finished at 12:00:00Z and bakes for 0.5 min: wave 2 may start at 12:00:30Z (in 1 s)",
    )


def test_the_gate_opens_the_moment_the_bake_ends() -> None:
    facts = GateFacts(results={"staging.pool.basic": record("staging.pool.basic")})
    assert gate(project(bake_minutes=10), NEXT, STAGING_DONE, facts, T0 + timedelta(minutes=10)).open
    before = gate(
        project(bake_minutes=10), NEXT, STAGING_DONE, facts, T0 + timedelta(minutes=10) - timedelta(seconds=1)
    )
    assert before.reasons == (
        "wave 1 finished at 12:00:00Z and bakes for 10 min: wave 2 may start at 12:10:00Z (in 1 s)",
    )


def test_failed_stacks_do_not_finish_the_wave_for_the_bake_clock() -> None:
    """Within the failure budget, a stack that failed late does not move the bake's start."""
    previous = wave(1, "staging", ("a", "done"), ("b", "eligible"))
    facts = GateFacts(
        results={"a": record("a", ended=T0), "b": record("b", "failed", ended=T0 + timedelta(minutes=20))}
    )
    assert gate(project(bake_minutes=10, failure_budget=1), NEXT, previous, facts, T0 + timedelta(minutes=15)).open


def test_results_of_stacks_outside_the_previous_wave_do_not_count() -> None:
    facts = GateFacts(
        results={
            "staging.pool.basic": record("staging.pool.basic", ended=T0),
            "elsewhere": record("elsewhere", ended=T0 + timedelta(hours=1)),
        }
    )
    assert gate(project(bake_minutes=10), NEXT, STAGING_DONE, facts, T0 + timedelta(minutes=11)).open


def test_no_bake_reason_while_the_previous_wave_is_incomplete() -> None:
    previous = wave(1, "staging", ("a", "done"), ("b", "eligible"))
    facts = GateFacts(results={"a": record("a")})
    assert gate(project(bake_minutes=10), NEXT, previous, facts, T0).reasons == (
        f"wave 1 is not complete: 1 of 2 stacks not on 1.4.0 yet (b); run {UP1}",
    )


def test_a_bake_with_no_finished_stack_recorded_does_not_block() -> None:
    facts = GateFacts(results={"staging.pool.basic": record("staging.pool.basic", ended=None)})
    assert gate(project(bake_minutes=10), NEXT, STAGING_DONE, facts, T0).open


# -- verification after the bake (phase with checks and a bake) --------------------------------------


def checked(**extra: Any) -> Any:
    return project(bake_minutes=10, checks=[CHECK], **extra)


BAKED = GateFacts(results={"staging.pool.basic": record("staging.pool.basic", ended=T0)})
AFTER = T0 + timedelta(minutes=30)


def with_verification(run: RunRecord | None, number: int = 1) -> GateFacts:
    return GateFacts(results=BAKED.results, verifications={} if run is None else {number: run})


def test_a_verification_is_required_after_the_bake() -> None:
    assert gate(checked(), NEXT, STAGING_DONE, with_verification(None), AFTER).reasons == (
        f"wave 1 has baked since 12:10:00Z; its health checks must pass again after the bake: run {VERIFY1}",
    )


def test_a_verification_that_started_during_the_bake_does_not_count() -> None:
    early = verification(T0 + timedelta(minutes=10) - timedelta(seconds=1))
    assert gate(checked(), NEXT, STAGING_DONE, with_verification(early), AFTER).reasons == (
        f"wave 1 has baked since 12:10:00Z; its health checks must pass again after the bake: run {VERIFY1}",
    )


def test_a_verification_that_started_as_the_bake_ended_opens_the_gate() -> None:
    verdict = gate(checked(), NEXT, STAGING_DONE, with_verification(verification(T0 + timedelta(minutes=10))), AFTER)
    assert verdict.reasons == ()


def test_a_failed_verification_after_the_bake_keeps_the_gate_closed() -> None:
    failed = verification(T0 + timedelta(minutes=15), status="failed", detail="smoke on staging.pool.basic: exit 1")
    assert gate(checked(), NEXT, STAGING_DONE, with_verification(failed), AFTER).reasons == (
        "the health checks of wave 1 failed at 12:15:00Z (smoke on staging.pool.basic: exit 1): "
        f"fix and run {VERIFY1} again",
    )


def test_a_failed_verification_without_detail_names_its_status() -> None:
    failed = verification(T0 + timedelta(minutes=15), status="failed")
    assert gate(checked(), NEXT, STAGING_DONE, with_verification(failed), AFTER).reasons == (
        f"the health checks of wave 1 failed at 12:15:00Z (failed): fix and run {VERIFY1} again",
    )


def test_only_the_previous_waves_verification_counts() -> None:
    other = with_verification(verification(T0 + timedelta(minutes=15)), number=2)
    assert not gate(checked(), NEXT, STAGING_DONE, other, AFTER).open


def test_no_verification_needed_without_checks_or_without_a_bake() -> None:
    assert gate(project(bake_minutes=10), NEXT, STAGING_DONE, with_verification(None), AFTER).open
    assert gate(project(checks=[CHECK]), NEXT, STAGING_DONE, with_verification(None), AFTER).open


def test_a_tier_wave_without_checks_needs_no_verification() -> None:
    policy = checked(phases={"staging": {"waves": {1: {"checks": []}}}})
    assert gate(policy, NEXT, STAGING_DONE, with_verification(None), AFTER).open
    other_wave = checked(phases={"staging": {"waves": {2: {"checks": []}}}})
    assert not gate(other_wave, NEXT, STAGING_DONE, with_verification(None), AFTER).open


def test_no_verification_needed_when_no_stack_finished() -> None:
    facts = GateFacts(results={"staging.pool.basic": record("staging.pool.basic", ended=None)})
    assert gate(checked(), NEXT, STAGING_DONE, facts, AFTER).open


def test_a_failed_stack_does_not_move_the_verification_clock() -> None:
    previous = wave(1, "staging", ("a", "done"), ("b", "eligible"))
    results = {"a": record("a", ended=T0), "b": record("b", "failed", ended=T0 + timedelta(minutes=20))}
    facts = GateFacts(results=results, verifications={1: verification(T0 + timedelta(minutes=12))})
    assert gate(checked(failure_budget=1), NEXT, previous, facts, AFTER).open


def test_verification_is_not_asked_for_while_the_bake_runs() -> None:
    verdict = gate(checked(), NEXT, STAGING_DONE, with_verification(None), T0 + timedelta(minutes=5))
    assert verdict.reasons == (
        "wave 1 finished at 12:00:00Z and bakes for 10 min: wave 2 may start at 12:10:00Z (in 5 min 0 s)",
    )


# -- approvals bound to the stacks and revisions they cover -------------------------------------------

PRODUCTION = {"phases": {"production": {"approval": True}}}
P_WAVE = wave(2, "production", ("p.pool.basic", "eligible", "1.4.0+bbbb"), ("p.pool.gold", "eligible", "1.4.0+bbbb"))


def approvals(*items: Approval) -> GateFacts:
    return GateFacts(approvals=items)


def test_approval_missing() -> None:
    verdict = gate(project(**PRODUCTION), P_WAVE, None, GateFacts(), T0)
    assert verdict.reasons == (f"wave 2 (phase production) needs an approval: run {APPROVE2}",)
    assert verdict.approval is None


def test_approval_needed_only_where_the_phase_asks_for_one() -> None:
    assert gate(project(), P_WAVE, None, GateFacts(), T0).open


def test_an_approval_of_another_wave_does_not_count() -> None:
    other = approval({"p.pool.basic": "1.4.0+bbbb", "p.pool.gold": "1.4.0+bbbb"}, wave_number=3)
    assert not gate(project(**PRODUCTION), P_WAVE, None, approvals(other), T0).open


def test_an_approval_covering_every_pending_stack_opens_the_gate_and_is_returned() -> None:
    covering = approval({"p.pool.basic": "1.4.0+bbbb", "p.pool.gold": "1.4.0+bbbb"})
    verdict = gate(project(**PRODUCTION), P_WAVE, None, approvals(covering), T0)
    assert verdict == GateVerdict(wave=2, open=True, reasons=(), approval=covering)
    assert verdict.to_json() == {
        "state": "open",
        "reasons": [],
        "approval": {"by": "ops-lead", "at": "2026-01-01T12:00:00Z", "comment": "go"},
    }


def test_the_latest_covering_approval_is_the_one_that_counts() -> None:
    scope = {"p.pool.basic": "1.4.0+bbbb", "p.pool.gold": "1.4.0+bbbb"}
    first, second = approval(scope, by="alice"), approval(scope, at=T0 + timedelta(minutes=1), by="bob")
    stale = approval({"p.pool.basic": "1.4.0+old"}, at=T0 + timedelta(minutes=2), by="carol")
    assert gate(project(**PRODUCTION), P_WAVE, None, approvals(first, second, stale), T0).approval == second


def test_done_stacks_and_stacks_without_revision_need_no_approval() -> None:
    current = wave(2, "production", ("p.pool.basic", "done", "1.4.0+zzzz"), ("p.pool.gold", "eligible", None))
    verdict = gate(project(**PRODUCTION), current, None, approvals(approval({})), T0)
    assert verdict.open


def test_an_approval_recorded_before_scopes_asks_for_a_new_one() -> None:
    legacy = approval(None, at=T0 + timedelta(minutes=1, seconds=30))
    assert gate(project(**PRODUCTION), P_WAVE, None, approvals(legacy), T0).reasons == (
        "the approval by ops-lead at 12:01Z was recorded before approvals named the stacks and revisions they "
        f"cover: approve what wave 2 deploys now with {APPROVE2}",
    )


def test_a_changed_revision_of_every_stack_is_named_without_the_stacks() -> None:
    old = approval({"p.pool.basic": "1.4.0+aaaa", "p.pool.gold": "1.4.0+aaaa"})
    assert gate(project(**PRODUCTION), P_WAVE, None, approvals(old), T0).reasons == (
        "the approval by ops-lead at 12:00Z was for 1.4.0+aaaa; wave 2 now deploys 1.4.0+bbbb",
        f"approve what wave 2 deploys now with {APPROVE2}",
    )


def test_a_changed_revision_of_some_stacks_names_them() -> None:
    old = approval({"p.pool.basic": "1.4.0+aaaa", "p.pool.gold": "1.4.0+bbbb"})
    assert gate(project(**PRODUCTION), P_WAVE, None, approvals(old), T0).reasons == (
        "the approval by ops-lead at 12:00Z was for 1.4.0+aaaa; wave 2 now deploys 1.4.0+bbbb (p.pool.basic)",
        f"approve what wave 2 deploys now with {APPROVE2}",
    )


def test_stacks_that_joined_are_named_five_then_how_many_more() -> None:
    names = [f"p.silo.t{i}" for i in range(8)]
    current = wave(2, "production", ("p.pool.basic", "eligible", "1.4.0+bbbb"), *((n, "eligible") for n in names))
    old = approval({"p.pool.basic": "1.4.0+bbbb"})
    assert gate(project(**PRODUCTION), current, None, approvals(old), T0).reasons == (
        *(f"p.silo.t{i} joined wave 2 after it was approved" for i in range(5)),
        "and 3 more stacks joined wave 2 after it was approved",
        f"approve what wave 2 deploys now with {APPROVE2}",
    )


def test_five_joined_stacks_are_all_named() -> None:
    names = [f"p.silo.t{i}" for i in range(5)]
    current = wave(2, "production", *((n, "eligible") for n in names))
    assert gate(project(**PRODUCTION), current, None, approvals(approval({})), T0).reasons == (
        *(f"p.silo.t{i} joined wave 2 after it was approved" for i in range(5)),
        f"approve what wave 2 deploys now with {APPROVE2}",
    )


def test_previous_wave_and_approval_reasons_add_up() -> None:
    previous = wave(1, "staging", ("s.pool.basic", "eligible"))
    verdict = gate(project(**PRODUCTION), P_WAVE, previous, GateFacts(), T0)
    assert verdict.reasons == (
        "wave 1 is not complete: 1 of 1 stacks not on 1.4.0 yet (s.pool.basic); run "
        "`platform up --release 1.4.0 --wave 1`",
        f"wave 2 (phase production) needs an approval: run {APPROVE2}",
    )
    assert verdict.reason == "; ".join(verdict.reasons)
    assert verdict.to_json() == {"state": "closed", "reasons": list(verdict.reasons)}


def test_approval_scope_is_each_stack_with_its_revision() -> None:
    current = wave(2, "production", ("a", "eligible", "1.4.0+1"), ("b", "done", "1.4.0+2"), ("c", "eligible", None))
    assert approval_scope(current) == {"a": "1.4.0+1", "b": "1.4.0+2"}


def test_a_stack_without_a_revision_does_not_make_an_empty_approval_cover_the_wave() -> None:
    current = wave(2, "production", ("p.pool.basic", "eligible", "1.4.0+bbbb"), ("p.pool.new", "eligible", None))
    assert gate(project(**PRODUCTION), current, None, approvals(approval({})), T0).reasons == (
        "p.pool.basic joined wave 2 after it was approved",
        f"approve what wave 2 deploys now with {APPROVE2}",
    )


def test_the_reasons_name_the_latest_approval_when_none_covers_the_wave() -> None:
    first = approval({"p.pool.basic": "1.4.0+0000", "p.pool.gold": "1.4.0+0000"}, by="alice")
    latest = approval({"p.pool.basic": "1.4.0+aaaa", "p.pool.gold": "1.4.0+aaaa"}, at=T0 + timedelta(hours=1), by="bob")
    assert gate(project(**PRODUCTION), P_WAVE, None, approvals(first, latest), T0).reasons == (
        "the approval by bob at 13:00Z was for 1.4.0+aaaa; wave 2 now deploys 1.4.0+bbbb",
        f"approve what wave 2 deploys now with {APPROVE2}",
    )


def test_six_joined_stacks_are_five_named_and_one_more() -> None:
    names = [f"p.silo.t{i}" for i in range(6)]
    current = wave(2, "production", *((n, "eligible") for n in names))
    assert gate(project(**PRODUCTION), current, None, approvals(approval({})), T0).reasons == (
        *(f"p.silo.t{i} joined wave 2 after it was approved" for i in range(5)),
        "and 1 more stacks joined wave 2 after it was approved",
        f"approve what wave 2 deploys now with {APPROVE2}",
    )


def test_without_a_bake_a_finish_time_ahead_of_this_clock_does_not_hold_the_next_wave() -> None:
    """The ledger's clock (PostgreSQL's) may run ahead of this machine's: with no bake there is no wait."""
    facts = GateFacts(results={"staging.pool.basic": record("staging.pool.basic", ended=T0 + timedelta(minutes=1))})
    assert gate(project(bake_minutes=0), NEXT, STAGING_DONE, facts, T0).open


def test_a_one_minute_bake_with_checks_needs_a_verification_after_it() -> None:
    verdict = gate(project(bake_minutes=1, checks=[CHECK]), NEXT, STAGING_DONE, with_verification(None), AFTER)
    assert verdict.reasons == (
        f"wave 1 has baked since 12:01:00Z; its health checks must pass again after the bake: run {VERIFY1}",
    )


def test_the_verification_must_follow_the_bake_of_the_last_finished_stack() -> None:
    facts = GateFacts(
        results={
            "staging.pool.basic": record("staging.pool.basic", ended=T0),
            "staging.pool.premium": record("staging.pool.premium", ended=T0 + timedelta(minutes=5)),
        },
        verifications={1: verification(T0 + timedelta(minutes=12))},
    )
    assert gate(checked(), NEXT, STAGING_DONE, facts, AFTER).reasons == (
        f"wave 1 has baked since 12:15:00Z; its health checks must pass again after the bake: run {VERIFY1}",
    )
