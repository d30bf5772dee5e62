"""tenants/ loaded for many at once (config/tenantload.py) answers exactly as one file at a time: one id match over
all the file names, the parse cache's folder lookup; each tenant's parameters validated by the model again."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import model_validator

from support.fleet import copy_example
from tenantwave.config import tenantload
from tenantwave.config.folders import Folders
from tenantwave.config.ids import is_valid_id
from tenantwave.config.loader import load_project
from tenantwave.config.models import Tenant
from tenantwave.config.parsecache import ParseCache
from tenantwave.config.tenantload import all_ids
from tenantwave.errors import ConfigError, Problem

pytestmark = pytest.mark.unit

NAME_CHARACTERS = st.sampled_from(list("ab09-z.\nA_ \t/é"))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(NAME_CHARACTERS, max_size=40), max_size=6))
def test_one_match_over_all_names_is_each_name_checked_alone(names: list[str]) -> None:
    assert all_ids(names) == all(is_valid_id(name) for name in names)


@pytest.mark.parametrize(
    "names",
    [["a", "b\nc"], ["a\n"], ["a" * 32], ["a" * 33], [""], ["-a"], ["a-"], ["a", ""], []],
)
def test_newlines_and_edges_are_not_mistaken_for_ids(names: list[str]) -> None:
    assert all_ids(names) == all(is_valid_id(name) for name in names)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = copy_example(tmp_path / "fleet")
    (root / ".platform").mkdir()
    return root


def tenant(root: Path, name: str, **content: object) -> None:
    (root / "tenants" / f"{name}.yaml").write_text(yaml.safe_dump(content, sort_keys=False))


def age(root: Path) -> None:
    then = time.time_ns() - 60 * 1_000_000_000
    for path in [root / "platform.yaml", root / "Pulumi.yaml", *root.glob("tiers/*"), *root.glob("tenants/*")]:
        if not path.is_symlink():
            os.utime(path, ns=(then, then))


def test_the_same_overrides_share_parameters_equal_to_each_validated_alone(root: Path) -> None:
    for name in ("a-one", "b-two", "c-three"):
        tenant(root, name, tier="premium", environments=["staging"], parameters={"replicas": 5})
    tenant(root, "d-other", tier="standard", environments=["staging"], parameters={"rate_limit": {"burst": 5000}})
    tenant(root, "e-other", tier="premium", environments=["staging"], parameters={"rate_limit": {"burst": 5000}})
    project = load_project(root)
    model = type(project.tenants["a-one"].parameters)
    premium = yaml.safe_load((root / "tiers" / "premium.yaml").read_text())["parameters"]
    alone = model.model_validate({**premium, "replicas": 5})
    for name in ("a-one", "b-two", "c-three"):
        assert project.tenants[name].parameters == alone
    assert project.tenants["d-other"].parameters != project.tenants["e-other"].parameters  # other tiers' defaults


def test_each_tenant_s_parameters_are_validated_by_the_model_again(root: Path) -> None:
    """The parameter model is the program's code: its validators run for every tenant, even with equal overrides
    (a validator may keep state, a default_factory may make something new each time): no instance is shared."""
    for name in ("a-one", "b-two", "c-three"):
        tenant(root, name, tier="premium", environments=["staging"], parameters={"replicas": 17})
    project = load_project(root)
    real_model = type(project.tenants["a-one"].parameters)
    validated: list[int] = []

    class Counting(real_model):  # type: ignore[valid-type,misc]
        @model_validator(mode="after")
        def count(self) -> Counting:
            validated.append(self.replicas)
            return self

    problems: list[Problem] = []
    tenants = tenantload.load_tenants(Folders(root), ParseCache(root), project.tiers, None, Counting, problems)
    assert problems == []
    assert validated.count(17) == 3  # (the example's tenants with overrides are validated too)
    assert len({id(tenants[name].parameters) for name in ("a-one", "b-two", "c-three")}) == 3


def test_overrides_equal_in_python_but_not_in_type_are_validated_each(root: Path) -> None:
    """4 == 4.0 in Python (and 1 == True), not to the strict parameter model: no tenant takes another's answer."""
    tenant(root, "a-int", tier="premium", environments=["staging"], parameters={"replicas": 4})
    for name, value in (("b-float", 4.0), ("c-bool", True), ("d-text", "4")):
        tenant(root, name, tier="premium", environments=["staging"], parameters={"replicas": value})
    tenant(root, "e-int", tier="premium", environments=["staging"], parameters={"replicas": 4})
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    lines = caught.value.lines()
    for name in ("b-float", "c-bool", "d-text"):
        assert sum(f"tenants/{name}.yaml: parameters.replicas:" in line for line in lines) == 1, lines
    assert not any("a-int" in line or "e-int" in line for line in lines)


def test_a_bad_override_is_reported_for_every_tenant_that_has_it(root: Path) -> None:
    for name in ("a-bad", "b-bad", "c-bad"):
        tenant(root, name, tier="premium", environments=["staging"], parameters={"replicas": -1})
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    lines = caught.value.lines()
    for name in ("a-bad", "b-bad", "c-bad"):
        assert sum(line.startswith(f"tenants/{name}.yaml: parameters.replicas") for line in lines) == 1, lines


def folder_state(root: Path) -> None:
    """tenants/ with a link, a dangling link, a FIFO, a recently modified file and a file changed after caching."""
    tenants = root / "tenants"
    names = sorted(path.name for path in tenants.iterdir())
    (tenants / "z-link.yaml").symlink_to(names[0])
    (tenants / "z-dangling.yaml").symlink_to("nowhere.yaml")
    os.mkfifo(tenants / "z-fifo.yaml")
    (tenants / "z-bad.yaml").write_text("tier: [premium\n")


@pytest.mark.parametrize("warm", [False, True])
def test_a_folder_read_at_once_answers_as_each_file_read_alone(root: Path, warm: bool) -> None:
    folder_state(root)
    age(root)
    if warm:
        cache = ParseCache(root)
        for name in sorted(os.listdir(root / "tenants")):
            cache.read_mapping(str(root / "tenants" / name), f"tenants/{name}")
        cache.save()
        changed = root / "tenants" / sorted(os.listdir(root / "tenants"))[1]
        changed.write_text(changed.read_text().replace("tier:", "tier:  "))  # new content, new size
        (root / "tenants" / "z-recent.yaml").write_text("tier: premium\nenvironments: [staging]\n")
    names = [(name, not (root / "tenants" / name).is_symlink()) for name in sorted(os.listdir(root / "tenants"))]
    at_once = ParseCache(root).read_folder(str(root / "tenants"), "tenants", names)
    alone_cache = ParseCache(root)
    alone = [
        alone_cache.read_mapping(str(root / "tenants" / name), f"tenants/{name}", regular=regular)
        for name, regular in names
    ]
    assert at_once == alone
    assert any(problems for _, problems in at_once) and any(data for data, _ in at_once)


def test_a_linked_tenants_folder_is_read_file_by_file(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    age(root)
    expected = load_project(root)
    (root / "tenants").rename(root / "tenants-real")
    (root / "tenants").symlink_to("tenants-real")
    load_project(root)
    from tenantwave.config import yamlfile

    reads: list[str] = []
    real = yamlfile.read_mapping

    def counting(path: object, shown: str, **options: object) -> object:
        reads.append(shown)
        return real(path, shown, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(yamlfile, "read_mapping", counting)
    again = load_project(root)
    assert len([shown for shown in reads if shown.startswith("tenants/")]) == len(expected.tenants)
    assert again.tenants == expected.tenants


def test_a_tenant_made_through_its_dict_is_the_constructor_s(root: Path) -> None:
    project = load_project(root)
    assert tenantload.make_tenant is tenantload._tenant_by_dict  # Tenant is still the plain dataclass it checks for
    for tenant in project.tenants.values():
        built = Tenant(id=tenant.id, config=tenant.config, parameters=tenant.parameters)
        made = tenantload.make_tenant(tenant.id, tenant.config, tenant.parameters)
        assert made == built and vars(made) == vars(built)
        assert type(made) is Tenant and made.environments == built.environments and made.tier == built.tier
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.id = "other"  # type: ignore[misc]


def test_a_tenants_folder_replaced_during_the_load_never_pairs_one_file_s_status_with_another_s_content(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tenants/ moved away and another folder put in its place once read_folder has opened it: each file cached is
    stored with its own size and time, so the old folder back in place loads warm exactly as cold."""
    replacement = root / "tenants-new"
    replacement.mkdir()
    for path in (root / "tenants").iterdir():  # the same names, another display name each, other sizes and times
        config = yaml.safe_load(path.read_text())
        config["name"] = f"Replaced {path.stem}"
        (replacement / path.name).write_text(yaml.safe_dump(config, sort_keys=False))
    age(root)
    then = time.time_ns() - 30 * 1_000_000_000
    for path in replacement.iterdir():
        os.utime(path, ns=(then, then))
    cold = load_project(root)
    (root / ".platform" / "cache" / "parsed.json").unlink()  # every tenant file a miss in the load below
    real_open = os.open
    swapped: list[str] = []

    def swapping_open(path: object, flags: int, *args: object, **options: object) -> int:
        descriptor = real_open(path, flags, *args, **options)  # type: ignore[arg-type]
        if flags & os.O_DIRECTORY and str(path) == str(root / "tenants") and not swapped:
            (root / "tenants").rename(root / "tenants-old")
            replacement.rename(root / "tenants")
            swapped.append(str(path))
        return descriptor

    monkeypatch.setattr(os, "open", swapping_open)
    load_project(root)
    monkeypatch.setattr(os, "open", real_open)
    assert swapped
    (root / "tenants").rename(replacement)
    (root / "tenants-old").rename(root / "tenants")
    warm = load_project(root)
    assert {name: tenant.config for name, tenant in warm.tenants.items()} == {
        name: tenant.config for name, tenant in cold.tenants.items()
    }
