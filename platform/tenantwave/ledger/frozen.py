"""Frozen dataclass instances built from a read's rows without the dataclass `__init__`.

A frozen dataclass's generated `__init__` sets each field through `object.__setattr__` (the class
forbids plain assignment): for a plan of 10,000 tenants the ledger builds 25,000 `Deployed` and
6,000 `DeploymentRecord`, and the planning 25,000 `Stack` and `StackPlan`, and those calls were most
of their cost. The builders here set the same fields directly, so an instance is equal to, hashes
like and reprs like the one `__init__` would have made (tests/ledger/test_frozen.py,
tests/core/test_plan_memo.py). Only for classes without `__post_init__`, default factories or
validation: `unfrozen` and `from_fields` refuse others.
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


def unfrozen(cls: type[Any]) -> Any:
    """A plain class with the slots of the frozen `slots=True` dataclass `cls`: the same layout without
    the frozen `__setattr__`, so an instance filled field by field (every field, plain assignment)
    becomes a `cls` by `__class__` assignment, at a quarter of the cost of `cls(...)`
    (history.deployed, inventory.new_stack, plan.stack_plan)."""
    _fields(cls)
    slots = vars(cls).get("__slots__")
    if slots is None:
        raise TypeError(f"{cls.__name__}: a dataclass with slots expected")
    return type(f"_Unfrozen{cls.__name__}", (), {"__slots__": slots})


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
