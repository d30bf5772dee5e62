"""Tenants that repeat one another (same tier, same environments, overrides of the same tier) are each
checked as if alone: what the loader works out once per load for many (environments found fine, a
tier's parameters) never hides a problem nor lets one tenant's overrides reach another's."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.fleet import copy_example
from tenantwave.config.loader import load_project
from tenantwave.errors import ConfigError

pytestmark = pytest.mark.unit


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "fleet")


def tenant(root: Path, name: str, **content: object) -> None:
    (root / "tenants" / f"{name}.yaml").write_text(yaml.safe_dump(content, sort_keys=False))


def test_the_same_bad_environments_are_reported_for_every_tenant_that_has_them(root: Path) -> None:
    for name in ("a-first", "b-good", "c-again", "d-good-again"):
        bad = "good" not in name
        tenant(root, name, tier="premium", environments=["staging", "testing" if bad else "production-us"])
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    shown = [str(problem) for problem in caught.value.problems]
    for name in ("a-first", "c-again"):
        assert any(line.startswith(f"tenants/{name}.yaml: environments[1]: tier 'premium' is not offered in "
                                   "'testing'") for line in shown), shown
    assert not any("good" in line for line in shown)


def test_overrides_of_one_tier_reach_only_their_own_tenant(root: Path) -> None:
    premium = yaml.safe_load((root / "tiers" / "premium.yaml").read_text())["parameters"]
    tenant(root, "a-fast", tier="premium", environments=["staging"], parameters={"rate_limit": {"burst": 3000}})
    tenant(root, "b-slow", tier="premium", environments=["staging"],
           parameters={"rate_limit": {"requests_per_second": 3}, "features": {"sso": False}})
    tenant(root, "c-plain", tier="premium", environments=["staging"], parameters={"replicas": 5})
    project = load_project(root)
    dumped = {name: project.tenants[name].parameters.model_dump() for name in ("a-fast", "b-slow", "c-plain")}
    assert dumped["a-fast"]["rate_limit"] == {**premium["rate_limit"], "burst": 3000}
    assert dumped["b-slow"]["rate_limit"] == {**premium["rate_limit"], "requests_per_second": 3}
    assert dumped["b-slow"]["features"] == {**premium["features"], "sso": False}
    assert dumped["a-fast"]["features"] == dumped["c-plain"]["features"] == premium["features"]
    assert dumped["c-plain"]["replicas"] == 5 and dumped["a-fast"]["replicas"] == premium["replicas"]
    assert project.tiers["premium"].config.parameters.model_dump()["rate_limit"] == premium["rate_limit"]


def test_each_folder_is_listed_once_per_load(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The loader and the unread-file warnings walk one listing (10,000 entries at scale), and still
    name what is not read."""
    (root / "tenants" / "notes.txt").write_text("not a tenant")
    listed: list[str] = []
    real = os.scandir

    def scandir(path: Any) -> Any:
        listed.append(os.path.basename(str(path)))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    project = load_project(root)
    assert listed.count("tenants") == listed.count("tiers") == 1
    assert any(warning.startswith("tenants/notes.txt: not read") for warning in project.warnings)
