"""A plan's stack records and their texts (planning/stackrecords.py): for any stack plan, the record is
what StackPlan.to_json made before the records were made in one pass (kept here as the reference), a
plain dict in a plain list, and its text is json.dumps(record), byte for byte: non-ASCII and control
characters, quotes, drift with findings, deferred stacks with and without an end. The document code
reads (Plan.to_json) holds no text that could go stale; the printed one (printable_json) holds texts
only, which nothing can change."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantwave.cli.jsonout import json_text
from tenantwave.ledger.driftreads import DriftMark
from tenantwave.planning.inventory import Stack
from tenantwave.planning.plan import Plan, StackPlan, WavePlan, utc_iso
from tenantwave.planning.records import RecordTexts
from tenantwave.planning.stackrecords import stack_records, stack_texts
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
    assert type(records) is list and all(type(record) is dict for record in records)
    assert records == expected
    assert [list(record) for record in records] == [list(record) for record in expected]  # keys in order
    assert stack_texts(stack_plans) == RecordTexts(tuple(json.dumps(record) for record in expected))
    assert [plan.to_json() for plan in stack_plans] == expected


@given(st.lists(plans, max_size=4))
def test_a_wave_plan_gives_plain_records_and_prints_their_texts(stack_plans: list[StackPlan]) -> None:
    wave = Wave(number=1, phase="production", tier_wave=1, stacks=tuple(plan.stack for plan in stack_plans))
    wave_plan = WavePlan(wave, tuple(stack_plans))
    stacks = wave_plan.to_json()["stacks"]
    assert type(stacks) is list and all(type(record) is dict for record in stacks)
    assert stacks == [reference_record(plan) for plan in stack_plans]
    printable = wave_plan.printable_json()
    assert printable["stacks"] == RecordTexts(tuple(json.dumps(record) for record in stacks))
    assert {**printable, "stacks": stacks} == wave_plan.to_json()
    assert json_text(printable) == json_text(wave_plan.to_json())


def _plan(stack_plans: list[StackPlan]) -> Plan:
    wave = Wave(number=1, phase="production", tier_wave=1, stacks=tuple(plan.stack for plan in stack_plans))
    return Plan(release="2.0.0", waves=(WavePlan(wave, tuple(stack_plans)),), total_waves=1)


@given(st.lists(plans, min_size=2, max_size=4))
def test_a_changed_plan_document_is_printed_as_changed(stack_plans: list[StackPlan]) -> None:
    """Plan.to_json is plain data: changing a record, or sorting the list in place, is what json_text
    prints (no text of the records as made is kept to go stale)."""
    document = _plan(stack_plans).to_json()
    stacks = document["waves"][0]["stacks"]
    stacks[0]["state"] = "X"
    stacks.sort(key=lambda record: record["name"], reverse=True)
    assert json_text(document) == json_text(json.loads(json.dumps(document)))
    assert '"state": "X"' in json_text(document)


def test_the_printed_form_cannot_be_changed() -> None:
    texts = RecordTexts(('{"a": 1}',))
    with pytest.raises(dataclasses.FrozenInstanceError):
        texts.texts = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        texts.texts.append("{}")  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="not JSON serializable"):
        json.dumps({"stacks": texts})
