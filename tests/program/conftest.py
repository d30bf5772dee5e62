"""Fixtures for the stack program tests: the example fleet, and its stacks simulated under mocks."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from program_helpers import ROOT

from tenantwave.config.loader import load_project
from tenantwave.config.models import Project
from tenantwave.engine.simulate import ResourceGraph, declared_resources
from tenantwave.planning.inventory import Stack, build_inventory
from tenantwave.planning.stackconfig import stack_config

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

