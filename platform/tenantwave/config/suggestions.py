""""Did you mean ...?": the closest known names to one that is not known (environments, tenants,
tiers, stacks, releases, configuration keys).

A name is close when it differs only in case, when known names start with it or contain it
(`prod` -> production-us, production-eu), or when it is a near spelling (`enviroments` ->
environments, `acme-lab` -> acme-labs).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

MAX_SUGGESTIONS = 3


def closest(value: str, known: Iterable[str]) -> list[str]:
    """The known names closest to `value`, best first (at most MAX_SUGGESTIONS; none when none is close)."""
    names = sorted(set(known))
    lowered = value.lower()
    same = [name for name in names if name.lower() == lowered]
    if same:
        return same[:1]
    if len(lowered) >= 2:
        starting = [name for name in names if name.lower().startswith(lowered)]
        containing = [name for name in names if lowered in name.lower() and name not in starting]
        if starting or containing:
            return (starting + containing)[:MAX_SUGGESTIONS]
    import difflib  # here, not at the top: only a name that is not known needs it

    return difflib.get_close_matches(value, names, n=1, cutoff=0.6)


def did_you_mean(value: str, known: Iterable[str]) -> str:
    """` (did you mean a or b?)`, or "" when no known name is close."""
    found = closest(value, known)
    if not found:
        return ""
    listed = found[0] if len(found) == 1 else ", ".join(found[:-1]) + f" or {found[-1]}"
    return f" (did you mean {listed}?)"


def known_keys(model: type[BaseModel], path: Sequence[str | int]) -> set[str]:
    """The keys a mapping at `path` (a pydantic error's location, without the unknown key) may
    hold: the fields, by name and alias, of the models found there."""
    current: list[Any] = [model]
    for part in path:
        current = [child for annotation in current for child in _children(annotation, part)]
    keys: set[str] = set()
    for annotation in current:
        for found in _models(annotation):
            for name, field in found.model_fields.items():
                keys.add(name)
                if isinstance(field.alias, str):
                    keys.add(field.alias)
    return keys


def _children(annotation: Any, part: str | int) -> list[Any]:
    """What sits at `part` (a field name, a list index or a mapping key) under `annotation`."""
    found: list[Any] = []
    for model in _models(annotation):
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None and isinstance(part, str):
            field = next((f for f in model.model_fields.values() if f.alias == part), None)
        if field is not None:
            found.append(field.annotation)
    for container in _containers(annotation):
        args = typing.get_args(container)
        found.extend(args[-1:])  # a list's items, a mapping's values
    return found


def _unwrapped(annotation: Any) -> list[Any]:
    """An annotation without Optional, unions and Annotated: the types it may be."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrapped(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [inner for arg in typing.get_args(annotation) for inner in _unwrapped(arg)]
    return [annotation]


def _models(annotation: Any) -> list[type[BaseModel]]:
    return [t for t in _unwrapped(annotation) if isinstance(t, type) and issubclass(t, BaseModel)]


def _containers(annotation: Any) -> list[Any]:
    return [t for t in _unwrapped(annotation) if typing.get_origin(t) in (list, tuple, dict, Mapping, Sequence)]
