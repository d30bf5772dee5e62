"""Small inconsistencies an operator met (issue 16, point 13): the data note of destroy, output paths
checked before the work, a move to the tier a tenant is on, destroyed stacks in status, and
`ci github --check`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support.clirunner import Platform
from support.testengine import SPEC, ScriptedEngine

pytestmark = pytest.mark.cli

LEDGER = f"ledger: .platform/ledger.db (from platform.yaml); engine: {SPEC}\n"
KEPT = (
    "note: data-bearing resources (tables, databases) of destroyed stacks are kept "
    "(pass --delete-data to delete them)\n"
)


@pytest.fixture
def project(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI tests' example fleet (conftest), with an actor for approvals."""
    monkeypatch.setenv("PLATFORM_ACTOR", "ops-alice")
    return project


@pytest.fixture
def platform(platform: Platform) -> Platform:
    return platform.with_engine(SPEC)


def test_destroy_says_what_happens_to_the_data(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    result = platform("destroy", "--tenant", "ironclad", "--yes")
    assert result.exit_code == 0
    assert result.text.startswith(
        LEDGER + "  destroy  production-us.silo.ironclad: no successful deployment recorded\n" + KEPT
    )
    deleted = platform("destroy", "--tenant", "ironclad", "--yes", "--delete-data")
    assert "note: data-bearing resources (tables, databases) of destroyed stacks are DELETED (--delete-data)\n" in (
        deleted.text
    )


def test_destroy_json_is_one_document(project: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    result = platform("destroy", "--stack", "testing.pool.basic", "--yes", "--json")
    assert result.exit_code == 0
    assert result.json()["stacks"][0]["name"] == "testing.pool.basic"  # nothing but the document on stdout


def test_an_output_path_that_cannot_be_written_fails_before_the_preview(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: Platform
) -> None:
    monkeypatch.chdir(tmp_path)  # not even a git repository: the path is checked first
    (tmp_path / "afile").write_text("")
    result = platform("preview", "--base", "main", "--markdown", "afile/p.md", engine=None)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "error: --markdown afile/p.md: cannot create its directory: File exists\n"
    result = platform("preview", "--base", "main", "--json-file", str(tmp_path), engine=None)
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


def test_preview_creates_the_directories_of_its_outputs(project: Path, platform: Platform) -> None:
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "base"]):
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)
    result = platform("preview", "--base", "main", "--offline", "--markdown", "out/md/p.md",
                      "--json-file", "out/json/p.json", engine=None)
    assert result.exit_code == 0, result.output
    assert (project / "out" / "md" / "p.md").is_file() and (project / "out" / "json" / "p.json").is_file()


def test_moving_a_tenant_to_its_own_tier_is_an_error(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    result = platform("tenant", "move", "acme-labs", "--tier", "basic")
    assert (result.exit_code, result.output) == (
        2, LEDGER + "error: tenant acme-labs is already on tier basic in every environment: nothing to move\n",
    )  # fmt: skip


def test_status_leaves_out_stacks_destroyed_and_gone_from_the_configuration(
    project: Path, test_engine: ScriptedEngine, platform: Platform
) -> None:
    for args in (["--wave", "1"], ["--wave", "2"], ["--stack", "staging.silo.helios-bank"]):
        assert platform("up", "--release", "1.4.0", *args, "--yes").exit_code == 0
    assert platform("destroy", "--tenant", "helios-bank", "--yes").exit_code == 0
    (project / "tenants" / "helios-bank.yaml").unlink()
    result = platform("status")
    assert result.exit_code == 0
    assert "helios-bank" not in result.stdout
    assert result.stdout.endswith(
        "3 destroyed stack(s) no longer in the configuration not shown (--all lists them)\n"
    )
    everything = platform("status", "--all", "--json").json()["stacks"]
    assert [s["name"] for s in everything if not s["in_config"]] == [
        "production-eu.silo.helios-bank", "production-us.silo.helios-bank", "staging.silo.helios-bank",
    ]  # fmt: skip
    assert "(not in config)" in platform("status", "--all").stdout
    assert all(s["in_config"] for s in platform("status", "--json").json()["stacks"])


def test_ci_github_check_defaults_to_the_projects_workflow_and_keeps_shards(
    project: Path, platform: Platform
) -> None:
    workflow = project / ".github" / "workflows" / "rollout.yml"
    missing = platform("ci", "github", "--check", "--shards", "6")
    assert (missing.exit_code, missing.stderr) == (
        1, f"{workflow} does not exist: run `platform ci github --shards 6 --output {workflow}`\n",
    )  # fmt: skip
    assert platform("ci", "github", "--shards", "6", "--output", str(workflow)).exit_code == 0
    assert platform("ci", "github", "--check", "--shards", "6").stdout == f"{workflow} matches the waves\n"
    stale = platform("ci", "github", "--check")
    assert (stale.exit_code, stale.stderr) == (
        1, f"{workflow} is out of date: run `platform ci github --output {workflow}`\n",
    )  # fmt: skip
