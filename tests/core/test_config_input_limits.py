"""Configuration files that would exhaust the machine or crash a command are refused with one
problem naming the file: nested aliases, a huge file (its size checked before reading), duplicate
keys, a symbolic link leading outside the project, a FIFO."""

from __future__ import annotations

import os
import re
import time
import tracemalloc
from pathlib import Path

import pytest

from support.clirunner import Platform
from support.fleet import copy_example
from tenantwave.config.yamlfile import read_mapping

pytestmark = pytest.mark.unit

# 496 bytes: eight levels of nine aliases, 9**8 (43 million) strings once expanded
BOMB = "tier: basic\nenvironments: [staging]\nname: &a0 x\n" + "".join(
    f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]\n" for level in range(1, 9)
) + "parameters: *a8\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_example(tmp_path / "fleet")
    monkeypatch.chdir(root)
    return root


def validate(platform: Platform) -> tuple[int, str]:
    result = platform("validate")
    assert "Traceback" not in result.output
    return result.exit_code, result.stderr


def test_nested_aliases_are_refused_at_once(project: Path, platform: Platform) -> None:
    (project / "tenants" / "bomb.yaml").write_text(BOMB)
    assert len(BOMB) < 600
    tracemalloc.start()
    started = time.process_time()
    try:
        code, err = validate(platform)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 2
    assert re.search(
        r"tenants/bomb\.yaml: YAML aliases expand it to [\d,]{10,} values \([\d,]+ written out; "
        r"at most 100,000 more are allowed\); write the values out instead",
        err,
    ), err
    assert peak < 50_000_000 and time.process_time() - started < 30  # not gigabytes, not minutes


def test_modest_aliases_are_fine_and_a_loop_is_not(tmp_path: Path) -> None:
    path = tmp_path / "tenants" / "ok.yaml"
    path.parent.mkdir()
    path.write_text("a: &shared {x: 1, y: [1, 2]}\nb: *shared\nc: *shared\n")
    data, problems = read_mapping(path, "tenants/ok.yaml")
    shared = {"x": 1, "y": [1, 2]}
    assert problems == [] and data == {"a": shared, "b": shared, "c": shared}
    path.write_text("loop: &loop [*loop]\n")
    data, problems = read_mapping(path, "tenants/ok.yaml")
    assert data is None and [str(p) for p in problems] == [
        "tenants/ok.yaml: a YAML alias refers to a value that contains it; write the values out instead"
    ]


def test_a_huge_file_is_refused_without_being_read(tmp_path: Path) -> None:
    huge = tmp_path / "tenants" / "huge.yaml"
    huge.parent.mkdir()
    with huge.open("wb") as handle:
        handle.truncate(4 * 1024**3)  # 4 GB, sparse
    tracemalloc.start()
    try:
        data, problems = read_mapping(huge, "tenants/huge.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert data is None
    assert [str(p) for p in problems] == [
        "tenants/huge.yaml: is 4294967296 bytes; configuration files are at most 1 MB"
    ]
    assert peak < 1_000_000


def test_duplicate_keys_are_an_error_everywhere(project: Path, platform: Platform) -> None:
    path = project / "tenants" / "corner-bakery.yaml"
    line = len(path.read_text().splitlines()) + 1  # the example's file may grow
    path.write_text(path.read_text() + "tier: premium\n")
    code, err = validate(platform)
    assert code == 2
    assert f"tenants/corner-bakery.yaml: line {line}, column 1: malformed YAML: found duplicate key 'tier'" in err
    moved = platform("tenant", "move", "corner-bakery", "--tier", "standard", "--dry-run")
    assert moved.exit_code == 2 and "Traceback" not in moved.output and "internal error" not in moved.output
    assert "found duplicate key 'tier'" in moved.stderr


def test_a_link_inside_the_project_is_followed_and_one_leading_outside_is_refused(
    project: Path, platform: Platform, tmp_path: Path
) -> None:
    shared = project / "shared"
    shared.mkdir()
    (project / "tenants" / "corner-bakery.yaml").rename(shared / "corner-bakery.yaml")
    (project / "tenants" / "corner-bakery.yaml").symlink_to("../shared/corner-bakery.yaml")
    assert validate(platform)[0] == 0
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("tier: basic\nenvironments: [staging]\n")
    (project / "tenants" / "stranger.yaml").symlink_to(outside)
    code, err = validate(platform)
    assert code == 2
    assert (
        f"tenants/stranger.yaml: is a symbolic link to {outside}, outside the project: configuration files "
        "must be inside it (copy the file in instead)"
    ) in err


def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "tenants" / "pipe.yaml"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    data, problems = read_mapping(fifo, "tenants/pipe.yaml")  # would block forever if opened
    assert data is None and [str(p) for p in problems] == ["tenants/pipe.yaml: is not a regular file"]


@pytest.mark.parametrize("folder", ["tenants", "tiers"])
def test_a_symbolic_link_loop_is_a_problem_not_an_internal_error(
    project: Path, platform: Platform, folder: str
) -> None:
    (project / folder / "loop.yaml").symlink_to("loop.yaml")
    (project / folder / "ping.yaml").symlink_to("pong.yaml")
    (project / folder / "pong.yaml").symlink_to("ping.yaml")
    code, err = validate(platform)
    assert "internal error" not in err
    assert code == 2
    for name in ("loop", "ping", "pong"):
        assert f"{folder}/{name}.yaml: cannot be read: Too many levels of symbolic links" in err
    listed = platform("validate", "--json")
    assert listed.exit_code == 2 and listed.json()["valid"] is False


@pytest.mark.parametrize("folder", ["tenants", "tiers"])
def test_an_entry_that_cannot_be_read_is_a_problem_not_a_tenant_silently_gone(
    project: Path, platform: Platform, folder: str
) -> None:
    """A FIFO, a socket or a dangling link named <id>.yaml is reported (exit 2), never skipped: a skipped
    tenant file would take the tenant out of the configuration without a word. Nothing is opened first."""
    import socket

    os.mkfifo(project / folder / "pipe.yaml")  # reading it would block
    (project / folder / "gone.yaml").symlink_to("nowhere.yaml")
    listener = socket.socket(socket.AF_UNIX)
    try:
        listener.bind(str(project / folder / "sock.yaml"))
        code, err = validate(platform)
    finally:
        listener.close()
    assert "internal error" not in err
    assert code == 2
    assert f"{folder}/pipe.yaml: is not a regular file" in err
    assert f"{folder}/sock.yaml: is not a regular file" in err
    assert f"{folder}/gone.yaml: cannot be read: No such file or directory" in err
