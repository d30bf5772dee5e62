"""A cache of parsed configuration files, so that loading a large fleet does not parse unchanged YAML again.

`<root>/.platform/cache/parsed.json` holds, for each file by its shown name (`tenants/acme.yaml`), the file's size
and modification time in nanoseconds and the mapping it parsed to; `remembered` holds, the same way, values computed
from one file (Pulumi.yaml's `main:`). It is for one PyYAML: its version, and the path, size and modification time
of its package's `__init__.py` (`pyyaml_file`: while they are the same, the version is too, and a warm load never
imports PyYAML; a cache naming another is started afresh, one naming none, from an older tree, is used while the
version is the same). A file with the same size and modification time is not opened: its mapping comes from the
cache and goes through exactly the same validation as the YAML would.
Any other file is read with `yamlfile.read_mapping`, as without the cache, and so is a symbolic link (or a file
reached through a linked folder) every time: whether it may be read depends on where it leads, not on its status.

Only plain JSON data is kept (so the cache gives back exactly what PyYAML gave), never a file with problems, and
never a file modified in the last 2 seconds: an edit within the same timestamp tick that keeps the size would go
unnoticed (git's "racily clean" rule). The cache is an optimisation, never a failure: a missing, unreadable,
corrupt or outdated cache counts as empty, and a cache that cannot be written is not written.
`PLATFORM_CACHE=off` (or 0, false) turns it off. The mappings returned are shared with the cache: do not modify them.
Like everything under `.platform/`, the file is private (0600, its directory 0700).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import math
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from stat import S_ISLNK, S_ISREG
from typing import Any, TypeGuard

from tenantwave.config import yamlfile
from tenantwave.errors import Problem
from tenantwave.privacy.files import FILE_MODE, private_dirs

CACHE_FILE = Path(".platform") / "cache" / "parsed.json"
# bump when the file's layout or what yamlfile.read_mapping returns for a file changes (2: aliases and duplicate
# keys refused; `pyyaml_file` and `remembered` were added later, read as missing by a reader without them)
FORMAT_VERSION = 2
ENVIRONMENT_VARIABLE = "PLATFORM_CACHE"
OFF_VALUES = frozenset({"off", "0", "false"})
RACY_NANOSECONDS = 2_000_000_000  # files modified more recently than this are read, not cached
MAX_DEPTH = 100  # deeper data is not cached (json's recursion limits stay far away)
MAX_INT_BITS = 64
_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def cache_enabled() -> bool:
    """Whether the parse cache is on: yes unless PLATFORM_CACHE is off, 0 or false."""
    return os.environ.get(ENVIRONMENT_VARIABLE, "").strip().lower() not in OFF_VALUES


class ParseCache:
    """read_mapping() with the parsed mappings of unchanged files kept in `<root>/.platform/cache/parsed.json`.

    Create one per load, look every file up through it, then save(). Nothing is read before the first lookup.
    """

    def __init__(self, root: Path, *, also_inside: Path | None = None) -> None:
        self.path = root / CACHE_FILE
        self.also_inside = also_inside  # links into it count as inside the project (yamlfile.read_mapping)
        self.enabled = cache_enabled()
        self._stored: dict[str, Any] | None = None  # the cache file's entries, read at the first lookup
        self._pyyaml: list[Any] | None = None  # which PyYAML (_pyyaml_file()), found at the first lookup
        self._seen: dict[str, list[Any]] = {}  # the entries of the files looked up (and cacheable) in this load
        self._remembered: dict[str, Any] = {}  # the cache file's remembered values, read with its entries
        self._kept: dict[str, list[Any]] = {}  # the remembered values looked up (and cacheable) in this load
        self._changed = False
        self._session = yamlfile.ReadSession()  # what reading this load's files may remember between them

    def read_mapping(
        self, path: yamlfile.FilePath, shown: str, *, regular: bool = False
    ) -> tuple[dict[str, Any] | None, list[Problem]]:
        """The same as yamlfile.read_mapping(path, shown, regular=regular), without reading the file when the
        cache has it."""
        if not self.enabled:
            return self._read(path, shown, regular)
        stored = self._entries()
        try:
            # before reading: a change during the read then leaves an outdated size or time in the entry (a miss
            # next time), never outdated content under the current ones
            stat = os.lstat(path)
        except OSError:
            return self._read(path, shown)  # it reports the problem
        if S_ISLNK(stat.st_mode) or yamlfile.links_on_the_way(path, shown, self._session):
            return self._read(path, shown, regular)  # a link, or in a linked folder: see _miss
        entry = stored.get(shown)
        if _matches(entry, stat.st_size, stat.st_mtime_ns):
            self._seen[shown] = entry
            return entry[2], []
        return self._miss(path, shown, regular, stat)

    def _miss(
        self, path: yamlfile.FilePath, shown: str, regular: bool, stat: os.stat_result
    ) -> tuple[dict[str, Any] | None, list[Problem]]:
        """The file read, as without the cache, and its mapping kept when it may be (see the module's docstring)."""
        if S_ISLNK(stat.st_mode):
            # a symbolic link (the file, or a folder on its way) is read every time: where it leads decides
            # whether it may be read at all, which its target's size and time do not tell
            return self._read(path, shown, regular)
        data, problems = self._read(path, shown, regular)
        if data is not None:
            self._keep(self._seen, shown, stat, data)
        return data, problems

    def _keep(self, entries: dict[str, Any], key: str, stat: os.stat_result, data: dict[str, Any]) -> None:
        """Keep `data` under `key` with the size and time of the file it came from (`stat`), unless that file
        was modified in the last 2 seconds (an edit within the clock's tick would not show) or it is not plain
        JSON data."""
        if stat.st_mtime_ns <= time.time_ns() - RACY_NANOSECONDS and _is_plain(data):
            entries[key] = [stat.st_size, stat.st_mtime_ns, data]
            self._changed = True

    def read_folder(
        self, directory: str, folder: str, names: list[tuple[str, bool]]
    ) -> list[tuple[dict[str, Any] | None, list[Problem]]]:
        """read_mapping(f"{directory}/{name}", f"{folder}/{name}", regular=regular) for each (name, regular) in
        `names`, in order, where `directory` is the project's folder `folder` (one level under the root, as
        tenantload.config_files lists it). The same answers, with the folder's way from the root looked at once
        rather than once per file, and each file's status compared in one loop."""
        one_by_one = not names or not self.enabled
        if not one_by_one:
            stored = self._entries()
            first = names[0][0]
            one_by_one = yamlfile.links_on_the_way(f"{directory}/{first}", f"{folder}/{first}", self._session)
        if one_by_one:
            return [
                self.read_mapping(f"{directory}/{name}", f"{folder}/{name}", regular=regular) for name, regular in names
            ]
        try:
            # the folder itself, not a link put in its place since: each file's status is then taken in it (fstatat),
            # never through a link, and without looking up the way from / for each of them
            folder_fd = os.open(directory, _FOLDER_FLAGS)
        except OSError:
            return [
                self.read_mapping(f"{directory}/{name}", f"{folder}/{name}", regular=regular) for name, regular in names
            ]
        try:
            return self._read_in(folder_fd, directory, folder, names, stored)
        finally:
            os.close(folder_fd)

    def _read_in(
        self, folder_fd: int, directory: str, folder: str, names: list[tuple[str, bool]], stored: dict[str, Any]
    ) -> list[tuple[dict[str, Any] | None, list[Problem]]]:
        prefix, shown_prefix = f"{directory}/", f"{folder}/"
        seen, status_of, read = self._seen, os.stat, self._miss_in
        found: list[tuple[dict[str, Any] | None, list[Problem]]] = []
        for name, regular in names:
            shown = shown_prefix + name
            try:
                stat = status_of(name, dir_fd=folder_fd, follow_symlinks=False)
            except OSError:
                found.append(self._read(prefix + name, shown))  # it reports the problem
                continue
            entry = stored.get(shown)
            if (  # _matches, inline: 10,000 calls fewer
                type(entry) is list
                and len(entry) == 3
                and type(entry[0]) is int
                and type(entry[1]) is int
                and entry[0] == stat.st_size
                and entry[1] == stat.st_mtime_ns
                and type(entry[2]) is dict
                and not S_ISLNK(stat.st_mode)
            ):
                seen[shown] = entry
                found.append((entry[2], []))
            else:
                found.append(read(folder_fd, name, prefix + name, shown, regular, stat))
        return found

    def _miss_in(
        self, folder_fd: int, name: str, path: str, shown: str, regular: bool, stat: os.stat_result
    ) -> tuple[dict[str, Any] | None, list[Problem]]:
        """_miss for the file `name` of the folder open as `folder_fd`: read through that folder, never by its
        path (which may lead elsewhere by now: the folder moved, another in its place), its mapping kept with the
        size and time of the file opened (fstat), so both always come from one file. Anything but a regular
        file opened without following a link is read by its path, as without the cache, and not kept."""
        if not S_ISREG(stat.st_mode):
            return self._read(path, shown, regular)  # a link, FIFO, device...: read_mapping reports what it is
        try:
            descriptor = os.open(name, _FILE_FLAGS, dir_fd=folder_fd)  # O_NONBLOCK: a FIFO put there never blocks
        except OSError:
            return self._read(path, shown, regular)
        try:
            read = yamlfile.read_open(descriptor, shown, self._session)
        finally:
            os.close(descriptor)
        if read is None:
            return self._read(path, shown, regular)  # not a regular file of at most 1 MB now: it says which
        opened, (data, problems) = read
        if data is not None:
            self._keep(self._seen, shown, opened, data)
        return data, problems

    def remembered(self, path: Path, key: str, derive: Callable[[Path], Any]) -> Any:
        """derive(path), a value computed from that one file alone (Pulumi.yaml's `main:`), kept under `key` (never
        a configuration file's shown name) like a parsed mapping: not computed again while the file keeps its size
        and modification time. Whatever derive raises propagates and nothing is kept; a symbolic link, a file
        modified in the last 2 seconds or a value that is not plain JSON data is derived every time."""
        if not self.enabled:
            return derive(path)
        self._entries()
        try:
            stat = os.lstat(path)
        except OSError:
            return derive(path)  # it reports the problem
        if S_ISLNK(stat.st_mode):
            return derive(path)
        entry = self._remembered.get(key)
        if _matches(entry, stat.st_size, stat.st_mtime_ns) and entry[2].keys() == {"value"}:
            self._kept[key] = entry
            return entry[2]["value"]
        value = derive(path)
        self._keep(self._kept, key, stat, {"value": value})
        return value

    def _read(
        self, path: yamlfile.FilePath, shown: str, regular: bool = False
    ) -> tuple[dict[str, Any] | None, list[Problem]]:
        return yamlfile.read_mapping(
            path, shown, also_inside=self.also_inside, session=self._session, regular=regular
        )

    def save(self) -> None:
        """Write the entries of the files looked up in this load, if they differ from the cache file's; never fails.

        Entries of files not looked up (deleted tenants) are dropped. Writes only into an existing `.platform/`
        (creating `.platform/cache/`), so that validating or planning a fresh checkout leaves no files behind.
        """
        if not self.enabled or self._stored is None or self._pyyaml is None:
            return
        if (
            not self._changed
            and self._seen.keys() == self._stored.keys()
            and self._kept.keys() == self._remembered.keys()
        ):
            return
        directory = self.path.parent
        if not directory.parent.is_dir():
            return  # no .platform/ yet: reading the configuration does not create it
        import yaml  # imported already unless only remembered values changed

        document = {
            "format": FORMAT_VERSION,
            "pyyaml": yaml.__version__,
            "pyyaml_file": self._pyyaml,
            "files": self._seen,
            "remembered": self._kept,
        }
        try:
            text = json.dumps(document, allow_nan=False, separators=(",", ":"))
        except (ValueError, TypeError, RecursionError):  # pragma: no cover - _is_plain() lets no such data in
            return
        temporary = directory / f".{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            private_dirs(directory, within=directory.parent)
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            with contextlib.suppress(OSError):
                os.fchmod(descriptor, FILE_MODE)  # 0600 whatever the umask
            with open(descriptor, "w", encoding="ascii") as file:  # json.dumps escapes everything else
                file.write(text)
            os.replace(temporary, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            return
        self._stored = dict(self._seen)
        self._remembered = dict(self._kept)
        self._changed = False

    def _entries(self) -> dict[str, Any]:
        if self._stored is None:
            self._pyyaml = _pyyaml_file()
            self._stored = {}
            if self._pyyaml is not None:
                self._stored, self._remembered, known = _read_cache(self.path, self._pyyaml)
                # accepted by PyYAML's version, written without a pyyaml_file (older tree): the next save names it
                self._changed = not known and bool(self._stored or self._remembered)
        return self._stored


def _pyyaml_file() -> list[Any] | None:
    """Which PyYAML this process parses with, found without importing it: [path, size, modification time in
    nanoseconds] of its package's `__init__.py` (a PyYAML installed again, whatever its version, is another one);
    None when it cannot be found (then nothing is cached)."""
    try:
        spec = importlib.util.find_spec("yaml")
    except (ImportError, ValueError):
        return None
    origin = spec.origin if spec is not None else None
    if origin is None:
        return None
    try:
        status = os.stat(origin)
    except OSError:
        return None
    return [origin, status.st_size, status.st_mtime_ns]


def _read_cache(path: Path, pyyaml_file: list[Any]) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """The `files` and `remembered` of the cache file, and whether it names `pyyaml_file` (else PyYAML's version was
    compared, importing it); nothing when it is missing, unreadable, corrupt, of another format or another PyYAML:
    another `pyyaml_file`, or no `pyyaml_file` (an older tree wrote it) and another version."""
    try:
        document = json.loads(path.read_bytes(), parse_constant=_no_constant)
    except (OSError, ValueError, RecursionError):
        return {}, {}, False
    if (
        not isinstance(document, dict)
        or type(document.get("format")) is not int
        or document["format"] != FORMAT_VERSION
        or not isinstance(document.get("files"), dict)
    ):
        return {}, {}, False
    if "pyyaml_file" in document and document["pyyaml_file"] != pyyaml_file:
        return {}, {}, False  # another PyYAML (installed again, whatever its version): afresh
    known = "pyyaml_file" in document
    if not known:
        import yaml  # a cache written without its PyYAML's file (an older tree): its version decides

        if document.get("pyyaml") != yaml.__version__:
            return {}, {}, False
    remembered = document.get("remembered")
    files: dict[str, Any] = document["files"]
    return files, remembered if isinstance(remembered, dict) else {}, known


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _matches(entry: Any, size: int, mtime_ns: int) -> TypeGuard[list[Any]]:
    return (
        type(entry) is list
        and len(entry) == 3
        and type(entry[0]) is int
        and type(entry[1]) is int
        and entry[0] == size
        and entry[1] == mtime_ns
        and type(entry[2]) is dict
    )


def _is_plain(data: dict[str, Any]) -> bool:
    """Whether `data` comes back from JSON exactly as it is, type for type.

    Only dicts with string keys, lists, strings, bools, None, finite floats and integers of at most 64 bits.
    A container that appears twice (a YAML alias, or a cycle) is not plain either: JSON would copy it.
    """
    seen: set[int] = set()
    pending: list[tuple[Any, int]] = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        kind = type(value)
        if kind is str or kind is bool or value is None:
            continue
        if kind is int:
            if value.bit_length() > MAX_INT_BITS:
                return False
        elif kind is float:
            if not math.isfinite(value):
                return False
        elif kind is dict or kind is list:
            if depth >= MAX_DEPTH or id(value) in seen:
                return False
            seen.add(id(value))
            if kind is dict:
                if any(type(key) is not str for key in value):
                    return False
                pending.extend((item, depth + 1) for item in value.values())
            else:
                pending.extend((item, depth + 1) for item in value)
        else:
            return False
    return True
