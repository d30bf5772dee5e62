"""`--project`, `--ledger`, `--engine` (and `--json` where a command prints JSON) work before and after
the subcommand, with the same meaning; after the subcommand wins (issue 16, point 2)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from support.clirunner import Platform
from support.fleet import copy_example
from support.testengine import SPEC, ScriptedEngine

pytestmark = pytest.mark.cli

JSON_COMMANDS = {
    "validate", "plan", "status", "up", "destroy", "preview", "verify", "rollback", "tenant list",
}  # fmt: skip


def leaf_commands() -> dict[str, click.Command]:
    """Every command a user can run, by its path under `platform` ("tenant list")."""
    from tenantwave.cli import cli

    found: dict[str, click.Command] = {}

    def walk(prefix: str, group: click.Group) -> None:
        for name, command in group.commands.items():
            path = f"{prefix} {name}".strip()
            if isinstance(command, click.Group):
                walk(path, command)
            else:
                found[path] = command

    walk("", cli)
    return found


def test_every_command_is_found() -> None:
    assert set(leaf_commands()) >= {
        "validate", "plan", "status", "up", "approve", "destroy", "preview", "ci github",
        "tenant add", "tenant remove", "tenant move", "tenant list", "verify", "rollback",
    }  # fmt: skip


@pytest.mark.parametrize("path", sorted(leaf_commands()))
def test_every_command_takes_the_global_options_after_it(path: str) -> None:
    options = {opt for param in leaf_commands()[path].params for opt in param.opts}
    assert {"--project", "--ledger", "--engine"} <= options
    if path in JSON_COMMANDS:
        assert "--json" in options


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_example(tmp_path / "fleet")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # only --project finds the project
    for name in ("PLATFORM_PROJECT", "PLATFORM_ENGINE", "PLATFORM_LEDGER_URL"):
        monkeypatch.delenv(name, raising=False)
    return root


def test_project_after_the_subcommand(project: Path, platform: Platform) -> None:
    before = platform("--project", str(project), "validate")
    after = platform("validate", "--project", str(project))
    assert before.exit_code == after.exit_code == 0
    assert after.stdout == before.stdout == "ok: 3 tiers, 10 tenants, 4 environments, 14 stacks in 10 waves\n"


def test_project_after_a_nested_subcommand(project: Path, platform: Platform) -> None:
    result = platform("ci", "github", "--project", str(project))
    assert result.exit_code == 0
    assert result.stdout.startswith("# Rollout of a release, one job per wave, in order.\n")


@pytest.mark.parametrize("where", ["before", "after"])
def test_ledger_and_engine_after_the_subcommand_reach_the_same_ledger(
    project: Path, tmp_path: Path, test_engine: ScriptedEngine, platform: Platform, where: str
) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    common = ["--project", str(project), "--ledger", url, "--engine", SPEC]
    args = ["up", "--release", "1.4.0", "--wave", "1", "--yes"]
    result = platform(*common, *args, engine=None) if where == "before" else platform(*args, *common, engine=None)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "elsewhere.db").is_file()
    assert not (project / ".platform" / "ledger.db").exists()
    stacks = platform("status", "--json", "--project", str(project), "--ledger", url, engine=None).json()["stacks"]
    assert [s["name"] for s in stacks if s["current_release"] == "1.4.0"] == ["testing.pool.basic"]


def test_the_value_after_the_subcommand_wins(
    project: Path, tmp_path: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    url = f"sqlite:///{tmp_path / 'used.db'}"
    result = platform(
        "--ledger", f"sqlite:///{tmp_path / 'ignored.db'}", "up", "--release", "1.4.0", "--wave", "1", "--yes",
        "--ledger", url, "--project", str(project), "--engine", SPEC, engine="nosuch",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "used.db").is_file()
    assert not (tmp_path / "ignored.db").exists()


@pytest.mark.parametrize("path", ["status", "tenant list"])
def test_json_before_or_after_the_subcommand_is_the_same(project: Path, platform: Platform, path: str) -> None:
    before = platform("--json", "--project", str(project), *path.split())
    after = platform(*path.split(), "--json", "--project", str(project))
    assert before.exit_code == after.exit_code == 0
    assert before.stdout == after.stdout
    assert after.json()


def test_an_unknown_option_is_still_refused(project: Path, platform: Platform) -> None:
    result = platform("status", "--projet", str(project))
    assert result.exit_code == 2
    assert result.stderr.endswith("Error: No such option '--projet'. Did you mean '--project'?\n")
