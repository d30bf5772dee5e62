"""The stack program as the tool sees it: where it lives and the parameter model it names.

The program owns the schema of its tier parameters. `platform.yaml` names it as `module:Class`
(`program.parameters`, default `tenantstack.parameters:TierParameters`), a pydantic model importable
from the program directory: the directory Pulumi.yaml's `main:` names (the project root when
Pulumi.yaml has no `main:`), or `stacks/` in a project without Pulumi.yaml.

`parameter_model(root, name)` imports that model from the project at `root` and no other: the
program directory goes first on sys.path for the import only, modules of the same names already
imported from elsewhere (another checkout, the base revision of a preview) are set aside and put
back, and the program's modules are removed again afterwards, so two projects (two git revisions)
can name models of the same module name in one process. sys.path and sys.modules are left as
they were (modules the model imports from outside the program directory, pydantic for instance,
stay imported like any import). No bytecode is written into the program directory. Imported
models are kept per process, re-imported when a source file they came from changes.

Nothing here imports pulumi: the named module must import only pydantic (the planning path loads it).
Every failure is a `ModelError` with one line saying what is wrong and how to fix it.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel

PULUMI_FILE = "Pulumi.yaml"
DEFAULT_PROGRAM_DIR = "stacks"  # a project without Pulumi.yaml
DEFAULT_PARAMETER_MODEL = "tenantstack.parameters:TierParameters"
MODEL_NAME_RE = re.compile(r"\A[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*\Z")
_IDENTIFIER_RE = re.compile(r"\A[A-Za-z_]\w*\Z")
ReadMain = Callable[[Path], object]  # Pulumi.yaml's path -> its `main:` (pulumi_main, or a cache of it)


class ModelError(Exception):
    """The parameter model cannot be used; the message is one line: what is wrong, and the fix.

    `file`/`field` say where to fix it when that is not platform.yaml's `program.parameters` (None).
    """

    def __init__(self, message: str, file: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.field = field


def check_model_name(value: str) -> str:
    """A pydantic validator of `program.parameters`: `module:Class` or a ValueError saying so."""
    if not MODEL_NAME_RE.match(value):
        raise ValueError(
            f"{value!r} is not a module:Class name; name the parameter model of your stack program, "
            f"e.g. {DEFAULT_PARAMETER_MODEL}"
        )
    return value


# -- the program directory --------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramDirectory:
    path: Path  # absolute
    shown: str  # for messages: "stacks/ (Pulumi.yaml main:)"


def program_directory(root: Path, read_main: ReadMain | None = None) -> ProgramDirectory:
    """Where Pulumi runs the program of the project at `root`.

    Pulumi.yaml's `main:` (a directory, or a file whose directory is taken), relative to `root`; the
    project root when Pulumi.yaml has no `main:`; `stacks/` when there is no Pulumi.yaml. Raises
    ModelError when Pulumi.yaml cannot be read or its `main:` is not a path. `read_main`: what gives
    Pulumi.yaml's `main:` (default `pulumi_main`; the loader's parse cache remembers it).
    """
    root = root.resolve()
    pulumi_file = root / PULUMI_FILE
    if not pulumi_file.is_file():
        return ProgramDirectory(root / DEFAULT_PROGRAM_DIR, f"{DEFAULT_PROGRAM_DIR}/ (no {PULUMI_FILE}: the default)")
    main = (read_main or pulumi_main)(pulumi_file)
    if main is None:
        return ProgramDirectory(root, f"the project root ({PULUMI_FILE} has no main:)")
    if not isinstance(main, str) or not main.strip():
        raise ModelError(f"{_shown(main)} is not the path of the program directory (e.g. stacks/)", PULUMI_FILE, "main")
    try:
        directory = (root / main.strip()).resolve()
        if directory.is_file():
            directory = directory.parent
    except (OSError, RuntimeError) as exc:  # a name too long, a path too deep, a loop of links...
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a usable path"
        raise ModelError(f"{_shown(main)} cannot be the program directory ({reason}); name a directory of the "
                         "project, e.g. stacks/", PULUMI_FILE, "main") from None
    return ProgramDirectory(directory, f"{_relative(root, directory)} ({PULUMI_FILE} main:)")


def _shown(value: object) -> str:
    """A value from Pulumi.yaml as a message shows it: its repr (control characters escaped), at most 60 long."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def pulumi_main(pulumi_file: Path) -> object:
    """Pulumi.yaml's `main:` (None when it has none). Pulumi's file, not the tool's configuration: read
    with PyYAML's safe loader for this one key, not with the configuration's stricter reader; raises
    ModelError when it cannot be read or is not a mapping."""
    import yaml  # here, not at the top: a warm load remembers `main:` (parsecache) and never imports PyYAML

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        document = yaml.load(pulumi_file.read_text(encoding="utf-8"), Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or "malformed YAML"
        raise ModelError(f"malformed YAML: {problem} (it names the program directory)", PULUMI_FILE, where) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as exc:
        reason = " ".join(str(exc).split())
        reason = reason if len(reason) <= 200 else reason[:197] + "..."
        raise ModelError(f"cannot be read to find the program directory ({reason})", PULUMI_FILE, "") from None
    if not isinstance(document, dict):
        raise ModelError("is not a mapping of keys to values, so it names no program directory", PULUMI_FILE, "")
    return document.get("main")


def _relative(root: Path, directory: Path) -> str:
    try:
        text = directory.relative_to(root).as_posix()
    except ValueError:
        text = directory.as_posix()
    return "the project root" if text in ("", ".") else f"{text.rstrip('/')}/"


# -- the parameter model ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Imported:
    model: type[BaseModel]
    stamps: tuple[tuple[str, int, int], ...]  # (source file, mtime_ns, size) of the modules it came from


_LOCK = threading.Lock()
_imported: dict[tuple[str, str], _Imported] = {}


def parameter_model(root: Path, name: str, read_main: ReadMain | None = None) -> type[BaseModel]:
    """The pydantic model `name` (`module:Class`) from the program of the project at `root`.

    Raises ModelError (one line) when the program directory is unknown, the module is not in it or
    fails to import, or the attribute is not a pydantic model that rejects unknown keys. `read_main`:
    as program_directory's.
    """
    check_model_name(name)
    directory = program_directory(root, read_main)
    key = (str(directory.path), name)
    with _LOCK:
        cached = _imported.get(key)
        if cached is not None and _unchanged(cached.stamps):
            return cached.model
        model, stamps = _import_model(directory, name)
        _imported[key] = _Imported(model, stamps)
        return model


def _unchanged(stamps: tuple[tuple[str, int, int], ...]) -> bool:
    for path, mtime_ns, size in stamps:
        try:
            status = os.stat(path)
        except OSError:
            return False
        if (status.st_mtime_ns, status.st_size) != (mtime_ns, size):
            return False
    return True


def _import_model(
    directory: ProgramDirectory, name: str
) -> tuple[type[BaseModel], tuple[tuple[str, int, int], ...]]:
    module_name, _, attribute = name.partition(":")
    provided = _top_level_names(directory.path)
    if module_name.partition(".")[0] not in provided:
        raise ModelError(_not_there(module_name, directory))
    module, modules = _isolated_import(directory, module_name, provided)
    model = _model_attribute(module, module_name, attribute)
    return model, _stamps(modules, directory.path)


def _not_there(module_name: str, directory: ProgramDirectory) -> str:
    return (
        f"no module {module_name} in the program directory {directory.shown}; "
        "put the program's parameter model there, or name yours as module:Class"
    )


def _top_level_names(directory: Path) -> set[str]:
    """The packages and modules the program directory provides (what its imports would find there)."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return set()
    names = set()
    for entry in entries:
        stem = entry.name.removesuffix(".py") if entry.name.endswith(".py") else entry.name
        if stem.startswith("__") or not _IDENTIFIER_RE.match(stem):
            continue
        if entry.name.endswith(".py") or entry.is_dir():
            names.add(stem)
    return names


def _isolated_import(
    directory: ProgramDirectory, module_name: str, provided: set[str]
) -> tuple[ModuleType, list[ModuleType]]:
    """Import `module_name` from `directory` only; returns it and the program modules it loaded.

    sys.modules entries of the names the directory provides are set aside for the import and put
    back afterwards; sys.path gets `directory` first for the import only.
    """

    def ours(module: str) -> bool:
        return module.partition(".")[0] in provided

    set_aside = {module: sys.modules.pop(module) for module in [m for m in sys.modules if ours(m)]}
    entry = str(directory.path)
    sys.path.insert(0, entry)
    writing = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # leave no __pycache__ in the user's program directory
    try:
        importlib.invalidate_caches()
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module_name + ".").startswith(exc.name + "."):  # the module itself is missing
            raise ModelError(_not_there(module_name, directory)) from None
        raise ModelError(f"importing {module_name} from {directory.shown} failed: {_one_line(exc)}") from None
    except Exception as exc:  # the user's code: any failure is reported, never a traceback
        raise ModelError(f"importing {module_name} from {directory.shown} failed: {_one_line(exc)}") from None
    finally:
        sys.dont_write_bytecode = writing
        sys.path.remove(entry)
        loaded = [sys.modules.pop(m) for m in [m for m in sys.modules if ours(m)]]
        sys.modules.update(set_aside)
    return module, loaded


def _model_attribute(module: ModuleType, module_name: str, attribute: str) -> type[BaseModel]:
    model: Any = getattr(module, attribute, None)
    if model is None:
        raise ModelError(f"{module_name} has no {attribute!r}; name the pydantic model class it defines")
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise ModelError(f"{attribute!r} in {module_name} is not a pydantic model class (a BaseModel subclass)")
    if model.model_config.get("extra") != "forbid":
        raise ModelError(
            f"{attribute} accepts unknown keys; set model_config = ConfigDict(extra='forbid') in it "
            "so a misspelt parameter is an error"
        )
    if not model.__pydantic_complete__:
        raise ModelError(
            f"{attribute} is not fully defined (an annotation names a type that does not exist); "
            "define every type it uses"
        )
    return model


def _stamps(modules: list[ModuleType], directory: Path) -> tuple[tuple[str, int, int], ...]:
    stamps = []
    for module in modules:
        path = getattr(module, "__file__", None)
        if not path or not Path(path).resolve().is_relative_to(directory):
            continue
        try:
            status = os.stat(path)
        except OSError:
            continue
        stamps.append((path, status.st_mtime_ns, status.st_size))
    return tuple(sorted(stamps))


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {' '.join(str(exc).split())}".rstrip(": ")
    return text if len(text) <= 300 else text[:297] + "..."
