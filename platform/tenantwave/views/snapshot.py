"""What every page is built from: one consistent read of the ledger (per-stack status, the release's
history and gate facts, the releases, a change marker) with the configuration, the inventory, the
plan of the release looked at and the fleet's rows. Built once per change and shared by every
request until the next change: a page answers from the snapshot in milliseconds, whatever the
fleet's size (the build itself is linear in the fleet, see bench/bench_dashboard.py).

`Source` reads: the ledger's change marker (cheap) and, when it or the configuration changed, a new
snapshot. The web edge calls `refresh()` from one background thread; a snapshot of another release
than the default one is built on request and kept (a few).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tenantwave.config.loader import load_project
from tenantwave.config.models import Project
from tenantwave.errors import PlatformError
from tenantwave.ledger import overview, planreads
from tenantwave.ledger.history import GateFacts, ReleaseHistory
from tenantwave.ledger.records import StackStatus
from tenantwave.planning.inventory import Stack, build_inventory
from tenantwave.planning.plan import Plan, StackPlan, build_plan
from tenantwave.views.fleet import Cell, FleetTable, fleet_table
from tenantwave.views.outside import shown

if TYPE_CHECKING:
    from tenantwave.ledger import Ledger

KEPT_RELEASES = 3  # snapshots of releases other than the default one kept at once


@dataclass(frozen=True)
class LedgerRead:
    """One read transaction's worth of facts."""

    marker: str
    releases: tuple[str, ...]
    statuses: dict[str, StackStatus]
    history: ReleaseHistory | None


@dataclass(frozen=True)
class Snapshot:
    project: Project
    marker: str  # the ledger's change marker and the configuration's signature it was built from
    built_at: datetime  # the ledger's clock (naive UTC)
    releases: tuple[str, ...]  # most recently run first
    release: str | None  # the release the states are about
    stacks: dict[str, Stack]
    plan: Plan | None
    facts: GateFacts | None
    table: FleetTable
    cells: dict[str, Cell]
    seconds: float  # how long building it took
    problem: str = ""  # the configuration could not be read again: the last good one is shown
    running: dict[str, str] = field(default_factory=dict)


def read_ledger(ledger: Ledger, release: str | None) -> LedgerRead:
    """Status, releases, marker and the history of `release` (default: the most recently run)."""
    if not ledger.exists():
        return LedgerRead("empty", (), {}, None)

    def work(execute: planreads.Execute) -> LedgerRead:
        releases = tuple(overview.releases(execute))
        chosen = release or (releases[0] if releases else None)
        history = planreads.release_history(execute, chosen) if chosen is not None else None
        return LedgerRead(overview.change_marker(execute), releases, _statuses(execute, history), history)

    return ledger.read_plain(work)


def _statuses(execute: planreads.Execute, history: ReleaseHistory | None) -> dict[str, StackStatus]:
    """Per stack: its last attempt and what it runs (planreads.fleet_status, reusing what the
    history already read of what each stack runs: that query is the costliest of the read)."""
    if history is None:
        return {status.stack: status for status in planreads.fleet_status(execute)}
    statuses: dict[str, StackStatus] = {}
    for row in execute(planreads.LATEST, {}):
        record = planreads.deployment(row)
        deployed = history.current.get(record.stack)
        statuses[record.stack] = StackStatus(
            record.stack,
            deployed.release if deployed else None,
            record,
            deployed.revision if deployed else None,
        )
    return statuses


def build_snapshot(project: Project, read: LedgerRead, now: datetime, signature: str = "") -> Snapshot:
    started = time.perf_counter()
    history = read.history
    plan = build_plan(project, history, now=now) if history is not None else None
    # every stack is in one wave of the plan: its inventory, without building it a second time
    inventory = [p.stack for wave in plan.waves for p in wave.stacks] if plan else build_inventory(project)
    plans: dict[str, StackPlan] = {p.stack.name: p for wave in plan.waves for p in wave.stacks} if plan else {}
    running = dict(history.running) if history is not None else {}
    gates = {p.stack.name: wave.gate.reason for wave in (plan.waves if plan else ())
             if wave.gate is not None and not wave.gate.open for p in wave.stacks}
    table = fleet_table(project, inventory, read.statuses, plans, running, history.release if history else None,
                        gates)
    cells = {cell.stack: cell for row in table.rows for cell in row.cells if cell is not None}
    return Snapshot(
        project=project,
        marker=f"{read.marker}/{signature}",
        built_at=now,
        releases=read.releases,
        release=history.release if history is not None else None,
        stacks={stack.name: stack for stack in inventory},
        plan=plan,
        facts=history.gate if history is not None else None,
        table=table,
        cells=cells,
        seconds=time.perf_counter() - started,
        running=running,
    )


def configuration_signature(root: Path) -> str:
    """Changes when platform.yaml changes or a file is added, removed or renamed in tiers/ or
    tenants/ (editors that save by renaming a new file over the old one change it too)."""
    parts = []
    for path in (root / "platform.yaml", root / "tiers", root / "tenants"):
        try:
            parts.append(str(path.stat().st_mtime_ns))
        except OSError:
            parts.append("-")
    return ".".join(parts)


class Source:
    """The snapshots of one project and ledger."""

    def __init__(self, project: Project, ledger: Ledger, *, clock: Callable[[], datetime] | None = None) -> None:
        self.ledger = ledger
        self.root = project.root
        self._project = project
        self._signature = configuration_signature(project.root)
        self._clock = clock or ledger.now
        self._lock = threading.Lock()  # one build at a time (the plan's lifecycle cache is shared)
        self._others: OrderedDict[str, Snapshot] = OrderedDict()  # requests' threads and the refresh thread
        self._kept_lock = threading.Lock()
        self._problem = ""
        self._current = self._build(None)

    @property
    def current(self) -> Snapshot:
        return self._current

    @property
    def logs_dir(self) -> Path:
        return self.root / ".platform" / "logs"

    def marker(self) -> str:
        """The change marker pages poll: the ledger's and the configuration's."""
        if not self.ledger.exists():
            return f"empty/{configuration_signature(self.root)}"
        return f"{self.ledger.read_plain(overview.change_marker)}/{configuration_signature(self.root)}"

    def refresh(self) -> Snapshot:
        """A new snapshot when the ledger or the configuration changed since the current one."""
        if self.marker() != self._current.marker:
            self._reload_project()
            self._current = self._build(None)
            with self._kept_lock:
                self._others.clear()
        return self._current

    def for_release(self, release: str | None) -> Snapshot:
        """The current snapshot, or one about `release` (built now if it is not kept, or is stale)."""
        current = self._current
        if release is None or release == current.release:
            return current
        with self._kept_lock:
            kept = self._others.get(release)
        if kept is not None and kept.marker == current.marker:
            return kept
        snapshot = self._build(release)
        with self._kept_lock:
            self._others[release] = snapshot
            while len(self._others) > KEPT_RELEASES:
                self._others.popitem(last=False)
        return snapshot

    def _reload_project(self) -> None:
        signature = configuration_signature(self.root)
        if signature == self._signature:
            return
        try:
            self._project = load_project(self.root)
            self._problem = ""
        except PlatformError as exc:
            self._problem = shown(f"the configuration cannot be read ({exc}); showing it as it was before", 2000)
        self._signature = signature

    def _build(self, release: str | None) -> Snapshot:
        started = time.perf_counter()
        with self._lock:
            read = read_ledger(self.ledger, release)
            snapshot = build_snapshot(self._project, read, self._clock(), configuration_signature(self.root))
        snapshot = replace(snapshot, seconds=time.perf_counter() - started)  # the ledger's read included
        if self._problem:
            snapshot = replace(snapshot, problem=self._problem)
        return snapshot
