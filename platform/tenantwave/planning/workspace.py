"""Opening a project and its ledger, the way every command does."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tenantwave.config.loader import find_project, load_project
from tenantwave.config.models import Project
from tenantwave.errors import UsageError
from tenantwave.ledger import open_ledger, resolve_url

if TYPE_CHECKING:
    from tenantwave.ledger import Ledger

LEDGER_ENV = "PLATFORM_LEDGER_URL"
ENGINE_ENV = "PLATFORM_ENGINE"
SIMULATED_LEDGER = "sqlite:///.platform/simulated.db"
SIMULATED_ENGINES = frozenset({"mock"})


@dataclass(frozen=True)
class Workspace:
    project: Project
    ledger: Ledger
    engine: str  # the engine spec in force: --engine, PLATFORM_ENGINE, then platform.yaml

    @property
    def root(self) -> Path:
        return self.project.root

    @property
    def simulated(self) -> bool:
        """True for the mock engine: its history is simulated and kept in a ledger of its own."""
        return self.engine in SIMULATED_ENGINES

    @property
    def state_dir(self) -> Path:
        return self.project.root / ".platform"


def ledger_url(project: Project, override: str | None = None, engine: str | None = None) -> str:
    """--ledger, then PLATFORM_LEDGER_URL, then (for the mock engine) a ledger of its own so that
    simulated history never mixes with real history, then platform.yaml's `ledger:`."""
    if override or os.environ.get(LEDGER_ENV):
        url = override or os.environ[LEDGER_ENV]
    elif engine in SIMULATED_ENGINES:
        url = SIMULATED_LEDGER
    else:
        url = project.platform.ledger
    return resolve_url(url, project.root)


def open_workspace(project_dir: Path | None, ledger: str | None = None, engine: str | None = None) -> Workspace:
    if project_dir is not None:
        root = project_dir.resolve()
        if not (root / "platform.yaml").is_file():
            raise UsageError(f"--project {project_dir}: no platform.yaml in {root}")
    else:
        root = find_project(Path.cwd())
    project = load_project(root)
    spec = engine or os.environ.get(ENGINE_ENV) or project.platform.engine
    url = ledger_url(project, ledger, spec)
    return Workspace(project=project, ledger=open_ledger(url, project.root / ".platform"), engine=spec)
