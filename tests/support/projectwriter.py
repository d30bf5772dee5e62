"""The `write` fixture: small projects written from Python data, each in a fresh directory.

A pytest plugin (listed in tests/conftest.py) so the core and the schedule tests share one copy.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support.fleet import write_project

WriteFactory = Callable[..., Path]


@pytest.fixture
def write(tmp_path: Path) -> WriteFactory:
    """write(tiers, tenants, lifecycle=None, **platform) -> a fresh project directory (not loaded)."""
    numbers = itertools.count(1)

    def _write(
        tiers: dict[str, dict[str, Any]],
        tenants: dict[str, dict[str, Any]],
        lifecycle: list[dict[str, Any]] | None = None,
        **platform: Any,
    ) -> Path:
        return write_project(tmp_path / f"project-{next(numbers)}", tiers, tenants, lifecycle, **platform)

    return _write
