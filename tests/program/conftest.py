"""Fixtures for the stack program tests: the example fleet, and its stacks simulated under mocks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tenantwave.config import Project
from tenantwave.inventory import Stack, build_inventory
from tenantwave.loader import load_project
from tenantwave.simulate import DeclaredResource, ResourceGraph, declared_resources
from tenantwave.stackconfig import stack_config

ROOT = Path(__file__).resolve().parents[2]
RELEASE = "1.4.0"

Simulate = Callable[..., ResourceGraph]


@pytest.fixture(scope="session")
def project() -> Project:
    return load_project(ROOT)


@pytest.fixture(scope="session")
def stacks(project: Project) -> dict[str, Stack]:
    return {stack.name: stack for stack in build_inventory(project)}


@pytest.fixture(scope="session")
def config_of(project: Project, stacks: dict[str, Stack]) -> Callable[..., dict[str, str]]:
    def config(name: str, release: str = RELEASE) -> dict[str, str]:
        return stack_config(project, stacks[name], release)

    return config


@pytest.fixture(scope="session")
def simulate(config_of: Callable[..., dict[str, str]]) -> Simulate:
    """simulate(stack name, release=...) or simulate(config=...) -> the declared graph (cached)."""
    cache: dict[str, ResourceGraph] = {}

    def run(name: str | None = None, release: str = RELEASE, config: dict[str, str] | None = None) -> ResourceGraph:
        if config is None:
            assert name is not None
            config = config_of(name, release)
        key = json.dumps(config, sort_keys=True)
        if key not in cache:
            cache[key] = declared_resources(ROOT, config)
        return cache[key]

    return run


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
