"""Git revisions: ref checks (no option injection), changed files, exporting without touching the tree."""

from __future__ import annotations

from pathlib import Path

import pytest
from preview_helpers import commit, git

from tenantwave.errors import UsageError
from tenantwave.preview.revisions import WORKING_TREE, Revision, changed_files, export_tree, open_repository, resolve

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("ref", ["-x", "--output=/tmp/pwned", "--upload-pack=touch x", "", "a b", "ma\nin", ":0:x"])
def test_refs_that_could_be_options_or_garbage_are_refused(tiny: Path, ref: str) -> None:
    with pytest.raises(UsageError, match="not a git ref"):
        resolve(open_repository(tiny), "--base", ref)


def test_unknown_ref_says_so(tiny: Path) -> None:
    with pytest.raises(UsageError, match="--base origin/nope: no such commit"):
        resolve(open_repository(tiny), "--base", "origin/nope")


def test_not_a_git_repository(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is not in a git repository"):
        open_repository(tmp_path)


def test_changed_files_of_the_working_tree_include_untracked(tiny: Path) -> None:
    repo = open_repository(tiny)
    base = resolve(repo, "--base", "main")
    (tiny / "tenants" / "nova.yaml").write_text("tier: basic\nenvironments: [production-us]\n")
    (tiny / "tiers" / "basic.yaml").write_text((tiny / "tiers" / "basic.yaml").read_text() + "# note\n")
    assert changed_files(repo, base, Revision(WORKING_TREE, None)) == ["tenants/nova.yaml", "tiers/basic.yaml"]
    head = resolve(repo, "--head", commit(tiny))
    assert changed_files(repo, base, head) == ["tenants/nova.yaml", "tiers/basic.yaml"]
    assert resolve(repo, "--base", "HEAD~1").commit == base.commit


def test_project_in_a_subdirectory(tmp_path: Path, tiny: Path) -> None:
    outer = tmp_path / "outer"
    outer.mkdir()
    git(outer, "init", "-q")
    (outer / "README.md").write_text("x\n")
    import shutil

    shutil.copytree(tiny, outer / "infra", ignore=shutil.ignore_patterns(".git"))
    commit(outer, "base")
    (outer / "README.md").write_text("y\n")
    (outer / "infra" / "tiers" / "basic.yaml").write_text("model: pool\nwave: 2\n")
    repo = open_repository(outer / "infra")
    assert repo.prefix == "infra/"
    base = resolve(repo, "--base", "HEAD")
    assert changed_files(repo, base, Revision(WORKING_TREE, None)) == ["tiers/basic.yaml"]
    exported = export_tree(repo, base, tmp_path / "export")
    assert (exported / "platform.yaml").is_file() and not (exported / "README.md").exists()


def test_export_leaves_the_working_tree_alone(tiny: Path, tmp_path: Path) -> None:
    (tiny / "tiers" / "basic.yaml").write_text("edited\n")
    before = git(tiny, "status", "--porcelain")
    repo = open_repository(tiny)
    exported = export_tree(repo, resolve(repo, "--base", "main"), tmp_path / "base")
    assert "edited" not in (exported / "tiers" / "basic.yaml").read_text()
    assert git(tiny, "status", "--porcelain") == before
    assert git(tiny, "worktree", "list").count("\n") == 0
