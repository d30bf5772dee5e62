"""The fleet view: tenants grouped by tier, one column per environment, each cell the stack that
serves the tenant there (its state, the revision it runs, when); each pool stack once per tier with
its members. Filtering and paging are done here, on rows built once per ledger change.

Pure: built from the configuration, the inventory, the ledger's per-stack status and the plan.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tenantwave.config.models import Project
from tenantwave.ledger.records import StackStatus
from tenantwave.planning.inventory import Stack
from tenantwave.planning.plan import StackPlan
from tenantwave.views.outside import shown
from tenantwave.views.states import STATES, CellState, cell_state

PER_PAGE = 100
MAX_PER_PAGE = 500


@dataclass(frozen=True, slots=True)
class Cell:
    """One stack as a cell: what it runs, its state and when it last changed."""

    stack: str
    environment: str
    kind: str
    state: CellState
    revision: str | None  # the revision it runs (or the release, for records before revisions)
    when: str | None  # its last attempt, ISO 8601 UTC ("2026-11-25T14:03:00Z")
    last_status: str | None
    reason: str  # why it is blocked or pending, or its last error (redacted, capped)
    members: tuple[str, ...] = ()  # a pool stack's tenants in its environment


@dataclass(frozen=True, slots=True)
class Row:
    """A tenant (or, `pool`, a tier's pool stacks): one cell per column, None where not connected."""

    key: str  # the tenant id, or the tier id for a pool row
    name: str | None  # redacted: the search matches what the page shows, never a secret's characters
    tier: str
    pool: bool
    cells: tuple[Cell | None, ...]  # aligned with FleetTable.environments
    tags: tuple[tuple[str, str], ...] = ()  # the tenant's tags (its ring: ("ring", "early")), sorted, redacted
    ring: str | None = None  # the ring its tags name

    @property
    def connected(self) -> int:
        return sum(1 for cell in self.cells if cell is not None)


@dataclass(frozen=True)
class FleetTable:
    """The whole fleet, rows in display order (per tier: its pool row, then its tenants by id)."""

    release: str | None  # the release the states are about (None: no run recorded yet)
    environments: tuple[str, ...]
    rows: tuple[Row, ...]
    tiers: tuple[str, ...]
    counts: Mapping[CellState, int] = field(default_factory=dict)  # cells per state, whole fleet
    rings: tuple[str, ...] = ()  # rollout.rings, in order (empty: no rings)


@dataclass(frozen=True)
class FleetQuery:
    """What the fleet page asks for: filters (None: all), a search in tenant ids and names, a page."""

    tier: str | None = None
    environment: str | None = None
    state: CellState | None = None
    ring: str | None = None  # tenants whose tags name this ring (pool rows are not in a ring)
    search: str = ""
    page: int = 1
    per_page: int = PER_PAGE


@dataclass(frozen=True)
class Group:
    tier: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class FleetPage:
    release: str | None
    environments: tuple[str, ...]  # the columns shown
    columns: tuple[int, ...]  # their positions in FleetTable.environments
    groups: tuple[Group, ...]
    matched: int  # rows matching the filters, on every page
    page: int
    pages: int
    query: FleetQuery


def cell_of(stack: Stack, status: StackStatus | None, plan: StackPlan | None, running: bool,
            gate: str | None = None) -> Cell:
    """The cell of one stack from its ledger status and its plan (None: no release looked at);
    `gate`: why its wave's gate is closed (None: open, or no release)."""
    last = status.last if status is not None else None
    drift = plan.drift if plan is not None else None
    state = cell_state(
        running=running,
        last_status=last.status if last is not None else None,
        plan_state=plan.state if plan is not None else None,
        drifted=drift is not None,
        gate_closed=gate is not None,
    )
    if state in ("failed", "unhealthy") and last is not None:
        reason = shown(last.error) or f"{last.operation} {last.status}"
    elif drift is not None and state == "drifted":
        reason = (f"drift found since its deployment: {drift.resources} resource(s), "
                  f"checked {_iso(drift.found_at)}")
    elif state == "blocked" and gate is not None and plan is not None and plan.state != "blocked":
        reason = shown(f"its wave's gate is closed: {gate}")
    else:
        reason = shown(plan.reason) if plan is not None and state in ("blocked", "deferred", "pending") else ""
    return Cell(
        stack=stack.name,
        environment=stack.environment,
        kind=stack.kind,
        state=state,
        revision=(status.current_revision or status.current_release) if status is not None else None,
        when=_iso((last.ended_at or last.started_at) if last is not None else None),
        last_status=last.status if last is not None else None,
        reason=reason,
        members=stack.tenants if stack.kind == "pool" else (),
    )


def fleet_table(
    project: Project,
    stacks: Sequence[Stack],
    statuses: Mapping[str, StackStatus],
    plans: Mapping[str, StackPlan],
    running: Mapping[str, str],
    release: str | None,
    gates: Mapping[str, str] | None = None,
) -> FleetTable:
    """Every row of the fleet. `plans` are the plan's StackPlans by stack name (empty: no release),
    `gates` why the gate of each stack's wave is closed (stacks of open waves are not in it)."""
    gates = gates or {}
    environments = project.environments_in_use
    column = {env: index for index, env in enumerate(environments)}
    cells = {
        stack.name: cell_of(stack, statuses.get(stack.name), plans.get(stack.name), stack.name in running,
                            gates.get(stack.name))
        for stack in stacks
    }
    serving: dict[str, list[Cell | None]] = {}
    pools: dict[str, list[Cell | None]] = {}
    for stack in stacks:
        cell = cells[stack.name]
        if stack.kind == "pool":
            pools.setdefault(stack.tier, [None] * len(environments))[column[stack.environment]] = cell
        for member in stack.tenants:
            serving.setdefault(member, [None] * len(environments))[column[stack.environment]] = cell
    rows: list[Row] = []
    tiers = sorted(project.tiers, key=lambda t: (project.tiers[t].wave, t))
    by_tier: dict[str, list[str]] = {tier: [] for tier in tiers}
    for tenant_id in sorted(project.tenants):
        by_tier[project.tenants[tenant_id].tier].append(tenant_id)
    for tier in tiers:
        if tier in pools:
            rows.append(Row(key=tier, name=None, tier=tier, pool=True, cells=tuple(pools[tier])))
        for tenant_id in by_tier[tier]:
            tenant_cells = serving.get(tenant_id, [None] * len(environments))
            tenant = project.tenants[tenant_id]
            rows.append(
                Row(key=tenant_id, name=shown(tenant.config.name) or None, tier=tier, pool=False,
                    cells=tuple(tenant_cells), ring=tenant.ring_tag,
                    tags=tuple(sorted((key, shown(value)) for key, value in tenant.config.tags.items())))
            )
    counts: dict[CellState, int] = dict.fromkeys(STATES, 0)
    for cell in cells.values():
        counts[cell.state] += 1
    return FleetTable(release=release, environments=environments, rows=tuple(rows), tiers=tuple(tiers),
                      counts=counts, rings=tuple(project.platform.rollout.rings or ()))


def fleet_page(table: FleetTable, query: FleetQuery, *, paged: bool = True) -> FleetPage:
    """The rows of `table` that match `query`, one page of them (every one unless `paged`), grouped
    by tier."""
    columns = tuple(range(len(table.environments)))
    if query.environment is not None:
        columns = tuple(i for i in columns if table.environments[i] == query.environment)
    needle = query.search.strip().lower()
    matched = [row for row in table.rows if _matches(row, columns, query, needle)]
    per_page = max(1, min(query.per_page, MAX_PER_PAGE)) if paged else max(1, len(matched))
    pages = max(1, math.ceil(len(matched) / per_page))
    page = max(1, min(query.page, pages))
    shown_rows = matched[(page - 1) * per_page : page * per_page]
    groups: list[Group] = []
    for row in shown_rows:
        if groups and groups[-1].tier == row.tier:
            groups[-1] = Group(row.tier, (*groups[-1].rows, row))
        else:
            groups.append(Group(row.tier, (row,)))
    return FleetPage(
        release=table.release,
        environments=tuple(table.environments[i] for i in columns),
        columns=columns,
        groups=tuple(groups),
        matched=len(matched),
        page=page,
        pages=pages,
        query=query,
    )


def _matches(row: Row, columns: tuple[int, ...], query: FleetQuery, needle: str) -> bool:
    if query.tier is not None and row.tier != query.tier:
        return False
    if query.ring is not None and (row.pool or row.ring != query.ring):
        return False
    cells = [row.cells[i] for i in columns if row.cells[i] is not None]
    if not cells:
        return False
    if query.state is not None and not any(cell is not None and cell.state == query.state for cell in cells):
        return False
    if needle:
        haystack = row.key if row.pool else " ".join([row.key, row.name or "", *(v for _, v in row.tags)])
        return needle in haystack.lower()
    return True


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None
