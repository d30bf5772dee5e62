"""The difference between two declared-resource graphs of a stack, resource by resource.

Resources are matched by URN. A changed resource lists each changed property by its path
(`spec.template.spec.containers[0].image`, `tags.tier`, `inputs` flattened; `parent`, `protect`,
`retain_on_delete` too) with the old and new values. Values are shown as compact JSON, cut to a
readable length, and secrets never appear: the simulation already masks secret values (`[secret]`),
and any property whose name looks like a credential (password, secret, token, private key...) and
holds a string is masked here as well.

Works on the JSON form of a graph (`ResourceGraph.to_json()`), so this module never imports pulumi.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SECRET_MASK = "[secret]"  # the same mask tenantwave.engine.simulate puts on secret values
VALUE_LIMIT = 120
_SECRET_NAME = re.compile(r"(pass(word|phrase)?|secret|token|private_?key|credential|api_?key)", re.IGNORECASE)
_OPTIONS = ("parent", "protect", "retain_on_delete")


@dataclass(frozen=True)
class PropertyChange:
    path: str
    old: str | None  # compact JSON, or None: the property is not set on that side
    new: str | None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class ResourceChange:
    action: str  # add | remove | change
    type: str
    name: str
    urn: str
    properties: tuple[PropertyChange, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"action": self.action, "type": self.type, "name": self.name, "urn": self.urn}
        if self.action == "change":
            data["properties"] = [change.to_json() for change in self.properties]
        return data


@dataclass(frozen=True)
class StackDiff:
    changes: tuple[ResourceChange, ...]
    same: int  # resources declared identically in both revisions

    def count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)

    def counts(self) -> dict[str, int]:
        return {
            "add": self.count("add"),
            "remove": self.count("remove"),
            "change": self.count("change"),
            "same": self.same,
        }

    @property
    def empty(self) -> bool:
        return not self.changes


def show(value: Any, name: str = "", other: Any = None) -> str:
    """Compact JSON of a property value for a report: masked if secret; past VALUE_LIMIT, the part
    around its first difference from `other` (the value on the other side)."""
    if value == SECRET_MASK or (name and _SECRET_NAME.search(name) and isinstance(value, str)):
        return SECRET_MASK
    text = json.dumps(_mask(value), sort_keys=True, separators=(",", ":"))
    if len(text) <= VALUE_LIMIT:
        return text
    other_text = json.dumps(_mask(other), sort_keys=True, separators=(",", ":")) if other is not None else ""
    common = next((i for i, (a, b) in enumerate(zip(text, other_text, strict=False)) if a != b), 0)
    start = max(0, min(common - 20, len(text) - VALUE_LIMIT + 6))
    head = "..." if start else ""
    return head + text[start : start + VALUE_LIMIT - 6] + "..."


def _mask(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            key: SECRET_MASK if _SECRET_NAME.search(str(key)) and isinstance(item, str) else _mask(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_mask(item) for item in value]
    return value


def _flatten(value: Any, prefix: str, into: dict[str, Any]) -> dict[str, Any]:
    """Nested mappings and lists as `a.b[0].c` -> leaf; a string holding a JSON document (an IAM
    policy, a config blob) is opened up the same way, so a change shows where it is."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, Mapping) and value:
        for key in sorted(value):
            _flatten(value[key], f"{prefix}.{key}" if prefix else str(key), into)
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}[{index}]", into)
    else:
        into[prefix] = int(value) if isinstance(value, float) and value.is_integer() else value
    return into


def _property_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[PropertyChange, ...]:
    before = _flatten(old.get("inputs", {}), "", {})
    after = _flatten(new.get("inputs", {}), "", {})
    for option in _OPTIONS:
        before[f"({option})"] = old.get(option)
        after[f"({option})"] = new.get(option)
    changes = []
    for path in sorted(before.keys() | after.keys()):
        was, now = before.get(path, _MISSING), after.get(path, _MISSING)
        if was == now:
            continue
        if was == SECRET_MASK and now == SECRET_MASK:
            continue  # both secret: the values cannot be compared, and must not be shown
        leaf = path.rsplit(".", 1)[-1]
        shown_old = None if was is _MISSING else show(was, leaf, None if now is _MISSING else now)
        shown_new = None if now is _MISSING else show(now, leaf, None if was is _MISSING else was)
        changes.append(PropertyChange(path, shown_old, shown_new))
    return tuple(changes)


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


def diff_stack(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> StackDiff:
    """Resource changes from graph `old` to graph `new` (JSON form; None: the stack does not exist)."""
    before = {r["urn"]: r for r in (old or {}).get("resources", [])}
    after = {r["urn"]: r for r in (new or {}).get("resources", [])}
    changes: list[ResourceChange] = []
    same = 0
    for urn, resource in after.items():
        previous = before.get(urn)
        if previous is None:
            changes.append(ResourceChange("add", resource["type"], resource["name"], urn))
            continue
        properties = _property_changes(previous, resource)
        if properties:
            changes.append(ResourceChange("change", resource["type"], resource["name"], urn, properties))
        else:
            same += 1
    changes.extend(
        ResourceChange("remove", resource["type"], resource["name"], urn)
        for urn, resource in before.items()
        if urn not in after
    )
    order = {"remove": 0, "add": 1, "change": 2}
    return StackDiff(tuple(sorted(changes, key=lambda c: (order[c.action], c.type, c.name))), same)
