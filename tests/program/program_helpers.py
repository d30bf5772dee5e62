"""Helpers for asserting on declared resource graphs (shared by the tests in tests/program)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tenantwave.engine.simulate import DeclaredResource, ResourceGraph

ROOT = Path(__file__).resolve().parents[2]


def one(graph: ResourceGraph, type_suffix: str, name: str | None = None) -> DeclaredResource:
    found = [r for r in graph.resources if r.type.endswith(type_suffix) and (name is None or r.name == name)]
    assert len(found) == 1, f"expected one {type_suffix} {name or ''}, got {[r.name for r in found]}"
    return found[0]


def every(graph: ResourceGraph, type_suffix: str) -> list[DeclaredResource]:
    return [r for r in graph.resources if r.type.endswith(type_suffix)]


def policy(resource: DeclaredResource) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(resource.inputs["policy"])
    return document


def resources_in(document: dict[str, Any]) -> set[str]:
    arns: set[str] = set()
    for statement in document["Statement"]:
        value = statement["Resource"]
        arns.update([value] if isinstance(value, str) else value)
    return arns


def with_members(config: dict[str, str], members: list[dict[str, Any]]) -> dict[str, str]:
    changed = dict(config)
    changed["tenantwave:members"] = json.dumps(members, sort_keys=True)
    return changed
