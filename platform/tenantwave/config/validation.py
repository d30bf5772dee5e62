"""A pydantic validation's errors as problems: the file, the field as written in it, what to do.

`validate_into(model, data, shown, problems)` validates one file's mapping (or a part of it) and adds each
error as a `Problem`: unknown keys with the closest known ones, missing keys, wrong types with the value
seen (capped), and nothing of what is under platform.yaml's `notify` (it may hold a webhook URL).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from tenantwave.config.notify import SECTION as NOTIFY
from tenantwave.config.notify import quiet_problem
from tenantwave.config.suggestions import did_you_mean, known_keys
from tenantwave.errors import Problem

PLATFORM_FILE = "platform.yaml"

_M = TypeVar("_M", bound=BaseModel)


def validate_into(
    model: type[_M], data: Any, shown: str, problems: list[Problem], prefix: str = ""
) -> _M | None:
    """`data` validated by `model`; None when it is not valid, each error added to `problems` as
    "shown: field: what to do" (the field under `prefix`)."""
    try:
        return model.__pydantic_validator__.validate_python(data)  # type: ignore[no-any-return]  # model_validate's work
    except ValidationError as exc:
        add_problems(exc, model, shown, problems, prefix)
        return None


def add_problems(
    exc: ValidationError, model: type[BaseModel], shown: str, problems: list[Problem], prefix: str = ""
) -> None:
    """Each error of `model`'s validation `exc` added to `problems`, as validate_into adds them."""
    for error in exc.errors(include_url=False):
        if shown == PLATFORM_FILE and error["loc"][:1] == (NOTIFY,):  # may hold a URL: never repeated
            loc, message = quiet_problem(error)
            problems.append(Problem(shown, _field(prefix, loc), message))
            continue
        problems.append(Problem(shown, _field(prefix, error["loc"]), _message(error, model)))


def _field(prefix: str, loc: tuple[Any, ...]) -> str:
    text = prefix
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).startswith(("function-", "list[", "dict[")):  # pydantic's validator tags, not fields
            continue
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def _message(error: Any, model: type[BaseModel]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        *where, key = error["loc"]
        hint = did_you_mean(str(key), known_keys(model, where))
        if hint:
            return f"unknown key{hint}"
        return "unknown key (remove it, or check its spelling against docs/configuration.md)"
    if kind == "missing":
        return "missing (this key is required)"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind.endswith(("_type", "_parsing")) or kind.startswith(("int_", "bool_", "literal_")):
        value = error.get("input")
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        return f"{message[0].lower()}{message[1:]}, got {shown}"
    return message[0].lower() + message[1:] if message else kind
