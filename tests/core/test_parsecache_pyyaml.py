"""The parse cache without PyYAML: a load whose files all come from the cache (Pulumi.yaml's `main:` too) never
imports PyYAML, and what it remembers of Pulumi.yaml is never answered for a changed file or a link."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.fleet import copy_example
from tenantwave.config import program
from tenantwave.config.loader import PULUMI_MAIN_KEY, load_project
from tenantwave.config.parsecache import CACHE_FILE, ParseCache
from tenantwave.errors import ConfigError

pytestmark = pytest.mark.unit

PLATFORM = Path(__file__).resolve().parents[2] / "platform"


@pytest.fixture(autouse=True)
def cache_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLATFORM_CACHE", raising=False)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the example (with its Pulumi.yaml) whose files are old enough to be cached."""
    root = copy_example(tmp_path / "fleet")
    (root / ".platform").mkdir()
    age(root)
    return root


def age(root: Path, seconds: int = 60) -> None:
    then = time.time_ns() - seconds * 1_000_000_000
    for path in [root / "platform.yaml", root / "Pulumi.yaml", *root.glob("tiers/*"), *root.glob("tenants/*")]:
        os.utime(path, ns=(then, then), follow_symlinks=False)


def document(root: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((root / CACHE_FILE).read_text())
    return loaded


@pytest.fixture
def mains(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The Pulumi.yaml files actually read for their `main:`."""
    read: list[Path] = []
    real = program.pulumi_main

    def counting(path: Path) -> object:
        read.append(path)
        return real(path)

    monkeypatch.setattr(program, "pulumi_main", counting)
    import tenantwave.config.loader as loader

    monkeypatch.setattr(loader, "pulumi_main", counting)
    return read


def loaded_modules(root: Path) -> set[str]:
    """The modules a fresh process has imported after loading the project at `root`."""
    code = (
        "import sys; from pathlib import Path; from tenantwave.config.loader import load_project; "
        "load_project(Path(sys.argv[1])); print(' '.join(sorted(sys.modules)))"
    )
    env = {**os.environ, "PYTHONPATH": str(PLATFORM)}
    env.pop("PLATFORM_CACHE", None)
    out = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, env=env, check=True)
    return set(out.stdout.split())


def test_a_warm_load_imports_no_pyyaml_and_a_cold_one_does(example: Path) -> None:
    assert "yaml" in loaded_modules(example)  # fills the cache
    main = program.pulumi_main(example / "Pulumi.yaml")
    assert document(example)["remembered"][PULUMI_MAIN_KEY][2] == {"value": main}
    assert "yaml" not in loaded_modules(example)
    (example / "tenants" / "acme-labs.yaml").write_text((example / "tenants" / "acme-labs.yaml").read_text() + "\n")
    assert "yaml" in loaded_modules(example)  # a changed file is read (and parsed with PyYAML's resolvers)


def test_the_cache_names_pyyaml_by_version_and_package_file(example: Path) -> None:
    load_project(example)
    written = document(example)
    status = os.stat(yaml.__file__)
    assert written["pyyaml"] == yaml.__version__
    assert written["pyyaml_file"] == [yaml.__file__, status.st_size, status.st_mtime_ns]


def test_a_cache_named_by_version_only_is_used_and_then_named_by_file(example: Path, mains: list[Path]) -> None:
    load_project(example)
    older = {key: value for key, value in document(example).items() if key not in ("pyyaml_file", "remembered")}
    older["files"]["tenants/acme-labs.yaml"][2]["name"] = "From The Cache"
    (example / CACHE_FILE).write_text(json.dumps(older))  # as a tree without pyyaml_file writes it
    mains.clear()
    assert load_project(example).tenants["acme-labs"].config.name == "From The Cache"
    assert len(mains) == 1
    assert document(example)["pyyaml_file"] is not None
    assert PULUMI_MAIN_KEY in document(example)["remembered"]


@pytest.mark.parametrize("change", [lambda file: [file[0] + "x", *file[1:]], lambda file: [*file[:2], file[2] + 1],
                                    lambda file: [file[0], file[1] + 1, file[2]]])
def test_a_cache_named_by_another_pyyaml_file_starts_afresh(example: Path, mains: list[Path], change: Any) -> None:
    """Another PyYAML package file (path, size or time: installed again) starts the cache afresh, its version
    the same or not (docs/configuration.md); only a cache naming no file at all is taken by version."""
    load_project(example)
    other = document(example)
    other["pyyaml_file"] = change(other["pyyaml_file"])
    other["files"]["tenants/acme-labs.yaml"][2]["name"] = "From The Cache"
    (example / CACHE_FILE).write_text(json.dumps(other))
    mains.clear()
    assert load_project(example).tenants["acme-labs"].config.name == "Acme Labs"
    assert len(mains) == 1
    written = document(example)
    status = os.stat(yaml.__file__)
    assert written["pyyaml_file"] == [yaml.__file__, status.st_size, status.st_mtime_ns]
    assert written["files"]["tenants/acme-labs.yaml"][2]["name"] == "Acme Labs"


def test_pulumi_main_is_read_again_when_pulumi_yaml_changes(example: Path, mains: list[Path]) -> None:
    load_project(example)
    mains.clear()
    load_project(example)
    assert mains == []  # remembered
    pulumi = example / "Pulumi.yaml"
    pulumi.write_text(pulumi.read_text().replace("main: stacks/", "main: elsewhere/"))
    age(example)
    with pytest.raises(ConfigError) as raised:
        load_project(example)
    assert len(mains) == 1
    assert any("elsewhere" in line for line in raised.value.lines())


def test_a_pulumi_yaml_link_is_read_every_time(example: Path, mains: list[Path]) -> None:
    pulumi = example / "Pulumi.yaml"
    (example / "Pulumi.real.yaml").write_text(pulumi.read_text())
    pulumi.unlink()
    pulumi.symlink_to("Pulumi.real.yaml")
    age(example)
    os.utime(example / "Pulumi.real.yaml", ns=(1, 1))
    for _ in range(3):
        load_project(example)
    assert len(mains) == 3
    assert PULUMI_MAIN_KEY not in document(example).get("remembered", {})


def test_a_malformed_pulumi_yaml_is_reported_every_time(example: Path, mains: list[Path]) -> None:
    (example / "Pulumi.yaml").write_text("main: [stacks\n")
    age(example)
    messages = []
    for _ in range(2):
        with pytest.raises(ConfigError) as raised:
            load_project(example)
        messages.append(raised.value.lines())
    assert messages[0] == messages[1]
    assert any("Pulumi.yaml" in line and "malformed YAML" in line for line in messages[0])
    assert len(mains) == 2


def test_remembered_answers_like_derive_and_keeps_no_exception_nor_recent_file(tmp_path: Path) -> None:
    (tmp_path / ".platform").mkdir()
    file = tmp_path / "f.txt"
    file.write_text("x")
    calls: list[Path] = []

    def derive(path: Path) -> object:
        calls.append(path)
        return {"n": len(calls)}

    cache = ParseCache(tmp_path)
    assert cache.remembered(file, "k", derive) == {"n": 1}  # modified just now: not kept
    cache.save()
    assert ParseCache(tmp_path).remembered(file, "k", derive) == {"n": 2}
    os.utime(file, ns=(1, 1))
    first = ParseCache(tmp_path)
    assert first.remembered(file, "k", derive) == {"n": 3}
    first.save()
    assert ParseCache(tmp_path).remembered(file, "k", derive) == {"n": 3}  # kept
    assert len(calls) == 3

    def failing(path: Path) -> object:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        ParseCache(tmp_path).remembered(file, "other", failing)
