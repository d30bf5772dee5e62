"""Tables at 80 and 120 columns: a stack's name, its release and its state are never cut; less
important columns wrap or are left out (and named), `--wide` shows them all (issue 16, point 3)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from support.clirunner import Platform
from support.fleet import copy_example
from support.testengine import SPEC, ScriptedEngine

pytestmark = pytest.mark.cli

WHEN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
REVISION = re.compile(r"\+[0-9a-f]{8}")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, test_engine: ScriptedEngine, platform: Platform) -> Path:
    """The example fleet with 1.4.0 on the testing pools and the staging basic pool."""
    root = copy_example(tmp_path / "fleet")
    monkeypatch.chdir(root)
    for name in ("PLATFORM_PROJECT", "PLATFORM_ENGINE", "PLATFORM_LEDGER_URL", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    for release, args in (("1.3.0", ["--wave", "1"]), ("1.4.0", ["--wave", "1"]), ("1.4.0", ["--wave", "2"]),
                          ("1.4.0", ["--stack", "staging.pool.basic"])):
        assert platform("up", "--release", release, *args, "--yes", engine=SPEC).exit_code == 0
    return root


def shown(text: str) -> str:
    """The text with the run's times and revisions made stable, and the padding after titles removed."""
    text = WHEN.sub("2025-03-01T12:00:00Z", REVISION.sub("+REVISION", text))
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


def widest(text: str) -> int:
    return max(len(line.rstrip()) for line in text.splitlines())


STATUS_80 = """\
Fleet status
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━┓
┃ stack                             ┃ release        ┃ last result         ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━┩
│ testing.pool.basic                │ 1.4.0+REVISION │ up 1.4.0: succeeded │
│ testing.pool.standard             │ 1.4.0+REVISION │ up 1.4.0: succeeded │
│ staging.pool.basic                │ 1.4.0+REVISION │ up 1.4.0: succeeded │
│ staging.pool.standard             │ -              │ -                   │
│ staging.silo.helios-bank          │ -              │ -                   │
│ staging.silo.juniper-retail       │ -              │ -                   │
│ production-us.pool.basic          │ -              │ -                   │
│ production-eu.pool.basic          │ -              │ -                   │
│ production-us.pool.standard       │ -              │ -                   │
│ production-eu.pool.standard       │ -              │ -                   │
│ production-us.silo.helios-bank    │ -              │ -                   │
│ production-us.silo.ironclad       │ -              │ -                   │
│ production-eu.silo.helios-bank    │ -              │ -                   │
│ production-eu.silo.juniper-retail │ -              │ -                   │
└───────────────────────────────────┴────────────────┴─────────────────────┘
(not shown at this width: tenants, when; --wide shows every column)
"""

STATUS_120 = """\
Fleet status
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┓
┃ stack                             ┃ tenants            ┃ release        ┃ last result         ┃ when                 ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━┩
│ testing.pool.basic                │ (untenanted)       │ 1.4.0+REVISION │ up 1.4.0: succeeded │ 2025-03-01T12:00:00Z │
│ testing.pool.standard             │ (untenanted)       │ 1.4.0+REVISION │ up 1.4.0: succeeded │ 2025-03-01T12:00:00Z │
│ staging.pool.basic                │ corner-bakery      │ 1.4.0+REVISION │ up 1.4.0: succeeded │ 2025-03-01T12:00:00Z │
│ staging.pool.standard             │ evergreen          │ -              │ -                   │ -                    │
│ staging.silo.helios-bank          │ helios-bank        │ -              │ -                   │ -                    │
│ staging.silo.juniper-retail       │ juniper-retail     │ -              │ -                   │ -                    │
│ production-us.pool.basic          │ acme-labs,         │ -              │ -                   │ -                    │
│                                   │ corner-bakery,     │                │                     │                      │
│                                   │ dune-analytics     │                │                     │                      │
│ production-eu.pool.basic          │ brightside,        │ -              │ -                   │ -                    │
│                                   │ dune-analytics     │                │                     │                      │
│ production-us.pool.standard       │ gamma-health       │ -              │ -                   │ -                    │
│ production-eu.pool.standard       │ evergreen,         │ -              │ -                   │ -                    │
│                                   │ fjord-logistics    │                │                     │                      │
│ production-us.silo.helios-bank    │ helios-bank        │ -              │ -                   │ -                    │
│ production-us.silo.ironclad       │ ironclad           │ -              │ -                   │ -                    │
│ production-eu.silo.helios-bank    │ helios-bank        │ -              │ -                   │ -                    │
│ production-eu.silo.juniper-retail │ juniper-retail     │ -              │ -                   │ -                    │
└───────────────────────────────────┴────────────────────┴────────────────┴─────────────────────┴──────────────────────┘
"""

PLAN_80 = """\
Wave 3 of 10 · phase staging · ring early · tier wave 1
┏━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━━━━━━━━━┓
┃ stack              ┃ tenants       ┃ state ┃ reason           ┃
┡━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━━━━━━┩
│ staging.pool.basic │ corner-bakery │ done  │ already on 1.4.0 │
└────────────────────┴───────────────┴───────┴──────────────────┘
gate: open
release 1.4.0: 1 stacks: 0 eligible, 0 blocked, 1 done
"""

TENANTS_80 = """\
Tenants
┏━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ tenant          ┃ tier            ┃ release per environment                  ┃
┡━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ acme-labs       │ basic (pool)    │ production-us -                          │
│ brightside      │ basic (pool)    │ production-eu -                          │
│ corner-bakery   │ basic (pool)    │ staging 1.4.0, production-us -           │
│ dune-analytics  │ basic (pool)    │ production-us -, production-eu -         │
│ evergreen       │ standard (pool) │ staging -, production-eu -               │
│ fjord-logistics │ standard (pool) │ production-eu -                          │
│ gamma-health    │ standard (pool) │ production-us -                          │
│ helios-bank     │ premium (silo)  │ staging -, production-us -,              │
│                 │                 │ production-eu -                          │
│ ironclad        │ premium (silo)  │ production-us -                          │
│ juniper-retail  │ premium (silo)  │ staging -, production-eu -               │
└─────────────────┴─────────────────┴──────────────────────────────────────────┘
(not shown at this width: last result; --wide shows every column)
"""


@pytest.mark.parametrize(("columns", "expected"), [("80", STATUS_80), ("120", STATUS_120)])
def test_status_fits_the_terminal_without_cutting(
    project: Path, platform: Platform, monkeypatch: pytest.MonkeyPatch, columns: str, expected: str
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    result = platform("status")
    assert result.exit_code == 0
    assert shown(result.stdout) == expected
    assert widest(result.stdout) <= int(columns)


def test_plan_wraps_the_reason_and_keeps_names_and_states(
    project: Path, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = platform("plan", "-r", "1.4.0", "-w", "3")
    assert shown(result.stdout) == PLAN_80
    everything = platform("plan", "-r", "1.4.0").stdout
    assert widest(everything) <= 80
    assert "…" not in everything
    for name in ("production-eu.silo.juniper-retail", "production-us.pool.standard"):
        assert f"│ {name} " in everything


def test_tenant_list_fits_the_terminal(project: Path, platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert shown(platform("tenant", "list").stdout) == TENANTS_80


@pytest.mark.parametrize("command", [["status"], ["plan", "-r", "1.4.0"], ["tenant", "list"]])
def test_wide_shows_every_column(project: Path, platform: Platform, monkeypatch: pytest.MonkeyPatch,
                                 command: list[str]) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = platform(*command, "--wide")
    assert result.exit_code == 0
    assert "not shown at this width" not in result.stdout
    header = next(line for line in result.stdout.splitlines() if line.startswith("┃"))
    assert ("tenants" in header or "last result" in header) and widest(result.stdout) > 80


def test_a_terminal_too_narrow_for_the_names_gets_a_wider_table(
    project: Path, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    text = platform("status").stdout
    assert "│ production-eu.silo.juniper-retail │ -              │ -" in text  # never cut, never "…"
    assert "│ testing.pool.basic                │ 1.4.0+" in text
    assert "…" not in text
