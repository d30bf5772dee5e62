"""Writing small projects for tests: platform.yaml, tiers/ and tenants/ from Python data.

Each project gets the example program's parameter model (stacks/tenantstack/parameters.py), which
the tool validates tier parameters against; the rest of the program is not copied."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

EXAMPLE = Path(__file__).resolve().parents[2]

LIFECYCLE = [
    {"phase": "testing", "environments": ["testing"]},
    {"phase": "staging", "environments": ["staging"]},
    {"phase": "production", "environments": ["production-us", "production-eu"]},
]


def target(environment: str, region: str = "us-east-1", account: str = "123456789012") -> dict[str, Any]:
    """A minimal valid deployment target (platform.yaml `targets.<environment>`)."""
    return {
        "aws": {"region": region, "role_arn": f"arn:aws:iam::{account}:role/tenantwave-deployer"},
        "cluster": {"name": "cluster-" + "".join(c for c in environment if c.isalnum() or c == "-")[:40]},
    }


def targets_for(lifecycle: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A target for every environment of `lifecycle`."""
    found = [phase.get("environments") for phase in lifecycle if isinstance(phase, dict)]
    return {env: target(env) for envs in found if isinstance(envs, list) for env in envs if isinstance(env, str)}


def write_project(
    root: Path,
    tiers: dict[str, dict[str, Any]],
    tenants: dict[str, dict[str, Any]],
    lifecycle: list[dict[str, Any]] | None = None,
    **platform: Any,
) -> Path:
    """A project directory with the given tiers and tenants (ids -> YAML mappings).

    Every environment of the lifecycle gets a minimal target unless `targets=` is given (None: no
    `targets` key at all)."""
    root.mkdir(parents=True, exist_ok=True)
    lifecycle = lifecycle or LIFECYCLE
    if "targets" not in platform:
        platform["targets"] = targets_for(lifecycle)
    elif platform["targets"] is None:
        del platform["targets"]
    document = {"lifecycle": lifecycle, **platform}
    (root / "platform.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    for folder, items in (("tiers", tiers), ("tenants", tenants)):
        (root / folder).mkdir(exist_ok=True)
        for item_id, content in items.items():
            (root / folder / f"{item_id}.yaml").write_text(yaml.safe_dump(content, sort_keys=False))
    copy_parameter_model(root)
    return root


def copy_parameter_model(root: Path) -> Path:
    """The example program's parameter model in root/stacks/tenantstack/ (the package, without the program)."""
    package = root / "stacks" / "tenantstack"
    package.mkdir(parents=True, exist_ok=True)
    for name in ("__init__.py", "parameters.py"):
        shutil.copy(EXAMPLE / "stacks" / "tenantstack" / name, package / name)
    return root


def link_program(root: Path) -> Path:
    """root/stacks as a symlink to the example's whole stack program (for the mock engine), replacing the model."""
    shutil.rmtree(root / "stacks", ignore_errors=True)
    (root / "stacks").symlink_to(EXAMPLE / "stacks", target_is_directory=True)
    return root


def copy_example(root: Path, *, schedule: bool = False) -> Path:
    """A copy of the example fleet checked in at the repository root, without its maintenance windows
    and freezes unless `schedule`: what they hold depends on the day a test runs (the tests of them pin
    the clock, support/clock.py)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLE / "platform.yaml", root / "platform.yaml")
    shutil.copy(EXAMPLE / "Pulumi.yaml", root / "Pulumi.yaml")
    for folder in ("tiers", "tenants"):
        shutil.copytree(EXAMPLE / folder, root / folder)
    if not schedule:
        drop_schedule(root)
    return copy_parameter_model(root)


def drop_schedule(root: Path) -> None:
    """Remove `freezes` from platform.yaml and `windows` from tiers/ and tenants/ (comments kept)."""
    from ruamel.yaml import YAML

    yaml_rt = YAML()
    files = [(root / "platform.yaml", "freezes")]
    files += [(path, "windows") for folder in ("tiers", "tenants") for path in sorted((root / folder).glob("*.yaml"))]
    for path, key in files:
        if f"{key}:" not in path.read_text():
            continue
        document = yaml_rt.load(path)
        document.pop(key, None)
        with path.open("w") as out:
            yaml_rt.dump(document, out)
