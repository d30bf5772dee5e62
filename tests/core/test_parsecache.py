"""The parse cache: unchanged configuration files are not parsed (nor opened) again; anything doubtful is re-read."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.fleet import copy_example
from tenantwave.config import yamlfile
from tenantwave.config.loader import load_project
from tenantwave.config.models import Project
from tenantwave.config.parsecache import CACHE_FILE, FORMAT_VERSION, ParseCache
from tenantwave.errors import ConfigError, Problem

pytestmark = pytest.mark.unit

CONFIG_FILES = 14  # platform.yaml, 3 tiers, 10 tenants in the example


@pytest.fixture(autouse=True)
def cache_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLATFORM_CACHE", raising=False)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The shown names of the files actually read (parsed) by yamlfile.read_mapping or read_open, in order."""
    shown_names: list[str] = []
    real, real_open = yamlfile.read_mapping, yamlfile.read_open

    def counting(path: Path, shown: str, **options: Any) -> tuple[dict[str, Any] | None, list[Problem]]:
        shown_names.append(shown)
        return real(path, shown, **options)

    def counting_open(descriptor: int, shown: str, session: yamlfile.ReadSession) -> Any:
        shown_names.append(shown)
        return real_open(descriptor, shown, session)

    monkeypatch.setattr(yamlfile, "read_mapping", counting)
    monkeypatch.setattr(yamlfile, "read_open", counting_open)
    return shown_names


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the example whose files are old enough to be cached, with a .platform/ directory."""
    root = copy_example(tmp_path / "fleet")
    (root / ".platform").mkdir()
    age(root)
    return root


def age(root: Path, seconds: int = 60) -> None:
    """Set the modification time of every configuration file `seconds` into the past."""
    then = time.time_ns() - seconds * 1_000_000_000
    for path in [root / "platform.yaml", *root.glob("tiers/*"), *root.glob("tenants/*")]:
        os.utime(path, ns=(then, then))


def cached(root: Path) -> dict[str, Any]:
    """The files in the cache file: shown name -> [size, mtime_ns, mapping]."""
    files: dict[str, Any] = json.loads((root / CACHE_FILE).read_text())["files"]
    return files


def same(a: Project, b: Project) -> bool:
    return (a.platform, a.tiers, a.tenants, a.warnings) == (b.platform, b.tiers, b.tenants, b.warnings)


def problems_of(root: Path) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_project(root)
    return raised.value.lines()


def test_second_load_parses_nothing_and_gives_the_same_project(example: Path, reads: list[str]) -> None:
    first = load_project(example)
    assert len(reads) == CONFIG_FILES
    entries = cached(example)
    assert sorted(entries) == sorted(reads)
    acme = example / "tenants" / "acme-labs.yaml"
    assert entries["tenants/acme-labs.yaml"] == [
        acme.stat().st_size,
        acme.stat().st_mtime_ns,
        {"name": "Acme Labs", "tier": "basic", "environments": ["production-us"]},
    ]
    reads.clear()
    second = load_project(example)
    assert reads == []
    assert same(first, second)
    assert first.tenants == second.tenants and first.tiers == second.tiers


def test_a_hit_does_not_open_the_file(example: Path) -> None:
    load_project(example)
    document = json.loads((example / CACHE_FILE).read_text())
    document["files"]["tenants/acme-labs.yaml"][2]["name"] = "From The Cache"
    (example / CACHE_FILE).write_text(json.dumps(document))
    assert load_project(example).tenants["acme-labs"].config.name == "From The Cache"


def test_the_cache_file_is_read_at_the_first_lookup_not_before(example: Path) -> None:
    cache = ParseCache(example)  # nothing there yet
    load_project(example)
    document = json.loads((example / CACHE_FILE).read_text())
    document["files"]["platform.yaml"][2]["require_tenant"] = "from the cache"
    (example / CACHE_FILE).write_text(json.dumps(document))
    data, problems = cache.read_mapping(example / "platform.yaml", "platform.yaml")
    assert problems == [] and data is not None and data["require_tenant"] == "from the cache"


def test_an_edit_of_the_same_size_is_read_again(example: Path, reads: list[str]) -> None:
    load_project(example)
    bakery = example / "tenants" / "corner-bakery.yaml"
    text = bakery.read_text()
    edited = text.replace("[staging, production-us]", "[staging, production-eu]")
    assert edited != text and len(edited) == len(text)
    before = bakery.stat().st_mtime_ns
    bakery.write_text(edited)
    os.utime(bakery, ns=(before + 1_000, before + 1_000))  # old enough to cache, but another modification time
    reads.clear()
    project = load_project(example)
    assert reads == ["tenants/corner-bakery.yaml"]
    assert project.tenants["corner-bakery"].config.environments == ["staging", "production-eu"]
    assert cached(example)["tenants/corner-bakery.yaml"][2]["environments"] == ["staging", "production-eu"]
    reads.clear()
    assert same(load_project(example), project)
    assert reads == []


def test_a_racily_clean_file_is_not_cached(example: Path, reads: list[str]) -> None:
    bakery = example / "tenants" / "corner-bakery.yaml"
    os.utime(bakery)  # modified just now: an edit in the same tick, same size, would go unnoticed
    load_project(example)
    assert "tenants/corner-bakery.yaml" not in cached(example)
    assert len(cached(example)) == CONFIG_FILES - 1
    reads.clear()
    load_project(example)
    assert reads == ["tenants/corner-bakery.yaml"]


def test_a_deleted_tenant_leaves_the_cache(example: Path) -> None:
    load_project(example)
    assert "tenants/brightside.yaml" in cached(example)
    (example / "tenants" / "brightside.yaml").unlink()
    project = load_project(example)
    assert "brightside" not in project.tenants
    assert "tenants/brightside.yaml" not in cached(example)
    assert len(cached(example)) == CONFIG_FILES - 1


def test_nothing_is_written_when_nothing_changed(example: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_project(example)
    replaced: list[Any] = []
    monkeypatch.setattr(os, "replace", lambda *args: replaced.append(args))
    load_project(example)
    assert replaced == []
    assert [path.name for path in (example / CACHE_FILE).parent.iterdir()] == ["parsed.json"]  # no temporary left


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe",
        b"",
        b"[]",
        b'{"format": 1}',
        b'{"format": 1, "pyyaml": "%s", "files": []}' % yaml.__version__.encode(),
        b'{"format": 1, "pyyaml": "%s", "files": {"platform.yaml": "nonsense", "tiers/basic.yaml": [1, 2]}}'
        % yaml.__version__.encode(),
        b'{"format": 1, "pyyaml": "%s", "files": {}, "x": NaN}' % yaml.__version__.encode(),
        b"[" * 100_000,
    ],
    ids=["bad-json", "not-utf8", "empty", "a-list", "no-version", "files-a-list", "bad-entries", "nan", "deep"],
)
def test_a_corrupt_cache_is_ignored_and_replaced(example: Path, reads: list[str], content: bytes) -> None:
    expected = load_project(example)
    (example / CACHE_FILE).write_bytes(content)
    reads.clear()
    assert same(load_project(example), expected)
    assert len(reads) == CONFIG_FILES
    assert len(cached(example)) == CONFIG_FILES


@pytest.mark.parametrize(
    "change",
    [
        {"format": FORMAT_VERSION + 1},
        {"format": True},
        {"pyyaml": "0.1", "pyyaml_file": ["/elsewhere/yaml/__init__.py", 1, 2]},
        {"pyyaml": "0.1", "pyyaml_file": None},
    ],
    ids=["other-format", "format-not-an-int", "other-pyyaml", "other-pyyaml-unnamed"],
)
def test_a_cache_of_another_version_is_ignored(example: Path, reads: list[str], change: dict[str, Any]) -> None:
    load_project(example)
    document = json.loads((example / CACHE_FILE).read_text())
    document["files"]["tenants/acme-labs.yaml"][2]["name"] = "From The Cache"
    (example / CACHE_FILE).write_text(json.dumps({**document, **change}))
    reads.clear()
    project = load_project(example)
    assert len(reads) == CONFIG_FILES
    assert project.tenants["acme-labs"].config.name == "Acme Labs"
    assert json.loads((example / CACHE_FILE).read_text())["format"] == FORMAT_VERSION


def test_an_unwritable_cache_location_does_not_fail_the_load(example: Path, reads: list[str]) -> None:
    expected = load_project(example)
    (example / CACHE_FILE).unlink()
    (example / CACHE_FILE).parent.rmdir()
    (example / CACHE_FILE).parent.write_text("a file where the cache directory would be\n")
    reads.clear()
    assert same(load_project(example), expected)
    assert same(load_project(example), expected)
    assert len(reads) == 2 * CONFIG_FILES
    assert (example / CACHE_FILE).parent.read_text() == "a file where the cache directory would be\n"


def test_a_cache_file_that_is_a_directory_is_ignored(example: Path) -> None:
    (example / CACHE_FILE).mkdir(parents=True)
    expected = load_project(example)
    assert same(load_project(example), expected)
    assert list((example / CACHE_FILE).parent.iterdir()) == [example / CACHE_FILE]  # no temporary file left


def test_without_a_platform_directory_nothing_is_written(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "fresh")
    age(root)
    load_project(root)
    assert not (root / ".platform").exists()  # validating or planning a fresh checkout leaves nothing behind


def test_cache_off_neither_reads_nor_writes(example: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("off", "0", "false", "OFF"):
        monkeypatch.setenv("PLATFORM_CACHE", value)
        load_project(example)
        assert not (example / CACHE_FILE).exists()
    monkeypatch.delenv("PLATFORM_CACHE")
    load_project(example)
    document = json.loads((example / CACHE_FILE).read_text())
    document["files"]["tenants/acme-labs.yaml"][2]["name"] = "From The Cache"
    (example / CACHE_FILE).write_text(json.dumps(document))
    monkeypatch.setenv("PLATFORM_CACHE", "off")
    reads.clear()
    assert load_project(example).tenants["acme-labs"].config.name == "Acme Labs"
    assert len(reads) == CONFIG_FILES


def test_a_timestamp_is_not_cached_and_reported_the_same_way(example: Path, reads: list[str]) -> None:
    acme = example / "tenants" / "acme-labs.yaml"
    acme.write_text(acme.read_text().replace("name: Acme Labs", "name: 2024-01-01"))
    age(example)
    first = problems_of(example)
    assert first == ["tenants/acme-labs.yaml: name: input should be a valid string, got datetime.date(2024, 1, 1)"]
    assert "tenants/acme-labs.yaml" not in cached(example)
    assert len(cached(example)) == CONFIG_FILES - 1  # the rest is cached although the project is invalid
    reads.clear()
    assert problems_of(example) == first
    assert reads == ["tenants/acme-labs.yaml"]


def test_files_with_problems_are_not_cached_and_report_the_same_problems(example: Path, reads: list[str]) -> None:
    (example / "tenants" / "broken.yaml").write_text("tier: [basic\n")
    (example / "tenants" / "listed.yaml").write_text("- a list\n")
    (example / "tenants" / "unknown-tier.yaml").write_text("tier: gold\nenvironments: [staging]\n")
    age(example)
    first = problems_of(example)
    assert len(first) == 3
    files = cached(example)
    assert "tenants/broken.yaml" not in files and "tenants/listed.yaml" not in files
    assert "tenants/unknown-tier.yaml" in files  # it parsed; its problem comes from validation, every time
    reads.clear()
    assert problems_of(example) == first
    assert sorted(reads) == ["tenants/broken.yaml", "tenants/listed.yaml"]


@pytest.mark.parametrize(
    "text",
    [
        "when: 2024-01-01\n",
        "when: 2024-01-01T10:00:00Z\n",
        "blob: !!binary aGVsbG8=\n",
        "labels: !!set {a, b}\n",
        "nested: {1: one}\n",
        "nested: {null: one}\n",
        "ratio: .nan\n",
        "ratio: .inf\n",
        f"huge: {2**64}\n",
        "base: &base {a: 1}\nother: *base\n",
        "deep: " + "[" * 150 + "]" * 150 + "\n",
    ],
)
def test_data_that_json_would_not_give_back_is_not_cached(example: Path, text: str) -> None:
    path = example / "tenants" / "odd.yaml"
    path.write_text(text)
    age(example)
    cache = ParseCache(example)
    data, problems = cache.read_mapping(path, "tenants/odd.yaml")
    assert data is not None and problems == []
    cache.save()
    assert not (example / CACHE_FILE).exists()  # nothing cacheable, nothing cached before: nothing to write


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb: -2.5\nc: true\nd: null\ne: ''\nf: [1, [2, {g: h}]]\n", None),
        ("big: 9223372036854775807\nsmall: -0.0\nx: 1e300\n", None),
        ('text: "caf\\u00e9 \\U0001F600 \\t"\n', None),
        ("same: &s text\nagain: *s\n", None),  # aliases to scalars are fine: JSON gives equal strings back
        ("", {}),
    ],
)
def test_plain_data_comes_back_equal_type_for_type(example: Path, text: str, expected: dict[str, Any] | None) -> None:
    path = example / "tenants" / "plain.yaml"
    path.write_text(text)
    age(example)
    cache = ParseCache(example)
    parsed, _ = cache.read_mapping(path, "tenants/plain.yaml")
    cache.save()
    assert parsed is not None and (expected is None or parsed == expected)
    again, problems = ParseCache(example).read_mapping(path, "tenants/plain.yaml")
    assert problems == []
    assert repr(again) == repr(parsed)  # repr tells 1 from 1.0 and True, and -0.0 from 0.0


def test_a_missing_file_is_reported_as_without_the_cache(example: Path) -> None:
    cache = ParseCache(example)
    missing = example / "tenants" / "gone.yaml"
    assert cache.read_mapping(missing, "tenants/gone.yaml") == yamlfile.read_mapping(missing, "tenants/gone.yaml")


def _swap_for_outside_link(example: Path, tmp_path: Path, inside: Path) -> Path:
    """`inside` (a cached file or folder of the project) replaced by a symbolic link to a copy of it
    outside the project with the same size and modification time: only the link tells them apart."""
    outside = tmp_path / "elsewhere" / inside.name
    outside.parent.mkdir()
    if inside.is_dir():
        os.rename(inside, outside)
    else:
        outside.write_text(inside.read_text().replace("Acme Labs", "Acme Lads"))  # same size, other content
        info = inside.stat()
        os.utime(outside, ns=(info.st_atime_ns, info.st_mtime_ns))
        inside.unlink()
    inside.symlink_to(outside)
    return outside


@pytest.mark.parametrize("swapped", ["tenants/acme-labs.yaml", "tenants"])
def test_a_cached_file_that_became_a_link_outside_is_refused_as_without_the_cache(
    example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, swapped: str
) -> None:
    load_project(example)
    assert "tenants/acme-labs.yaml" in cached(example)
    outside = _swap_for_outside_link(example, tmp_path, example / swapped)
    monkeypatch.setenv("PLATFORM_CACHE", "off")
    cold = problems_of(example)
    target = outside.resolve() / "acme-labs.yaml" if swapped == "tenants" else outside.resolve()
    refusal = "outside the project: configuration files must be inside it (copy the file in instead)"
    assert f"tenants/acme-labs.yaml: is a symbolic link to {target}, {refusal}" in cold
    monkeypatch.delenv("PLATFORM_CACHE")
    assert problems_of(example) == cold  # the warm load: the same refusal, never the cached mapping


def test_a_link_inside_the_project_reads_the_same_warm_as_cold(example: Path, reads: list[str]) -> None:
    (example / "tenants" / "acme-copy.yaml").symlink_to("acme-labs.yaml")
    age(example)
    cold = load_project(example)
    reads.clear()
    warm = load_project(example)
    assert same(cold, warm) and warm.tenants["acme-copy"].config.name == "Acme Labs"
    assert reads == ["tenants/acme-copy.yaml"]  # a link is read every time, never answered from the cache
