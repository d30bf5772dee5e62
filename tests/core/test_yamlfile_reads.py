"""Reading configuration files through one ReadSession (a load of many files) refuses and reports
exactly what reading each file alone does: links leading outside the project (the file, or a
directory on its way, such as tenants/ itself), links inside it followed, FIFOs, missing files, broken
links, files over the limit, and files that grow between their status and their reading."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tenantwave.config import yamlfile
from tenantwave.config.yamlfile import ReadSession, read_mapping

pytestmark = pytest.mark.unit

TENANT = "tier: basic\nenvironments: [staging]\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "tenants").mkdir(parents=True)
    (project / "tenants" / "plain.yaml").write_text(TENANT)
    return project


def both(path: Path, shown: str, session: ReadSession) -> tuple[object, list[str]]:
    """read_mapping's answer through the shared session, checked against a fresh read."""
    data, problems = read_mapping(path, shown, session=session)
    alone, alone_problems = read_mapping(path, shown)
    assert (data, problems) == (alone, alone_problems)
    return data, [str(problem) for problem in problems]


def test_links_fifos_and_missing_files_through_one_session(root: Path, tmp_path: Path) -> None:
    tenants = root / "tenants"
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(TENANT)
    (root / "shared.yaml").write_text(TENANT)
    (tenants / "inside.yaml").symlink_to("../shared.yaml")
    (tenants / "outside.yaml").symlink_to(outside)
    (tenants / "broken.yaml").symlink_to(tmp_path / "nothing.yaml")
    os.mkfifo(tenants / "pipe.yaml")
    session = ReadSession()
    expected = {"tier": "basic", "environments": ["staging"]}
    assert both(tenants / "plain.yaml", "tenants/plain.yaml", session) == (expected, [])
    assert both(tenants / "inside.yaml", "tenants/inside.yaml", session) == (expected, [])
    assert both(tenants / "outside.yaml", "tenants/outside.yaml", session) == (None, [
        f"tenants/outside.yaml: is a symbolic link to {outside}, outside the project: configuration files "
        "must be inside it (copy the file in instead)"
    ])
    assert both(tenants / "broken.yaml", "tenants/broken.yaml", session) == (
        None, ["tenants/broken.yaml: cannot be read: No such file or directory"]
    )
    assert both(tenants / "pipe.yaml", "tenants/pipe.yaml", session) == (
        None, ["tenants/pipe.yaml: is not a regular file"]
    )
    assert both(tenants / "gone.yaml", "tenants/gone.yaml", session) == (
        None, ["tenants/gone.yaml: cannot be read: No such file or directory"]
    )


def test_a_tenants_directory_linked_outside_refuses_every_file(root: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "stranger.yaml").write_text(TENANT)
    (elsewhere / "other.yaml").write_text(TENANT)
    (root / "tenants" / "plain.yaml").unlink()
    (root / "tenants").rmdir()
    (root / "tenants").symlink_to(elsewhere)
    session = ReadSession()
    for name in ("stranger", "other"):  # the second from the session's memory of the first
        data, problems = both(root / "tenants" / f"{name}.yaml", f"tenants/{name}.yaml", session)
        assert data is None and problems == [
            f"tenants/{name}.yaml: is a symbolic link to {elsewhere / f'{name}.yaml'}, outside the project: "
            "configuration files must be inside it (copy the file in instead)"
        ]


def test_a_tenants_directory_linked_inside_the_project_is_followed(root: Path) -> None:
    (root / "tenants").rename(root / "real-tenants")
    (root / "tenants").symlink_to("real-tenants")
    session = ReadSession()
    assert both(root / "tenants" / "plain.yaml", "tenants/plain.yaml", session)[1] == []


def test_a_directory_checked_once_per_session(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    real = os.path.islink
    monkeypatch.setattr(yamlfile.os.path, "islink", lambda path: asked.append(str(path)) or real(path))
    session = ReadSession()
    for index in range(3):
        (root / "tenants" / f"t{index}.yaml").write_text(TENANT)
        read_mapping(root / "tenants" / f"t{index}.yaml", f"tenants/t{index}.yaml", session=session)
    assert asked == [str(root / "tenants")]


@pytest.mark.parametrize("size", [0, 1, 99, 4096, yamlfile.MAX_FILE_BYTES])
def test_files_up_to_the_limit_are_read_whole(tmp_path: Path, size: int) -> None:
    path = tmp_path / "tenants" / "t.yaml"
    path.parent.mkdir()
    text = ("a: " + "x" * max(0, size - 4) + "\n")[:size] if size >= 4 else "\n" * size
    path.write_text(text)
    data, problems = read_mapping(path, "tenants/t.yaml")
    assert problems == [] and (data == {} if size < 4 else data == {"a": "x" * (size - 4)})


def test_a_file_that_grows_after_its_status_is_read_up_to_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tenants" / "t.yaml"
    path.parent.mkdir()
    path.write_text("a: b\n")
    real_lstat = os.lstat

    def lstat_then_grow(target: object) -> os.stat_result:
        info = real_lstat(target)  # type: ignore[arg-type]
        if str(target) == str(path):
            with path.open("a") as handle:
                handle.write("c: " + "d" * 100 + "\n")
        return info

    monkeypatch.setattr(yamlfile.os, "lstat", lstat_then_grow)
    assert read_mapping(path, "tenants/t.yaml") == ({"a": "b", "c": "d" * 100}, [])
    path.write_text("a: b\n")
    monkeypatch.setattr(yamlfile, "MAX_FILE_BYTES", 50)
    data, problems = read_mapping(path, "tenants/t.yaml")
    assert data is None and [str(p) for p in problems] == [
        "tenants/t.yaml: is more than 50 bytes; configuration files are at most 1 MB"
    ]


# -- the directory entry's hint (regular=True): the same answers, fewer path look-ups ------------


def test_the_regular_hint_changes_no_answer_whatever_the_file_has_become(root: Path, tmp_path: Path) -> None:
    """A hint is a directory entry's word, possibly stale: whatever is at the path now, the answer with
    it is the answer without it (links inside and outside, broken, FIFO, missing, too large)."""
    tenants = root / "tenants"
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(TENANT)
    (root / "shared.yaml").write_text(TENANT)
    (tenants / "inside.yaml").symlink_to("../shared.yaml")
    (tenants / "outside.yaml").symlink_to(outside)
    (tenants / "broken.yaml").symlink_to(tmp_path / "nothing.yaml")
    os.mkfifo(tenants / "pipe.yaml")  # would block an open without O_NONBLOCK
    with (tenants / "huge.yaml").open("wb") as handle:
        handle.truncate(4 * 1024**3)
    (tenants / "bad.yaml").write_bytes(b"tier: \xff\n")
    (tenants / "broken-yaml.yaml").write_text("tier: [\n")
    names = ["plain", "inside", "outside", "broken", "pipe", "huge", "gone", "bad", "broken-yaml"]
    hinted, plain = ReadSession(), ReadSession()
    for name in names:
        path, shown = tenants / f"{name}.yaml", f"tenants/{name}.yaml"
        answer = read_mapping(str(path), shown, session=hinted, regular=True)
        assert answer == read_mapping(path, shown, session=plain), name
        assert answer == read_mapping(path, shown), name
    assert read_mapping(tenants / "plain.yaml", "tenants/plain.yaml", regular=True) == (
        {"tier": "basic", "environments": ["staging"]}, []
    )


def test_the_regular_hint_is_refused_under_a_tenants_directory_linked_outside(root: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "stranger.yaml").write_text(TENANT)
    (root / "tenants" / "plain.yaml").unlink()
    (root / "tenants").rmdir()
    (root / "tenants").symlink_to(elsewhere)
    data, problems = read_mapping(root / "tenants" / "stranger.yaml", "tenants/stranger.yaml", regular=True)
    assert data is None and [str(p) for p in problems] == [
        f"tenants/stranger.yaml: is a symbolic link to {elsewhere / 'stranger.yaml'}, outside the project: "
        "configuration files must be inside it (copy the file in instead)"
    ]


def test_with_the_hint_a_file_is_opened_without_a_status_of_its_path(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the hint is for: no lstat/stat of the file's path (its descriptor's status instead)."""
    asked: list[str] = []
    path = root / "tenants" / "plain.yaml"
    real_lstat, real_stat = os.lstat, os.stat

    def spying(real: Any) -> Any:
        def status(target: Any, *args: Any, **kwargs: Any) -> os.stat_result:
            if str(target) == str(path):
                asked.append(str(target))
            return real(target, *args, **kwargs)  # type: ignore[no-any-return]
        return status

    monkeypatch.setattr(yamlfile.os, "lstat", spying(real_lstat))
    monkeypatch.setattr(yamlfile.os, "stat", spying(real_stat))
    assert read_mapping(str(path), "tenants/plain.yaml", regular=True)[1] == []
    assert asked == []
    assert read_mapping(str(path), "tenants/plain.yaml")[1] == []
    assert asked == [str(path)]


def test_with_the_hint_a_file_that_grows_after_its_status_is_read_up_to_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tenants" / "t.yaml"
    path.parent.mkdir()
    path.write_text("a: b\n")
    real_fstat = os.fstat

    def fstat_then_grow(descriptor: int) -> os.stat_result:
        info = real_fstat(descriptor)
        with path.open("a") as handle:
            handle.write("c: " + "d" * 100 + "\n")
        return info

    monkeypatch.setattr(yamlfile.os, "fstat", fstat_then_grow)
    assert read_mapping(path, "tenants/t.yaml", regular=True) == ({"a": "b", "c": "d" * 100}, [])
    path.write_text("a: b\n")
    monkeypatch.setattr(yamlfile, "MAX_FILE_BYTES", 50)
    data, problems = read_mapping(path, "tenants/t.yaml", regular=True)
    assert data is None and [str(p) for p in problems] == [
        "tenants/t.yaml: is more than 50 bytes; configuration files are at most 1 MB"
    ]


def test_a_way_found_clear_does_not_clear_another_one(root: Path, tmp_path: Path) -> None:
    """The session remembers the ways (directories up to the file) found without a link, by their exact
    text: a file in another directory, linked outside, is still refused after a clear one was read."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "stranger.yaml").write_text(TENANT)
    (root / "linked").symlink_to(elsewhere)
    session = ReadSession()
    for _ in range(2):
        assert read_mapping(root / "tenants" / "plain.yaml", "tenants/plain.yaml", session=session)[1] == []
        data, problems = read_mapping(str(root / "linked" / "stranger.yaml"), "linked/stranger.yaml",
                                      session=session, regular=True)
        assert data is None and [str(p) for p in problems] == [
            f"linked/stranger.yaml: is a symbolic link to {elsewhere / 'stranger.yaml'}, outside the project: "
            "configuration files must be inside it (copy the file in instead)"
        ]


def test_a_read_that_gives_less_than_asked_is_not_the_end_of_the_file() -> None:
    """Only an empty read ends a file: a short read (network or FUSE file systems, a signal) is read on
    from, or a configuration file would be cut short. A pipe gives its bytes as they are written."""
    import os
    import threading
    import time

    from tenantwave.config.yamlfile import _read_up_to_limit

    reading, writing = os.pipe()

    def write_in_two_parts() -> None:
        os.write(writing, b"tier: basic\n")
        time.sleep(0.2)
        os.write(writing, b"environments: [prod]\n")
        os.close(writing)

    writer = threading.Thread(target=write_in_two_parts)
    writer.start()
    try:
        assert _read_up_to_limit(reading, len(b"tier: basic\nenvironments: [prod]\n")) == (
            b"tier: basic\nenvironments: [prod]\n"
        )
    finally:
        writer.join()
        os.close(reading)
