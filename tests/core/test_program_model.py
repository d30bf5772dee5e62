"""The stack program owns its parameter model: platform.yaml names it, the tool validates with it (issue 20).

A custom model replaces the example's (what only it knows is valid, what it does not know is an error),
a bad name is one clean line (exit 2), and loading a model from one project never leaks into another
(two checkouts with the same package name, as a preview's base and head are, in one process).
"""

from __future__ import annotations

import json
import os
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from support.clirunner import Platform
from tenantwave.config.loader import load_project
from tenantwave.errors import ConfigError
from tenantwave.planning.inventory import build_inventory
from tenantwave.planning.stackconfig import stack_config

SHOP_MODEL = '''
from pydantic import BaseModel, ConfigDict, Field


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    requests_per_minute: int = Field(600, ge=1)


class ShopParameters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    shards: int = Field(1, ge=1, le=64)
    region_pinned: bool = False
    limits: Limits = Limits()
'''
SHOP = {"parameters": "shop.params:ShopParameters"}
TIERS: dict[str, dict[str, Any]] = {
    "basic": {"model": "pool", "wave": 1, "overridable": ["limits"], "parameters": {"shards": 4}},
}
TENANTS: dict[str, dict[str, Any]] = {
    "acme": {"tier": "basic", "environments": ["staging"], "parameters": {"limits": {"requests_per_minute": 60}}},
    "beta": {"tier": "basic", "environments": ["staging"]},
}


def add_module(root: Path, module: str, source: str, program_dir: str = "stacks") -> None:
    """Write `module` (dotted) under root/program_dir, with an empty __init__.py for each package."""
    *packages, name = module.split(".")
    directory = root / program_dir
    for package in packages:
        directory = directory / package
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "__init__.py").touch()
    (directory / f"{name}.py").write_text(source, encoding="utf-8")


def shop_project(write, tiers: dict[str, Any] | None = None, tenants: dict[str, Any] | None = None) -> Path:
    root = write(TIERS if tiers is None else tiers, TENANTS if tenants is None else tenants, program=SHOP)
    add_module(root, "shop.params", SHOP_MODEL)
    return root


def problems(root: Path) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_project(root)
    assert raised.value.exit_code == 2
    return raised.value.lines()


# -- a custom model ---------------------------------------------------------------------------------


@pytest.mark.unit
def test_the_model_platform_yaml_names_validates_tiers_and_overrides(write) -> None:
    project = load_project(shop_project(write))
    tier = project.tiers["basic"].config.parameters
    assert type(tier).__name__ == "ShopParameters"
    assert tier.model_dump() == {"shards": 4, "region_pinned": False, "limits": {"requests_per_minute": 600}}
    acme, beta = project.tenants["acme"].parameters, project.tenants["beta"].parameters
    assert acme.model_dump()["limits"] == {"requests_per_minute": 60}
    assert acme.model_dump()["shards"] == 4  # merged into the tier's
    assert beta is tier  # a tenant without overrides shares the tier's parameters
    stack = next(s for s in build_inventory(project) if s.environment == "staging")
    config = stack_config(project, stack, "1.0.0")
    assert json.loads(config["tenantwave:parameters"]) == {
        "shards": 4, "region_pinned": False, "limits": {"requests_per_minute": 600},
    }
    members = json.loads(config["tenantwave:members"])
    assert members[0] == {"id": "acme", "parameters": {**json.loads(config["tenantwave:parameters"]),
                                                       "limits": {"requests_per_minute": 60}}}


@pytest.mark.unit
def test_what_the_named_model_does_not_know_is_rejected_with_file_and_field(write) -> None:
    tiers = {
        "basic": {"model": "pool", "wave": 1, "parameters": {"shards": 0, "replicas": 2}},
        "gold": {"model": "pool", "wave": 2, "overridable": ["limits", "replicas"]},
        "silver": {"model": "pool", "wave": 3, "overridable": ["limits"]},
    }
    tenants = {"acme": {"tier": "silver", "environments": ["staging"],
                        "parameters": {"limits": {"requests_per_minute": "5", "burst": 1}}}}
    assert problems(shop_project(write, tiers, tenants)) == [
        "tenants/acme.yaml: parameters.limits.burst: unknown key "
        "(remove it, or check its spelling against docs/configuration.md)",
        "tenants/acme.yaml: parameters.limits.requests_per_minute: input should be a valid integer, got '5'",
        "tiers/basic.yaml: parameters.replicas: unknown key "
        "(remove it, or check its spelling against docs/configuration.md)",
        "tiers/basic.yaml: parameters.shards: input should be greater than or equal to 1",
        "tiers/gold.yaml: overridable[1]: unknown parameter 'replicas' (known: limits, region_pinned, shards)",
    ]


@pytest.mark.unit
def test_a_model_with_required_parameters_makes_a_tiers_parameters_required(write) -> None:
    root = write({"basic": {"model": "pool", "wave": 1}}, {}, program={"parameters": "app.spec:Spec"})
    add_module(root, "app.spec", "from pydantic import BaseModel, ConfigDict\n\n"
               "class Spec(BaseModel):\n    model_config = ConfigDict(extra='forbid')\n    size: int\n")
    assert problems(root) == ["tiers/basic.yaml: parameters: missing (this key is required)"]
    (root / "tiers" / "basic.yaml").write_text("model: pool\nwave: 1\nparameters: {size: 3}\n")
    assert load_project(root).tiers["basic"].config.parameters.model_dump() == {"size": 3}


# -- a model that cannot be used ----------------------------------------------------------------------

NOT_FORBIDDING = "from pydantic import BaseModel\n\nclass Params(BaseModel):\n    size: int = 1\n"
BAD_MODELS = [
    pytest.param(
        {"program": {"parameters": "shop params"}}, {},
        "platform.yaml: program.parameters: 'shop params' is not a module:Class name; name the parameter model "
        "of your stack program, e.g. tenantstack.parameters:TierParameters",
        id="not-a-name",
    ),
    pytest.param(
        {"program": {"parameters": "shop.params:ShopParameters", "colour": "blue"}}, {},
        "platform.yaml: program.colour: unknown key (remove it, or check its spelling against docs/configuration.md)",
        id="unknown-key",
    ),
    pytest.param(
        {}, {"stacks/tenantstack/parameters.py": None},
        "platform.yaml: program.parameters: tenantstack.parameters:TierParameters (the default): no module "
        "tenantstack.parameters in the program directory stacks/ (no Pulumi.yaml: the default); put the "
        "program's parameter model there, or name yours as module:Class",
        id="default-missing",
    ),
    pytest.param(
        {"program": {"parameters": "shop.params:ShopParameters"}}, {"Pulumi.yaml": "name: shop\nmain: app/\n"},
        "platform.yaml: program.parameters: shop.params:ShopParameters: no module shop.params in the program "
        "directory app/ (Pulumi.yaml main:); put the program's parameter model there, or name yours as module:Class",
        id="not-in-pulumi-main",
    ),
    pytest.param(
        {"program": {"parameters": "shop.params:ShopParams"}}, {"stacks/shop/params.py": SHOP_MODEL},
        "platform.yaml: program.parameters: shop.params:ShopParams: shop.params has no 'ShopParams'; "
        "name the pydantic model class it defines",
        id="no-such-class",
    ),
    pytest.param(
        {"program": {"parameters": "shop.params:Field"}}, {"stacks/shop/params.py": SHOP_MODEL},
        "platform.yaml: program.parameters: shop.params:Field: 'Field' in shop.params is not a pydantic model "
        "class (a BaseModel subclass)",
        id="not-a-model",
    ),
    pytest.param(
        {"program": {"parameters": "shop.params:Params"}}, {"stacks/shop/params.py": NOT_FORBIDDING},
        "platform.yaml: program.parameters: shop.params:Params: Params accepts unknown keys; set model_config = "
        "ConfigDict(extra='forbid') in it so a misspelt parameter is an error",
        id="unknown-keys-allowed",
    ),
    pytest.param(
        {"program": {"parameters": "shop.params:Params"}},
        {"stacks/shop/params.py": "import shop_helpers_that_do_not_exist\n"},
        "platform.yaml: program.parameters: shop.params:Params: importing shop.params from stacks/ (no Pulumi.yaml: "
        "the default) failed: ModuleNotFoundError: No module named 'shop_helpers_that_do_not_exist'",
        id="import-fails",
    ),
    pytest.param(
        {}, {"Pulumi.yaml": "name: shop\nmain: [stacks]\n"},
        "Pulumi.yaml: main: ['stacks'] is not the path of the program directory (e.g. stacks/)",
        id="pulumi-main-not-a-path",
    ),
    pytest.param(
        {}, {"Pulumi.yaml": "name: shop\nmain: " + "a" * 300 + "\n"},
        "Pulumi.yaml: main: '" + "a" * 56 + "... cannot be the program directory (File name too long); "
        "name a directory of the project, e.g. stacks/",
        id="pulumi-main-name-too-long",
    ),
    pytest.param(
        {}, {"Pulumi.yaml": "name: shop\nmain: " + "[" * 30 + "x" * 300 + "]" * 30 + "\n"},
        "Pulumi.yaml: main: " + "[" * 30 + "'" + "x" * 26 + "... is not the path of the program directory "
        "(e.g. stacks/)",
        id="pulumi-main-long-not-a-path",
    ),
    pytest.param(
        {}, {"Pulumi.yaml": "name: shop\nmain: [stacks\n"},
        "Pulumi.yaml: line 3, column 1: malformed YAML: did not find expected ',' or ']' "
        "(it names the program directory)",
        id="pulumi-yaml-malformed",
    ),
]


@pytest.mark.cli
@pytest.mark.parametrize(("platform_yaml", "files", "expected"), BAD_MODELS)
def test_a_model_that_cannot_be_used_is_one_line_exit_2(
    write, platform: Platform, platform_yaml: dict[str, Any], files: dict[str, str | None], expected: str
) -> None:
    root = write({"basic": {"model": "pool", "wave": 1}}, {"acme": {"tier": "gold", "environments": ["staging"]}},
                 **platform_yaml)
    for relative, text in files.items():
        if text is None:
            (root / relative).unlink()
        else:
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_text(text, encoding="utf-8")
    result = platform("--project", str(root), "validate")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (  # with the other problems, as ever
        "error: 2 problems in the configuration:\n"
        f"  {expected}\n"
        "  tenants/acme.yaml: tier: unknown tier 'gold' (known: basic)\n"
    )
    assert "Traceback" not in result.output


# -- one project's model never leaks into another ------------------------------------------------------


def versioned_project(write, field: str) -> Path:
    """A project whose tenantstack.parameters:TierParameters knows only `field`."""
    root = write({"basic": {"model": "pool", "wave": 1, "parameters": {field: 1}}}, {})
    add_module(root, "tenantstack.parameters", "from pydantic import BaseModel, ConfigDict\n\n"
               "class TierParameters(BaseModel):\n    model_config = ConfigDict(extra='forbid')\n"
               f"    {field}: int = 0\n")
    return root


@pytest.mark.unit
def test_two_checkouts_with_the_same_package_each_get_their_own_model(
    write, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = types.ModuleType("tenantstack")  # the package as another checkout imported it
    elsewhere_parameters = types.ModuleType("tenantstack.parameters")
    monkeypatch.setitem(sys.modules, "tenantstack", elsewhere)
    monkeypatch.setitem(sys.modules, "tenantstack.parameters", elsewhere_parameters)
    path = list(sys.path)
    base, head = versioned_project(write, "alpha"), versioned_project(write, "beta")
    for root, field in ((base, "alpha"), (head, "beta"), (base, "alpha")):
        assert load_project(root).tiers["basic"].config.parameters.model_dump() == {field: 1}
    assert sys.modules["tenantstack"] is elsewhere and sys.modules["tenantstack.parameters"] is elsewhere_parameters
    assert sys.path == path
    assert not list(base.rglob("__pycache__")) and not list(head.rglob("__pycache__"))


@pytest.mark.unit
def test_a_changed_model_is_imported_again(write) -> None:
    root = versioned_project(write, "alpha")
    load_project(root)
    model = root / "stacks" / "tenantstack" / "parameters.py"
    model.write_text(model.read_text().replace("alpha", "gamma"), encoding="utf-8")
    stat = model.stat()
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a later edit, whatever the clock
    assert problems(root) == [
        "tiers/basic.yaml: parameters.alpha: unknown key "
        "(remove it, or check its spelling against docs/configuration.md)"
    ]
