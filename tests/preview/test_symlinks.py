"""Preview follows symbolic links inside the project and refuses, with a message, one that leads
outside it (committed or in the working tree): never an internal error."""

from __future__ import annotations

from pathlib import Path

import pytest
from preview_helpers import commit

from support.clirunner import Platform

pytestmark = pytest.mark.integration


def test_a_committed_link_leading_outside_is_refused_with_a_message(
    tiny: Path, platform: Platform, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("tier: basic\nenvironments: [testing]\n")
    (tiny / "tenants" / "stranger.yaml").symlink_to(outside)
    commit(tiny, "a link out")
    result = platform("preview", "--base", "base", "--head", "HEAD", "--offline")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    last = result.stderr.splitlines()[-1]
    assert last.startswith("error: HEAD (") and last.endswith(
        f"): tenants/stranger.yaml is a symbolic link to {outside}, outside the project: "
        "preview reads only files inside it"
    )


def test_a_link_in_the_working_tree_leading_outside_is_refused(tiny: Path, platform: Platform, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("tier: basic\nenvironments: [testing]\n")
    (tiny / "tenants" / "stranger.yaml").symlink_to(outside)
    result = platform("preview", "--base", "base", "--offline")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert f"tenants/stranger.yaml: is a symbolic link to {outside}, outside the project" in result.stderr


def test_a_link_inside_the_project_is_followed(tiny: Path, platform: Platform) -> None:
    tenant = next((tiny / "tenants").glob("*.yaml"))
    (tiny / "shared").mkdir()
    tenant.rename(tiny / "shared" / tenant.name)
    tenant.symlink_to(Path("..") / "shared" / tenant.name)
    commit(tiny, "a link in")
    result = platform("preview", "--base", "base", "--head", "HEAD", "--offline")
    assert result.exit_code == 0, result.output
