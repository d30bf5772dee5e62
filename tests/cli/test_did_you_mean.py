"""Unknown names get the closest known ones: environments, tenants, tiers, stacks, engines and
configuration keys (issue 16, point 8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.clirunner import Platform
from support.testengine import SPEC, ScriptedEngine
from tenantwave.config.suggestions import closest, did_you_mean

pytestmark = pytest.mark.cli

LEDGER = f"ledger: .platform/ledger.db (from platform.yaml); engine: {SPEC}\n"


@pytest.fixture
def platform(platform: Platform) -> Platform:
    return platform.with_engine(SPEC)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("value", "known", "expected"),
    [
        ("prod", ["testing", "staging", "production-us", "production-eu"], ["production-eu", "production-us"]),
        ("acme-lab", ["acme-labs", "brightside"], ["acme-labs"]),
        ("enviroments", ["environments", "name", "tier", "wave"], ["environments"]),
        ("Staging", ["staging", "testing"], ["staging"]),
        ("bank", ["helios-bank", "ironclad"], ["helios-bank"]),
        ("zzz", ["basic", "premium"], []),
    ],
)
def test_closest_names(value: str, known: list[str], expected: list[str]) -> None:
    assert closest(value, known) == expected


@pytest.mark.unit
def test_the_hint_reads_as_a_question() -> None:
    assert did_you_mean("prod", ["production-us", "production-eu"]) == " (did you mean production-eu or production-us?)"
    assert did_you_mean("p", ["a", "b"]) == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["up", "-r", "1.4.0", "--env", "prod"],
         "--env prod: no such name (did you mean production-eu or production-us?)"),
        (["up", "-r", "1.4.0", "--tier", "premum"], "--tier premum: no such name (did you mean premium?)"),
        (["tenant", "move", "acme-lab", "--tier", "premium"],
         "no tenant acme-lab in tenants/ (did you mean acme-labs?)"),
        (["tenant", "remove", "acme-lab", "--deploy", "--yes"],
         "no tenant acme-lab: no file in tenants/ and no stack serves it in the ledger (did you mean acme-labs?)"),
        (["destroy", "--tenant", "helios", "--yes"],
         "--tenant helios: no such tenant in tenants/ (did you mean helios-bank?)"),
        (["destroy", "--stack", "testing.pool.basci", "--yes"],
         "--stack testing.pool.basci: no such stack in the configuration or the ledger "
         "(did you mean testing.pool.basic?)"),
    ],
    ids=["env", "tier", "tenant move", "tenant remove", "destroy tenant", "destroy stack"],
)
def test_unknown_names_suggest_the_closest(
    project: Path, test_engine: ScriptedEngine, platform: Platform, args: list[str], message: str
) -> None:
    result = platform(*args)
    assert (result.exit_code, result.output) == (2, f"{LEDGER}error: {message}\n")
    assert test_engine.calls == []


def test_a_tenant_on_an_unknown_tier(project: Path, platform: Platform) -> None:
    result = platform("tenant", "add", "nova", "--tier", "premum", "--env", "staging")
    assert result.exit_code == 2
    assert "  tenants/nova.yaml: tier: unknown tier 'premum' (did you mean premium?)\n" in result.stderr


def test_a_misspelt_key_in_a_file(project: Path, platform: Platform) -> None:
    path = project / "tenants" / "acme-labs.yaml"
    path.write_text(path.read_text().replace("environments:", "enviroments:"))
    result = platform("validate", engine=None)
    assert result.exit_code == 2
    assert "  tenants/acme-labs.yaml: enviroments: unknown key (did you mean environments?)\n" in result.stderr


def test_an_unknown_engine(project: Path, platform: Platform) -> None:
    result = platform("up", "-r", "1.4.0", "-w", "1", "--yes", engine="mok")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "error: engine 'mok' (did you mean mock?): use one of pulumi, mock, or module:factory for a custom engine\n"
    )
