"""`platform preview` and `platform ci github` through CliRunner: exact output and exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from preview_helpers import commit, edit_yaml, git

from support.clirunner import Platform
from support.testengine import SPEC, ScriptedEngine

pytestmark = pytest.mark.cli


def _bump(root: Path) -> None:
    edit_yaml(root / "tiers" / "basic.yaml", lambda t: t["parameters"].update(replicas=3))


@pytest.mark.integration
def test_offline_preview_output_files_and_exit_codes(tiny: Path, platform: Platform) -> None:
    _bump(tiny)
    result = platform("preview", "--base", "main", "--offline", "--markdown", "p.md", "--json-file", "p.json")
    commit_id = git(tiny, "rev-parse", "main")
    assert result.exit_code == 0
    assert result.stdout == (
        f"preview of main ({commit_id[:12]}) -> working tree, offline (program under mocks)\n"
        "~ production-us.pool.basic (wave 1, changed): 0 to add, 0 to remove, 1 to change\n"
        "    tier basic changed (tiers/basic.yaml)\n"
        "1 of 1 stacks change (1 changed); resources: 0 to add, 0 to remove, 1 to change\n"
    )
    assert result.stderr == (
        f"preview: base main ({commit_id[:12]}), head working tree: 1 changed file(s)\n"
        "preview: 1 of 1 stack(s) affected\n"
        "simulating 1 stack(s) at the base and 1 at the head under mocks\n"
        f"wrote p.md ({len((tiny / 'p.md').read_text()):,} characters)\n"
        "wrote p.json\n"
    )
    markdown = (tiny / "p.md").read_text()
    assert "| ~ | <code>kubernetes:apps/v1:Deployment</code> <code>deployment</code> | <code>spec.replicas</code> " \
           "| <code>2</code> | <code>3</code> |" in markdown
    assert json.loads((tiny / "p.json").read_text())["stacks"][0]["counts"]["change"] == 1
    assert platform("preview", "--base", "main", "--offline", "--fail-on-changes").exit_code == 1
    assert git(tiny, "status", "--porcelain") == "M tiers/basic.yaml\n?? p.json\n?? p.md".strip()


@pytest.mark.integration
def test_nothing_affected_exits_0_even_with_fail_on_changes(tiny: Path, platform: Platform) -> None:
    (tiny / "README.md").write_text("docs\n")
    result = platform("preview", "--base", "main", "--offline", "--fail-on-changes")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1:] == ["0 of 1 stacks change"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base", "--output=x"], "error: --base '--output=x': not a git ref (a branch, tag or commit; "
                                   "it may not start with '-')\n"),
        (["--base", "nope"], None),
        (["--base", "main", "--head", "-x", "--offline"], "error: --head '-x': not a git ref (a branch, tag or "
                                                          "commit; it may not start with '-')\n"),
        (["--base", "main", "--head", "main"], "error: --head needs --offline: the engine previews the checked-out "
                                               "project; check out the head\n"),
    ],
)
def test_bad_refs_exit_2_with_one_line(tiny: Path, args: list[str], message: str | None, platform: Platform) -> None:
    result = platform("preview", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("error: ")
    if message is not None:
        assert result.stderr == message


def test_not_a_git_repository_exits_2(tmp_path: Path, tiny: Path, platform: Platform) -> None:
    import shutil

    outside = tmp_path / "plain"
    shutil.copytree(tiny, outside, ignore=shutil.ignore_patterns(".git"))
    result = platform("--project", str(outside), "preview", "--base", "main", "--offline")
    assert result.exit_code == 2
    assert re.fullmatch(r"error: .* is not in a git repository: previews compare two git revisions\n", result.stderr)


def test_engine_preview_uses_the_protocol(fleet: Path, test_engine: ScriptedEngine, platform: Platform) -> None:
    (fleet / "tenants" / "ironclad.yaml").unlink()
    edit_yaml(fleet / "tenants" / "acme-labs.yaml", lambda t: t.update(environments=["production-us", "production-eu"]))
    commit(fleet, "head")
    result = platform("preview", "--base", "base", "--json-file", "p.json", engine=SPEC)
    assert result.exit_code == 0, result.stderr
    assert sorted(test_engine.operations("preview")) == ["production-eu.pool.basic", "production-us.pool.basic"]
    assert [call.release for call in test_engine.calls] == ["preview", "preview"]
    document = json.loads((fleet / "p.json").read_text())
    assert document["mode"] == "engine" and document["engine"] == "test" and document["offline"] is False
    statuses = {s["name"]: (s["status"], s["counts"], s["resources"]) for s in document["stacks"]}
    assert statuses == {
        "production-us.pool.basic": ("changed", {"add": 4, "remove": 0, "change": 0, "same": 0}, None),
        "production-eu.pool.basic": ("changed", {"add": 4, "remove": 0, "change": 0, "same": 0}, None),
        "production-us.silo.ironclad": ("removed", {}, None),
    }
    assert "previewing 2 stack(s) with the test engine" in result.stderr
    assert "ok production-us.pool.basic: create 4" in result.stderr


def test_ci_github_check(fleet: Path, platform: Platform) -> None:
    out = fleet / ".github" / "workflows" / "rollout.yml"
    assert platform("ci", "github", "--output", str(out)).stdout == f"wrote {out}\n"
    result = platform("ci", "github", "--output", str(out), "--check")
    assert result.exit_code == 0 and result.stdout == f"{out} matches the waves\n"
    edit_yaml(fleet / "tiers" / "standard.yaml", lambda t: t.update(wave=5))
    result = platform("ci", "github", "--output", str(out), "--check")
    assert result.exit_code == 1
    assert result.stderr == f"{out} is out of date: run `platform ci github --output {out}`\n"
    assert platform("ci", "github", "--check").exit_code == 1  # without --output: the project's own workflow
