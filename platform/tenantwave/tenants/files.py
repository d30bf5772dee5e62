"""Tenant files on disk (`tenants/<id>.yaml`): find, render, rewrite one key, write, delete.

Edits are round trips through ruamel.yaml, so comments, key order, flow lists and quoting survive:
operators keep notes in tenant files. Writes go to a hidden temporary file in the same folder and
are renamed into place, so a crash never leaves half a file (the loader ignores the temporary
name, whose suffix is not .yaml).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from tenantwave.config.loader import CONFIG_SUFFIXES

TENANTS_DIR = "tenants"

# Block sequence layouts tried in turn; the one that reproduces the file unchanged is kept.
_SEQUENCE_STYLES = ((4, 2), (2, 0))


def tenant_path(root: Path, tenant_id: str) -> Path:
    """Where a new tenant file goes."""
    return root / TENANTS_DIR / f"{tenant_id}.yaml"


def existing_file(root: Path, tenant_id: str) -> Path | None:
    """The tenant's file (`.yaml` or `.yml`), if there is one."""
    for suffix in CONFIG_SUFFIXES:
        path = root / TENANTS_DIR / f"{tenant_id}{suffix}"
        if path.is_file():
            return path
    return None


def shown(root: Path, path: Path) -> str:
    """A path as the plan prints it: relative to the project."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def new_tenant_text(tier: str, environments: Sequence[str], wave: int | None, name: str | None) -> str:
    """The YAML of a new tenant file, in the key order of docs/configuration.md."""
    data = CommentedMap()
    if name:
        data["name"] = name
    data["tier"] = tier
    envs = CommentedSeq(environments)
    envs.fa.set_flow_style()
    data["environments"] = envs
    if wave is not None:
        data["wave"] = wave
    return _dump(_yaml(), data)


def with_tier(text: str, tier: str) -> str:
    """`text` with its `tier` set to `tier`; everything else (comments included) as it was."""
    yaml = _yaml_for(text)
    data = yaml.load(text)
    if not isinstance(data, CommentedMap):
        raise ValueError("a tenant file is a mapping")
    data["tier"] = tier
    return _dump(yaml, data)


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    scratch.write_text(text, encoding="utf-8")
    os.replace(scratch, path)


def _yaml(sequence: int = 4, offset: int = 2) -> YAML:
    yaml = YAML()  # round trip
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=sequence, offset=offset)
    return yaml


def _yaml_for(text: str) -> YAML:
    """A round-trip YAML whose block-sequence layout is the file's own (so untouched lines stay)."""
    for sequence, offset in _SEQUENCE_STYLES:
        yaml = _yaml(sequence, offset)
        if _dump(yaml, yaml.load(text)) == text:
            return yaml
    return _yaml()


def _dump(yaml: YAML, data: Any) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()
