"""A plan's stack records and their text (planning/stackrecords.py): for any stack plan, the record is
what StackPlan.to_json made before the records were made in one pass (kept here as the reference),
and its text is json.dumps(record), byte for byte: non-ASCII and control characters, quotes, drift
with findings, deferred stacks with and without an end."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantwave.ledger.driftreads import DriftMark
from tenantwave.planning.inventory import Stack
from tenantwave.planning.plan import StackPlan, WavePlan, utc_iso
from tenantwave.planning.records import Records
from tenantwave.planning.stackrecords import stack_records
from tenantwave.planning.waves import Wave

pytestmark = pytest.mark.unit


def reference_record(plan: StackPlan) -> dict[str, Any]:
    """StackPlan.to_json at ede8610, unchanged."""
    s = plan.stack
    return {
        "name": s.name,
        "environment": s.environment,
        "phase": s.phase,
        "kind": s.kind,
        "tier": s.tier,
        "tenants": list(s.tenants),
        "state": plan.state,
        "reason": plan.reason,
        "current_release": plan.current,
        "running_in": plan.running,
        "revision": plan.revision,
        "current_revision": plan.current_revision,
        "removes": list(plan.removes),
        "drift": plan.drift.to_json() if plan.drift is not None else None,
        **({"until": utc_iso(plan.until)} if plan.state == "deferred" else {}),
    }


texts = st.text() | st.sampled_from(["", "é", "日本", "\u2028", '"\\\n\t\x00\x7f', "💥", "a}, {b"])
names = st.lists(texts, max_size=4).map(tuple)
instants = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 1, 1))
findings = st.lists(st.dictionaries(texts, st.none() | st.integers() | texts | st.lists(texts, max_size=2)), max_size=3)
drifts = st.builds(
    DriftMark, stack=texts, run_id=texts, release=st.none() | texts, tenants=names,
    resources=st.integers(min_value=0), found_at=instants, findings=findings.map(tuple),
)  # fmt: skip
stacks = st.builds(
    Stack, name=texts, environment=texts, phase=texts, phase_index=st.integers(0, 3),
    kind=st.sampled_from(["pool", "silo"]), tier=texts, tenant=st.none() | texts, tenants=names,
    wave_key=st.tuples(st.integers(0, 3), st.integers(0, 3)),
)  # fmt: skip
plans = st.builds(
    StackPlan, stack=stacks, state=st.sampled_from(["eligible", "blocked", "deferred", "done"]), reason=texts,
    current=st.none() | texts, running=st.none() | texts, revision=st.none() | texts,
    current_revision=st.none() | texts, removes=names, drift=st.none() | drifts, redeploy=st.booleans(),
    until=st.none() | instants,
)  # fmt: skip


@given(st.lists(plans, max_size=6))
def test_the_records_and_their_texts_are_the_reference_and_json_dumps(stack_plans: list[StackPlan]) -> None:
    records = stack_records(stack_plans)
    expected = [reference_record(plan) for plan in stack_plans]
    assert isinstance(records, Records)
    assert records == expected
    assert [list(record) for record in records] == [list(record) for record in expected]  # keys in order
    assert records.texts == [json.dumps(record) for record in expected]
    assert [plan.to_json() for plan in stack_plans] == expected


@given(st.lists(plans, max_size=4))
def test_a_wave_plan_gives_its_stacks_as_records_with_their_texts(stack_plans: list[StackPlan]) -> None:
    wave = Wave(number=1, phase="production", tier_wave=1, stacks=tuple(plan.stack for plan in stack_plans))
    stacks = WavePlan(wave, tuple(stack_plans)).to_json()["stacks"]
    assert isinstance(stacks, Records)
    assert stacks == [reference_record(plan) for plan in stack_plans]
    assert stacks.texts == [json.dumps(record) for record in stacks]
