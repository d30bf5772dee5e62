"""Reading one YAML file into plain data, with problems instead of exceptions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tenantwave.errors import Problem

try:
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

MAX_FILE_BYTES = 1_000_000


def read_mapping(path: Path, shown: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The top-level mapping of `path`, or None with the problems that prevented reading it."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(shown, "", f"cannot be read: {exc.strerror or exc}")]
    if len(raw) > MAX_FILE_BYTES:
        return None, [Problem(shown, "", f"is {len(raw)} bytes; configuration files are at most 1 MB")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(shown, "", f"is not UTF-8 text (byte {exc.start}); save it as UTF-8")]
    try:
        data = yaml.load(text, Loader=_Loader)
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
        return None, [Problem(shown, repr(bad_keys[0]), "keys must be strings")]
    return data, []
