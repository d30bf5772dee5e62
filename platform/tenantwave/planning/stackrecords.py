"""The records of a plan's stacks (`plan --json`, docs/commands.md) with their JSON text, made in one
pass: at 10,000 tenants a plan has 25,000 of them, and testing then encoding each record again in
the JSON writer took more time than making it."""

from __future__ import annotations

from collections.abc import Iterable
from json import dumps
from json.encoder import encode_basestring_ascii as _encode  # a string as json.dumps writes it
from typing import TYPE_CHECKING, Any

from tenantwave.planning.records import Records

if TYPE_CHECKING:
    from tenantwave.planning.plan import StackPlan


def stack_records(plans: Iterable[StackPlan]) -> Records:
    """Each plan's record (`StackPlan.to_json`: these keys, in this order; `until` only when deferred)
    and, as `texts`, each record's text exactly as json.dumps(record) writes it (planning/records.py)."""
    from tenantwave.planning.plan import utc_iso

    records: list[dict[str, Any]] = []
    texts: list[str] = []
    text = _Strings()
    for plan in plans:
        stack, state, drift, removes = plan.stack, plan.state, plan.drift, plan.removes
        tenants = stack.tenants
        record = {
            "name": stack.name,
            "environment": stack.environment,
            "phase": stack.phase,
            "kind": stack.kind,
            "tier": stack.tier,
            "tenants": list(tenants),
            "state": state,
            "reason": plan.reason,
            "current_release": plan.current,
            "running_in": plan.running,
            "revision": plan.revision,
            "current_revision": plan.current_revision,
            "removes": list(removes),
            "drift": None if drift is None else drift.to_json(),
        }
        end = "}"
        if state == "deferred":
            record["until"] = until = utc_iso(plan.until)
            end = f', "until": {text[until]}}}'
        records.append(record)
        texts.append(
            f'{{"name": {_encode(stack.name)}, "environment": {text[stack.environment]}, '
            f'"phase": {text[stack.phase]}, "kind": {text[stack.kind]}, "tier": {text[stack.tier]}, '
            f'"tenants": {f"[{_encode(tenants[0])}]" if len(tenants) == 1 else _array(tenants)}, '
            f'"state": {text[state]}, "reason": {text[plan.reason]}, "current_release": {text[plan.current]}, '
            f'"running_in": {text[plan.running]}, "revision": {text[plan.revision]}, '
            f'"current_revision": {text[plan.current_revision]}, "removes": {_array(removes) if removes else "[]"}, '
            f'"drift": {"null" if drift is None else dumps(record["drift"])}{end}'
        )
    return Records(records, texts)


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
