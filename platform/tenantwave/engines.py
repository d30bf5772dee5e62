"""Opening the engine a workspace asks for, with the context every engine gets."""

from __future__ import annotations

import os

from tenantwave.engine.base import Engine, EngineContext
from tenantwave.engine.registry import load_engine
from tenantwave.workspace import Workspace


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
