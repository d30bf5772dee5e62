"""Opening a project and its ledger, the way every command does."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tenantwave.config import Project
from tenantwave.ledger import Ledger, resolve_url
from tenantwave.loader import find_project, load_project

LEDGER_ENV = "PLATFORM_LEDGER_URL"


@dataclass(frozen=True)
class Workspace:
    project: Project
    ledger: Ledger

    @property
    def root(self) -> Path:
        return self.project.root


def ledger_url(project: Project, override: str | None = None) -> str:
    """--ledger, then PLATFORM_LEDGER_URL, then platform.yaml's `ledger:` (relative to the project)."""
    url = override or os.environ.get(LEDGER_ENV) or project.platform.ledger
    return resolve_url(url, project.root)


def open_workspace(project_dir: Path | None, ledger: str | None = None) -> Workspace:
    root = project_dir.resolve() if project_dir is not None else find_project(Path.cwd())
    if project_dir is not None and not (root / "platform.yaml").is_file():
        from tenantwave.errors import UsageError

        raise UsageError(f"--project {project_dir}: no platform.yaml in {root}")
    project = load_project(root)
    return Workspace(project=project, ledger=Ledger(ledger_url(project, ledger)))
