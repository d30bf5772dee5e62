"""Small in-memory projects for the core tests: written by `write` (support/projectwriter.py), loaded here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from support.projectwriter import WriteFactory
from tenantwave.config.loader import load_project
from tenantwave.config.models import Project

ProjectFactory = Callable[..., Project]


@pytest.fixture
def make_project(write: WriteFactory) -> ProjectFactory:
    """make_project(tiers, tenants, lifecycle=None, **platform) -> the loaded, validated Project."""

    def _make(*args: Any, **kwargs: Any) -> Project:
        return load_project(write(*args, **kwargs))

    return _make
