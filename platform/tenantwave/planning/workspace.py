"""Opening a project and its ledger, the way every command does, and saying which ledger that is.

The ledger is chosen in this order: `--ledger`, `PLATFORM_LEDGER_URL`, for a simulating engine
(`mock`) a ledger of its own (`.platform/simulated.db`), then platform.yaml's `ledger:`. The engine:
`--engine`, `PLATFORM_ENGINE`, then platform.yaml's `engine:`. Every command that reads or writes
the ledger states the choice (`LedgerChoice.describe`, `LedgerChoice.to_json`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tenantwave.config.loader import find_project, load_project
from tenantwave.config.models import Project
from tenantwave.errors import UsageError
from tenantwave.ledger import open_ledger, resolve_url
from tenantwave.ledger.urls import plain_sqlite_file, shown_url

if TYPE_CHECKING:
    from tenantwave.ledger import Ledger

LEDGER_ENV = "PLATFORM_LEDGER_URL"
ENGINE_ENV = "PLATFORM_ENGINE"
SIMULATED_LEDGER = "sqlite:///.platform/simulated.db"
SIMULATED_ENGINES = frozenset({"mock"})
DEFAULT_LEDGER_FILES = ("ledger.db", "simulated.db")  # in .platform/: where a new project's ledger appears


@dataclass(frozen=True)
class LedgerChoice:
    """The ledger a command uses, where that choice came from, and the engine in force."""

    url: str  # resolved: a relative SQLite path made absolute
    origin: str  # "--ledger", "PLATFORM_LEDGER_URL", "the mock engine's own", "platform.yaml"
    engine: str
    simulated: bool

    def shown(self) -> str:
        """The ledger as an operator recognises it: a SQLite file relative to the current directory
        when it is below it, any other URL without its password."""
        path = plain_sqlite_file(self.url)
        if path is None:
            return shown_url(self.url)
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    @property
    def where(self) -> str:
        """Where the choice came from, as said after the ledger: "from --ledger", "the mock engine's own"."""
        return self.origin if self.origin.endswith("own") else f"from {self.origin}"

    def describe(self) -> str:
        """One line: `ledger: .platform/simulated.db (the mock engine's own); engine: mock (simulated: ...)`."""
        engine = f"{self.engine} (simulated: nothing is deployed)" if self.simulated else self.engine
        return f"ledger: {self.shown()} ({self.where}); engine: {engine}"

    def sqlite_file(self) -> Path | None:
        """The file of a SQLite ledger (query arguments such as ?timeout= aside); None for any other."""
        return plain_sqlite_file(self.url.split("?", 1)[0])

    def to_json(self) -> dict[str, object]:
        return {"url": self.shown(), "from": self.origin, "engine": self.engine, "simulated": self.simulated}


@dataclass(frozen=True)
class Workspace:
    project: Project
    ledger: Ledger
    engine: str  # the engine spec in force: --engine, PLATFORM_ENGINE, then platform.yaml
    choice: LedgerChoice | None = None  # how the ledger and the engine were chosen (None: made in code)

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


def check_ledger(workspace: Workspace, *, writes: bool) -> None:
    """Refuse a SQLite ledger that does not exist where that is most likely a mistyped path.

    At the project's own locations (`.platform/ledger.db`, `.platform/simulated.db`) a missing ledger
    is a project nothing was deployed from yet: reading it gives an empty history and the first
    write creates it. Anywhere else, a command that only reads refuses a missing ledger (exit 2), and
    one that writes creates it only in a directory that exists."""
    choice = workspace.choice
    path = choice.sqlite_file() if choice is not None else None
    if choice is None or path is None or path.exists():
        return
    if path.resolve() in {(workspace.state_dir / name).resolve() for name in DEFAULT_LEDGER_FILES}:
        return
    if not writes:
        raise UsageError(
            f"ledger {choice.shown()} ({choice.where}) does not exist: check the path "
            "(a new ledger is created by the first command that records something in it)"
        )
    if not path.parent.is_dir():
        raise UsageError(
            f"ledger {choice.shown()} ({choice.where}): the directory {path.parent} does not exist: "
            "check the path, or create the directory to start a new ledger there"
        )


def choose_ledger(project: Project, override: str | None, engine: str) -> LedgerChoice:
    """The ledger and where the choice came from (see the module docstring for the order)."""
    simulated = engine in SIMULATED_ENGINES
    if override:
        url, origin = override, "--ledger"
    elif os.environ.get(LEDGER_ENV):
        url, origin = os.environ[LEDGER_ENV], LEDGER_ENV
    elif simulated:
        url, origin = SIMULATED_LEDGER, f"the {engine} engine's own"
    else:
        url, origin = project.platform.ledger, "platform.yaml"
    return LedgerChoice(url=resolve_url(url, project.root), origin=origin, engine=engine, simulated=simulated)


def open_workspace(project_dir: Path | None, ledger: str | None = None, engine: str | None = None) -> Workspace:
    if project_dir is not None:
        root = project_dir.resolve()
        if not (root / "platform.yaml").is_file():
            raise UsageError(f"--project {project_dir}: no platform.yaml in {root}")
    else:
        root = find_project(Path.cwd())
    project = load_project(root)
    spec = engine or os.environ.get(ENGINE_ENV) or project.platform.engine
    choice = choose_ledger(project, ledger, spec)
    opened = open_ledger(choice.url, project.root / ".platform")
    return Workspace(project=project, ledger=opened, engine=spec, choice=choice)
