"""`platform tenant list`: tier, environments with the release per environment, last result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tenancy_helpers import roll_out

from support.clirunner import Platform
from support.testengine import ScriptedEngine, Step

pytestmark = pytest.mark.cli


BEFORE = """\
Tenants
┏━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━┓
┃ tenant          ┃ tier            ┃ release per environment                     ┃ last result ┃
┡━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━┩
│ acme-labs       │ basic (pool)    │ production-us -                             │ -           │
│ brightside      │ basic (pool)    │ production-eu -                             │ -           │
│ corner-bakery   │ basic (pool)    │ staging -, production-us -                  │ -           │
│ dune-analytics  │ basic (pool)    │ production-us -, production-eu -            │ -           │
│ evergreen       │ standard (pool) │ staging -, production-eu -                  │ -           │
│ fjord-logistics │ standard (pool) │ production-eu -                             │ -           │
│ gamma-health    │ standard (pool) │ production-us -                             │ -           │
│ helios-bank     │ premium (silo)  │ staging -, production-us -, production-eu - │ -           │
│ ironclad        │ premium (silo)  │ production-us -                             │ -           │
│ juniper-retail  │ premium (silo)  │ staging -, production-eu -                  │ -           │
└─────────────────┴─────────────────┴─────────────────────────────────────────────┴─────────────┘
"""


def cells(text: str, tenant: str) -> list[str]:
    """The cells of a tenant's row in the `tenant list` table."""
    line = next(line for line in text.splitlines() if line.startswith(f"│ {tenant} "))
    return [cell.strip() for cell in line.split("│")[1:-1]]


def test_list_before_anything_is_deployed(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    result = platform("tenant", "list")
    assert result.exit_code == 0
    assert "".join(line.rstrip() + "\n" for line in result.stdout.splitlines()) == BEFORE


def test_list_shows_release_per_environment_and_last_result(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    roll_out(platform)
    test_engine.steps["production-eu.pool.standard"] = Step("failed")
    platform("up", "--release", "1.4.0", "--stack", "production-eu.pool.standard", "--force", "--yes")
    text = platform("tenant", "list").text
    assert cells(text, "evergreen") == [
        "evergreen", "standard (pool)", "staging 1.4.0, production-eu 1.4.0",
        "up 1.4.0 failed (production-eu.pool.standard)",
    ]
    data = json.loads(platform("tenant", "list", "--json").output)
    assert data["format"] == 1
    helios = next(t for t in data["tenants"] if t["id"] == "helios-bank")
    assert (helios["tier"], helios["model"], helios["name"], helios["moving_to"]) == (
        "premium", "silo", "Helios Bank", None
    )
    assert [(e["environment"], e["release"], e["last"]["status"]) for e in helios["environments"]] == [
        ("staging", "1.4.0", "succeeded"),
        ("production-us", "1.4.0", "succeeded"),
        ("production-eu", "1.4.0", "succeeded"),
    ]
