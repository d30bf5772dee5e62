"""Choosing an engine (`pulumi`, `mock`, or `module:factory` for a custom one) and opening the one a
workspace asks for, with the context every engine gets."""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tenantwave.config.suggestions import did_you_mean
from tenantwave.engine.base import Engine, EngineContext
from tenantwave.errors import EngineUnavailable, UsageError
from tenantwave.planning.workspace import Workspace

BUILTIN = {
    "pulumi": "tenantwave.engine.pulumi:create",
    "mock": "tenantwave.engine.mock:create",
}
_SPEC_RE = re.compile(r"\A[A-Za-z_][\w.]*:[A-Za-z_]\w*\Z")


def load_engine(spec: str, context: EngineContext) -> Engine:
    target = BUILTIN.get(spec, spec)
    if not _SPEC_RE.match(target):
        known = ", ".join(BUILTIN)
        hint = did_you_mean(spec, BUILTIN)
        raise UsageError(f"engine {spec!r}{hint}: use one of {known}, or module:factory for a custom engine")
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"engine {spec!r}: cannot import {module_name}: {exc}") from None
    factory: Any = getattr(module, attribute, None)
    if not callable(factory):
        raise UsageError(f"engine {spec!r}: {module_name} has no callable {attribute!r}")
    engine = factory(context)
    missing = [name for name in ("prepare", "up", "preview", "destroy", "refresh", "outputs", "close")
               if not callable(getattr(engine, name, None))]
    if missing:
        raise UsageError(f"engine {spec!r}: the object from {target} lacks {', '.join(missing)}")
    return engine  # type: ignore[no-any-return]


def engine_context(workspace: Workspace) -> EngineContext:
    state_dir = workspace.state_dir
    return EngineContext(
        project_root=workspace.root,
        state_dir=state_dir,
        backend_url=workspace.project.platform.backend,
        log_dir=state_dir / "logs",
        environ=dict(os.environ),
    )


def open_engine(workspace: Workspace) -> Engine:
    return load_engine(workspace.engine, engine_context(workspace))


@contextmanager
def opened_engine(workspace: Workspace) -> Iterator[Engine]:
    """The workspace's engine, closed however the block ends."""
    engine = open_engine(workspace)
    try:
        yield engine
    finally:
        engine.close()


__all__ = ["EngineUnavailable", "engine_context", "load_engine", "open_engine", "opened_engine"]
