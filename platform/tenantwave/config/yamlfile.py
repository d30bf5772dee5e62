"""Reading one YAML file into plain data, with problems instead of exceptions.

A configuration file cannot exhaust the machine: its size is checked before it is read (at most
1 MB, a regular file: never a FIFO or a device), YAML aliases may not expand it by more than
100,000 values, nor refer to themselves (a few hundred bytes of nested aliases expand into
gigabytes in whatever walks the data; the size is computed on the parsed graph before anything
walks it), duplicate keys are an error (not the last one silently winning), and a symbolic link
is followed only when it leads to a file inside the project (`shown` is the file's path relative
to the project root), or inside `also_inside` (a scratch copy of a project made of links into the
real one: tenant commands).

Most files have the simple shape `simpleyaml` reads without PyYAML's nodes (the same mapping, or it
declines and PyYAML reads the file). A `ReadSession` carries what one load of many files may
remember: which directories on the way from the project root are not links, what plain scalars mean.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from tenantwave.config.simpleyaml import Scalars, parse
from tenantwave.errors import Problem

if TYPE_CHECKING:
    import yaml

FilePath = str | Path  # where a file is: a string costs less than a Path when there are 10,000 of them
MAX_FILE_BYTES = 1_000_000
ALIAS_MARKS = (b"*", b"&")  # without either, a document has no alias: no expansion to measure
MAX_EXPANSION = 100_000  # values that aliases may add to what the file writes out


class _TooLarge(Exception):
    """The aliases of a document expand too far, or into a loop."""


_strict_loaders: list[type[yaml.SafeLoader]] = []  # the one class strict_loader() makes, once made


def strict_loader() -> type[yaml.SafeLoader]:
    """PyYAML's safe loader (libyaml's when PyYAML has it), refusing a key that appears twice in one mapping.

    Made (and PyYAML imported) at the first file actually read: a load whose files all come from the parse
    cache never imports PyYAML, a tenth of a warm `plan`'s imports."""
    if not _strict_loaders:
        _strict_loaders.append(_make_strict_loader())
    return _strict_loaders[0]


def _make_strict_loader() -> type[yaml.SafeLoader]:
    import yaml
    from yaml.constructor import ConstructorError

    base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # SafeLoader: no libyaml

    class _StrictLoader(base):  # type: ignore[misc,valid-type]
        """The safe loader, refusing a key that appears twice in one mapping."""

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
            seen: set[Any] = set()
            for key_node, _value in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                except TypeError:
                    continue  # unhashable: the base class says so
                if duplicate:
                    raise ConstructorError("while constructing a mapping", node.start_mark,
                                           f"found duplicate key {key!r}", key_node.start_mark)
                seen.add(key)
            return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]

    return _StrictLoader


class ReadSession:
    """What reading the files of one load may remember between files (make one per load: a directory
    replaced by a link, or a resolver added to the loader, is seen by the next load)."""

    def __init__(self) -> None:
        self._scalars: Scalars | None = None
        self.not_links: set[str] = set()  # directories on the way from the root found not to be links
        self.clear_ways: set[tuple[str, int]] = set()  # (a path up to its last "/", depth) found without links

    @property
    def scalars(self) -> Scalars:
        """What plain scalars mean to the strict loader, made at the session's first file read."""
        if self._scalars is None:
            self._scalars = Scalars(strict_loader())
        return self._scalars


def read_mapping(
    path: FilePath,
    shown: str,
    *,
    also_inside: Path | None = None,
    session: ReadSession | None = None,
    regular: bool = False,
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The top-level mapping of `path`, or None with the problems that prevented reading it.

    `regular`: the caller's directory entry (os.DirEntry: its type, no system call) says the file is a
    regular file and not a symbolic link. It is then opened without following a link and checked by its
    descriptor's status instead of its path's (two path look-ups fewer); whenever that does not simply
    succeed (it has become a link, is not a regular file, is too large, cannot be opened), the file is
    read as without the hint, so the answer and every problem are the same."""
    session = session or ReadSession()
    read = _read_entry(path, shown, session) if regular else None
    raw, unreadable = read if read is not None else _read(path, shown, also_inside, session)
    if raw is None:
        return None, [unreadable] if unreadable else []
    return _mapping_of(raw, shown, session)


def read_open(
    descriptor: int, shown: str, session: ReadSession
) -> tuple[os.stat_result, tuple[dict[str, Any] | None, list[Problem]]] | None:
    """The status (fstat) of the open file `descriptor` and what read_mapping answers for its bytes, both from
    that one file; None when its status is not a regular file of at most 1 MB or it cannot be read (read it by
    its path then, with read_mapping: it reports why). The caller opened it (without following a link)."""
    read = _descriptor_bytes(descriptor, shown)
    if read is None:
        return None
    info, raw, too_large = read
    if raw is None:
        return info, (None, [too_large] if too_large else [])
    return info, _mapping_of(raw, shown, session)


def _descriptor_bytes(descriptor: int, shown: str) -> tuple[os.stat_result, bytes | None, Problem | None] | None:
    """The status (fstat) of the open file `descriptor` and its bytes, or the problem of a file that grew past
    the limit while read (what `_read` says then); None when its status is not a regular file of at most
    1 MB or it cannot be read."""
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            return None
        raw = _read_up_to_limit(descriptor, info.st_size)
    except OSError:
        return None
    if len(raw) > MAX_FILE_BYTES:  # it grew past the limit after its status: what _read says then
        too_large = f"is more than {MAX_FILE_BYTES} bytes; configuration files are at most 1 MB"
        return info, None, Problem(shown, "", too_large)
    return info, raw, None


def _mapping_of(raw: bytes, shown: str, session: ReadSession) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The top-level mapping of a file's bytes, or None with its problems (read_mapping's answer)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(shown, "", f"is not UTF-8 text (byte {exc.start}); save it as UTF-8")]
    simple = parse(text, session.scalars)
    if simple is not None:
        return simple, []  # what PyYAML gives for this text (simpleyaml), a mapping with string keys
    import yaml  # imported already: session.scalars made the loader

    try:
        data = _load(text, aliases=any(mark in raw for mark in ALIAS_MARKS))
    except _TooLarge as exc:
        return None, [Problem(shown, "", f"{exc}; write the values out instead")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        problem = exc.problem or "malformed YAML"
        return None, [Problem(shown, where, f"malformed YAML: {problem}")]
    except yaml.YAMLError as exc:
        return None, [Problem(shown, "", f"malformed YAML: {exc}")]
    except RecursionError:
        return None, [Problem(shown, "", "malformed YAML: nested too deeply")]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        kind = type(data).__name__
        return None, [Problem(shown, "", f"must be a mapping of keys to values, not a {kind}")]
    bad_keys = [key for key in data if not isinstance(key, str)]
    if bad_keys:
        return None, [Problem(shown, repr(bad_keys[0])[:80], "keys must be strings")]
    return data, []


def _read(
    path: FilePath, shown: str, also_inside: Path | None, session: ReadSession
) -> tuple[bytes | None, Problem | None]:
    """The file's bytes, checked before they are read; else the problem."""
    try:
        info = os.lstat(path)  # the file's own status unless it is a link (then: where it leads)
    except OSError:
        info = None  # os.stat below reports it, after the link check as always
    if info is None or stat.S_ISLNK(info.st_mode) or _links_on_the_way(os.fspath(path), shown, session):
        outside = _outside_project(path, shown, also_inside)
        if outside is not None:
            return None, Problem(shown, "", f"is a symbolic link to {outside}, outside the project: "
                                            "configuration files must be inside it (copy the file in instead)")
        info = None
    try:
        if info is None:
            info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return None, Problem(shown, "", "is not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            return None, Problem(shown, "", f"is {info.st_size} bytes; configuration files are at most 1 MB")
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            raw = _read_up_to_limit(descriptor, info.st_size)
        finally:
            os.close(descriptor)
    except OSError as exc:
        return None, Problem(shown, "", f"cannot be read: {exc.strerror or exc}")
    if len(raw) > MAX_FILE_BYTES:
        return None, Problem(shown, "", f"is more than {MAX_FILE_BYTES} bytes; configuration files are at most 1 MB")
    return raw, None


_ENTRY_FLAGS = os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY


def _read_entry(path: FilePath, shown: str, session: ReadSession) -> tuple[bytes | None, Problem | None] | None:
    """The bytes of a file its directory entry says is regular, not a link, opened without following
    one and checked by its descriptor, as `_read` answers; None when `_read` must read it instead (a link
    on the way or in its place now, not a regular file, too large, not openable: `_read` says which)."""
    if _links_on_the_way(os.fspath(path), shown, session):
        return None
    try:
        descriptor = os.open(path, _ENTRY_FLAGS)  # O_NONBLOCK: a FIFO put in its place never blocks the open
    except OSError:
        return None
    try:
        read = _descriptor_bytes(descriptor, shown)
    finally:
        os.close(descriptor)
    return None if read is None else read[1:]


def _read_up_to_limit(descriptor: int, size: int) -> bytes:
    """The regular file's bytes, at most MAX_FILE_BYTES + 1 (more than the limit: too large). Asks for
    its `size` (from its status) + 1 first, not for a 1 MB buffer; reads on when it has grown since.
    Only an empty read is the end: a read may give less than asked before it (a network or FUSE file
    system, a signal), and a configuration file cut short could silently drop a tenant's settings."""
    raw = b""
    wanted = size + 1
    while len(raw) < wanted:
        chunk = os.read(descriptor, wanted - len(raw))
        if not chunk:
            break
        raw += chunk
        if len(raw) == wanted:
            wanted = MAX_FILE_BYTES + 1  # it has grown since its status was taken: read on, up to the limit
    return raw


def links_on_the_way(path: FilePath, shown: str, session: ReadSession) -> bool:
    """Whether a folder between the project root and the file `path` (`shown` from the root) may be a
    symbolic link (asked once per folder and session): parsecache then reads the file, as without it."""
    return _links_on_the_way(os.fspath(path), shown, session)


def _links_on_the_way(path: str, shown: str, session: ReadSession) -> bool:
    """Whether a directory between the project root and the file `path` (the file itself aside) may
    be a symbolic link: the directories `_outside_project` looks at, each asked once per session."""
    simple = "/." not in shown and "//" not in shown and shown[:1] not in "/." and shown[-1:] != "/"
    depth = shown.count("/") + 1 if simple else len(PurePosixPath(shown).parts)  # the same, without a path
    way = (path[: path.rfind("/") + 1], depth)  # the directories looked at depend on nothing else
    if way in session.clear_ways:
        return False
    directory = path
    for _ in range(depth - 1):
        directory = os.path.dirname(directory)
        if directory not in session.not_links:
            if os.path.islink(directory):
                return True
            session.not_links.add(directory)
    session.clear_ways.add(way)
    return False


def _outside_project(file: FilePath, shown: str, also_inside: Path | None = None) -> Path | None:
    """Where `file` really leads when a symbolic link on its way from the project root takes it
    outside the root; None when it stays inside (or has no link, the common case: a few lstat)."""
    path = Path(file)
    depth = len(PurePosixPath(shown).parts)
    if depth == 0 or len(path.parents) < depth:
        return None
    root = path.parents[depth - 1]
    steps = [path, *path.parents[: depth - 1]]
    if not any(os.path.islink(step) for step in steps):
        return None
    try:
        real = path.resolve(strict=True)
        roots = [root.resolve(strict=True), *([also_inside.resolve(strict=True)] if also_inside else [])]
    except (OSError, RuntimeError):
        return None  # a broken link or a loop: reading it reports that
    return None if any(real.is_relative_to(inside) for inside in roots) else real


def _load(text: str, *, aliases: bool) -> Any:
    """yaml.load with the strict loader, measuring what aliases expand to before constructing."""
    loader = strict_loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if aliases:
            _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_expansion(root: yaml.Node) -> None:
    """_TooLarge when the graph (aliases are shared nodes) holds a loop or expands to more than
    MAX_EXPANSION values beyond its distinct nodes. Iterative, with one count per distinct node."""
    expanded: dict[int, int] = {}
    in_progress: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        children = _children(node)
        if children_done:
            in_progress.discard(key)
            expanded[key] = 1 + sum(expanded[id(child)] for child in children)
            continue
        if key in expanded:
            continue
        if key in in_progress:
            raise _TooLarge("a YAML alias refers to a value that contains it")
        in_progress.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in expanded)
    total = expanded[id(root)]
    if total - len(expanded) > MAX_EXPANSION:
        raise _TooLarge(f"YAML aliases expand it to {total:,} values ({len(expanded):,} written out; "
                        f"at most {MAX_EXPANSION:,} more are allowed)")


def _children(node: yaml.Node) -> list[yaml.Node]:
    import yaml  # imported already: the node is PyYAML's

    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []
