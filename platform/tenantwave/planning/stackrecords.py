"""The records of a plan's stacks (`plan --json`, docs/commands.md): as plain dicts (`stack_records`,
what Plan.to_json holds) or as their JSON texts only (`stack_texts`, what the printed document holds):
at 10,000 tenants a plan has 25,000 of them, and testing then encoding each record in the JSON writer
took more time than writing its text directly."""

from __future__ import annotations

from collections.abc import Iterable
from json import dumps
from json.encoder import encode_basestring_ascii as _encode  # a string as json.dumps writes it
from typing import TYPE_CHECKING, Any

from tenantwave.planning.records import RecordTexts

if TYPE_CHECKING:
    from tenantwave.planning.plan import StackPlan


def stack_records(plans: Iterable[StackPlan]) -> list[dict[str, Any]]:
    """Each plan's record (`StackPlan.to_json`): these keys, in this order; `until` only when deferred."""
    from tenantwave.planning.plan import utc_iso

    records: list[dict[str, Any]] = []
    for plan in plans:
        stack, state, drift = plan.stack, plan.state, plan.drift
        record = {
            "name": stack.name,
            "environment": stack.environment,
            "phase": stack.phase,
            "kind": stack.kind,
            "tier": stack.tier,
            "tenants": list(stack.tenants),
            "state": state,
            "reason": plan.reason,
            "current_release": plan.current,
            "running_in": plan.running,
            "revision": plan.revision,
            "current_revision": plan.current_revision,
            "removes": list(plan.removes),
            "drift": None if drift is None else drift.to_json(),
        }
        if state == "deferred":
            record["until"] = utc_iso(plan.until)
        records.append(record)
    return records


def stack_texts(plans: Iterable[StackPlan]) -> RecordTexts:
    """Each plan's record as its text, exactly as json.dumps(record) writes the record `stack_records`
    makes (tests/core/test_stack_records.py), and nothing else: no dict is made."""
    from tenantwave.planning.plan import utc_iso

    texts: list[str] = []
    text = _Strings()
    for plan in plans:
        stack, state, drift, removes = plan.stack, plan.state, plan.drift, plan.removes
        tenants = stack.tenants
        end = f', "until": {text[utc_iso(plan.until)]}}}' if state == "deferred" else "}"
        texts.append(
            f'{{"name": {_encode(stack.name)}, "environment": {text[stack.environment]}, '
            f'"phase": {text[stack.phase]}, "kind": {text[stack.kind]}, "tier": {text[stack.tier]}, '
            f'"tenants": {f"[{_encode(tenants[0])}]" if len(tenants) == 1 else _array(tenants)}, '
            f'"state": {text[state]}, "reason": {text[plan.reason]}, "current_release": {text[plan.current]}, '
            f'"running_in": {text[plan.running]}, "revision": {text[plan.revision]}, '
            f'"current_revision": {text[plan.current_revision]}, "removes": {_array(removes) if removes else "[]"}, '
            f'"drift": {"null" if drift is None else dumps(drift.to_json())}{end}'
        )
    return RecordTexts(tuple(texts))


class _Strings(dict[str | None, str]):
    """A string's JSON text (None's: null), worked out once: most strings of a plan repeat (environments,
    states, releases, revisions, reasons)."""

    def __init__(self) -> None:
        super().__init__({None: "null"})

    def __missing__(self, value: str) -> str:
        self[value] = encoded = _encode(value)
        return encoded


def _array(strings: tuple[str, ...]) -> str:
    return f"[{', '.join(map(_encode, strings))}]"
