"""Frozen dataclass instances built from a read's rows without the dataclass `__init__`.

A frozen dataclass's generated `__init__` sets each field through `object.__setattr__` (the class
forbids plain assignment): for a plan of 10,000 tenants the ledger builds 25,000 `Deployed` and
6,000 `DeploymentRecord`, and those calls were most of their cost. The builders here set the
same fields directly, so an instance is equal to, hashes like and reprs like the one `__init__`
would have made (tests/ledger/test_planreads_equivalence.py holds them equal). Only for classes
without `__post_init__`, default factories or validation: `builder` and `from_fields` refuse others.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_new = object.__new__
_set = object.__setattr__


def _fields(cls: type[Any]) -> tuple[str, ...]:
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: a frozen dataclass without __post_init__ expected")
    return tuple(field.name for field in dataclasses.fields(cls))


def setters(cls: type[Any]) -> tuple[Callable[[Any, Any], None], ...]:
    """The slots' own setters of a frozen `slots=True` dataclass, in field order: building one is
    `obj = object.__new__(cls)` then each setter once (history.deployed does)."""
    names = _fields(cls)
    if "__slots__" not in vars(cls):
        raise TypeError(f"{cls.__name__}: a dataclass with slots expected")
    return tuple(vars(cls)[name].__set__ for name in names)


def from_fields(cls: type[T]) -> Callable[[dict[str, Any]], T]:
    """For a frozen dataclass with an instance `__dict__`: {field: value} (every field, in field
    order) -> the instance with that dict as its own."""
    if "__slots__" in vars(cls):
        raise TypeError(f"{cls.__name__}: a dataclass without slots expected")
    _fields(cls)

    def build(values: dict[str, Any]) -> T:
        instance = _new(cls)
        _set(instance, "__dict__", values)
        return instance

    return build
