"""Drift: what a refresh preview (`pulumi refresh --preview-only`) found different in the cloud.

An engine's `preview_refresh` reads each resource of a stack from its provider and compares it with
the stack's state, changing nothing. Its `Result.changes` counts the refresh steps as Pulumi's
summary does (`same`, `update`: the resource differs, `delete`: it is gone from the cloud), and
`Result.drifted` lists the resources that differ, each with the names of the properties that
changed (never their values: a value may be a secret). What an engine reports is capped
(`MAX_RESOURCES` resources, `MAX_PROPERTIES` properties each, `MAX_NAME` characters a name) and
redacted (`bounded`); the exact number of drifted resources is in the counts (`drift_count`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tenantwave.privacy.redaction import redact

MAX_RESOURCES = 100
MAX_PROPERTIES = 20
MAX_NAME = 200
DRIFT_OPS = ("update", "delete")  # a refresh step's result: the resource changed, or is gone


@dataclass(frozen=True)
class DriftedResource:
    """One resource whose live state differs from the stack's state."""

    op: str  # "update": changed outside Pulumi; "delete": gone from the cloud
    type: str  # Pulumi type token, e.g. aws:dynamodb/table:Table
    name: str
    properties: tuple[str, ...] = ()  # the top-level property paths that changed (update only)

    def describe(self) -> str:
        """`aws:sqs/queue:Queue jobs: visibilityTimeoutSeconds, tags` or `... jobs: deleted outside Pulumi`."""
        if self.op == "delete":
            return f"{self.type} {self.name}: deleted outside Pulumi"
        changed = ", ".join(self.properties) if self.properties else "changed (no property named by the provider)"
        return f"{self.type} {self.name}: {changed}"

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op, "type": self.type, "name": self.name, "properties": list(self.properties)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DriftedResource:
        return cls(str(data["op"]), str(data["type"]), str(data["name"]), tuple(map(str, data.get("properties", ()))))


def drift_count(changes: Mapping[str, int]) -> int:
    """Drifted resources in a refresh preview's counts: those that differ and those gone."""
    return sum(int(changes.get(op, 0)) for op in DRIFT_OPS)


def _short(text: str) -> str:
    clean = " ".join(redact(str(text)).split())
    return clean if len(clean) <= MAX_NAME else clean[: MAX_NAME - 3] + "..."


def bounded(resources: Iterable[DriftedResource]) -> tuple[DriftedResource, ...]:
    """At most MAX_RESOURCES resources, MAX_PROPERTIES properties each, names cut and redacted:
    what an engine found is outside text, kept in the ledger and shown in reports."""
    kept: list[DriftedResource] = []
    for resource in resources:
        if len(kept) == MAX_RESOURCES:
            break
        properties = tuple(sorted({_short(p) for p in resource.properties}))
        if len(properties) > MAX_PROPERTIES:
            properties = (*properties[:MAX_PROPERTIES], f"and {len(properties) - MAX_PROPERTIES} more")
        op = resource.op if resource.op in DRIFT_OPS else "update"
        kept.append(DriftedResource(op, _short(resource.type), _short(resource.name), properties))
    return tuple(kept)


def changed_properties(
    diffs: Iterable[str] | None, detailed: Mapping[str, Any] | None, old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
) -> tuple[str, ...]:
    """The properties a refresh step says changed: the provider's `detailedDiff` paths, else its
    `diffs` keys, else (CLIs before refresh diffs were reported, or a provider that gives none) the
    top-level output keys whose values differ between the old and the new state."""
    if detailed:
        return tuple(sorted(str(path) for path in detailed))
    if diffs:
        return tuple(sorted(str(key) for key in diffs))
    before, after = dict(old or {}), dict(new or {})
    return tuple(sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key)))
