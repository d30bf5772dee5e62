"""Human views with rich. Imported only by the CLI.

Every text a rich view shows comes from outside (names and reasons built from YAML values, errors
recorded in the ledger): it goes in through `cli.text.markup_safe`, never as markup."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tenantwave.cli.tables import Column, console, dropped_note, print_table, terminal_width
from tenantwave.cli.text import printable
from tenantwave.planning.driftage import describe_drift

if TYPE_CHECKING:
    from tenantwave.planning.gate import GateVerdict
    from tenantwave.planning.plan import Plan
    from tenantwave.planning.status import StackState

STATE_STYLE = {"eligible": "green", "blocked": "yellow", "deferred": "magenta", "done": "dim", "running": "cyan"}


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _state_style(state: str) -> str | None:
    return STATE_STYLE.get(state.split(" ", 1)[0])


# Above this many rows a view is printed as plain aligned text: rich lays a table out in time and
# memory that grow fast with its rows (about 25 s for a plan of 25,000 stacks).
RICH_MAX_ROWS = 2000
PLAIN_TENANTS = 3
PLAN_COLUMNS = (
    Column("stack"),
    Column("tenants", essential=False, wraps=True, drop_rank=1),
    Column("state", style=_state_style),
    Column("reason", wraps=True, min_width=24),
)


def plan(the_plan: Plan, *, wide: bool = False, now: datetime | None = None) -> None:
    """`now` (the ledger's time) dates drift found on a stack: "drifted: 2 resources, 3 days ago"."""
    moment = now or _utcnow()
    rows = sum(len(wave_plan.stacks) for wave_plan in the_plan.waves)
    plain = rows > RICH_MAX_ROWS
    out = None if plain else console(terminal_width())
    totals = {"eligible": 0, "blocked": 0, "deferred": 0, "done": 0}
    dropped: list[str] = []
    for wave_plan in the_plan.waves:
        wave = wave_plan.wave
        ring = f" · ring {wave.ring}" if wave.ring is not None else ""
        title = f"Wave {wave.number} of {the_plan.total_waves} · phase {wave.phase}{ring} · tier wave {wave.tier_wave}"
        cells = []
        for item in wave_plan.stacks:
            totals[item.state] += 1
            state = item.state + (" (running)" if item.running else "")
            reason = item.reason + (f"; {describe_drift(item.drift, moment)}" if item.drift is not None else "")
            cells.append((item.stack.name, _tenants(item.stack.tenants, plain), state, reason))
        if out is None:
            plain_table(title, [column.name for column in PLAN_COLUMNS], cells)
            sys.stdout.write("".join(f"{line}\n" for line in gate_lines(wave_plan.gate)))
        else:
            left_out = print_table(title, PLAN_COLUMNS, cells, wide=wide)
            dropped += [name for name in left_out if name not in dropped]
            for line in gate_lines(wave_plan.gate):
                out.print(line, markup=False)
    count = sum(totals.values())
    summary = (
        f"release {the_plan.release}: {count} stacks: {totals['eligible']} eligible, "
        f"{totals['blocked']} blocked, " + (f"{totals['deferred']} deferred, " if totals["deferred"] else "")
        + f"{totals['done']} done"
    )
    if out is None:
        sys.stdout.write(summary + "\n")
        return
    out.print(summary, markup=False)
    if dropped:
        out.print(dropped_note(dropped), markup=False)


def calendar(lines: Sequence[str]) -> None:
    """The freezes and windows under a plan (planning/outlook.py), when the project has any."""
    if lines:
        sys.stdout.write("calendar:\n" + "".join(f"  {printable(line, one_line=True)}\n" for line in lines))


def gate_lines(gate: GateVerdict | None) -> list[str]:
    """A wave's gate under its table: open (and who approved it), or closed with every reason."""
    if gate is None:
        return []
    if not gate.open:
        return ["gate: closed", *(f"  - {reason}" for reason in gate.reasons)]
    a = gate.approval
    return [f"gate: open (approved by {a.approved_by} at {a.approved_at:%Y-%m-%d %H:%M}Z)" if a else "gate: open"]


def _tenants(tenants: Sequence[str], plain: bool) -> str:
    """The tenants a stack serves; in plain text at most PLAIN_TENANTS of them (a pool serves thousands)."""
    if not tenants:
        return "(untenanted)"
    if plain and len(tenants) > PLAIN_TENANTS:
        return ", ".join(tenants[:PLAIN_TENANTS]) + f" and {len(tenants) - PLAIN_TENANTS} more"
    return ", ".join(tenants)


def plain_table(title: str, columns: Sequence[str], cells: Sequence[Sequence[str]]) -> None:
    """A table as aligned plain text (one line per row, the last column unpadded), written at once."""
    cells = [[printable(cell, one_line=True) for cell in row] for row in cells]
    widths = [max([len(column), *(len(row[index]) for row in cells)]) for index, column in enumerate(columns)]

    def line(row: Sequence[str]) -> str:
        padded = [value.ljust(width) for value, width in zip(row[:-1], widths, strict=False)]
        return "  ".join([*padded, row[-1]]).rstrip()

    rule = "  ".join("-" * width for width in widths)
    text = [printable(title), line(columns), rule, *(line(row) for row in cells), ""]
    sys.stdout.write("\n".join(text) + "\n")


DRIFT_COLUMN = Column("drift")
STATUS_COLUMNS = (
    Column("stack"),
    Column("tenants", essential=False, wraps=True, drop_rank=1),
    Column("release"),
    Column("last result"),
    Column("when", essential=False, drop_rank=2),
)


def status(states: Sequence[StackState], simulated: bool = False, *, wide: bool = False,
           now: datetime | None = None) -> None:
    """A `drift` column when drift stands on a stack ("drifted: 2 resources, 3 days ago" at `now`)."""
    title = "Fleet status (simulated by the mock engine: nothing was deployed)" if simulated else "Fleet status"
    plain = len(states) > RICH_MAX_ROWS
    cells: list[tuple[str, ...]] = []
    for state in states:
        last = "-" if state.last_status is None else f"{state.last_operation} {state.last_release}: {state.last_status}"
        name = state.name if state.in_config else f"{state.name} (not in config)"
        running = state.current_revision or state.current_release or "-"  # the revision, when recorded
        cells.append((name, _tenants(state.tenants, plain), running, last, state.last_at or "-"))
    columns: Sequence[Column] = STATUS_COLUMNS
    if any(state.drift is not None for state in states):
        moment = now or _utcnow()
        columns = (*STATUS_COLUMNS[:4], DRIFT_COLUMN, *STATUS_COLUMNS[4:])
        cells = [(*row[:4], describe_drift(s.drift, moment) if s.drift else "-", *row[4:])
                 for row, s in zip(cells, states, strict=True)]
    if plain:
        plain_table(title, [column.name for column in columns], cells)
        return
    dropped = print_table(title, columns, cells, wide=wide)
    if dropped:
        sys.stdout.write(dropped_note(dropped) + "\n")


TENANT_COLUMNS = (
    Column("tenant"),
    Column("tier"),
    Column("release per environment", wraps=True, min_width=20),
    Column("last result", essential=False, wraps=True, min_width=16, drop_rank=1),
)


def tenants(rows: Sequence[Sequence[str]], *, wide: bool = False) -> None:
    """`tenant list`: one row per tenant (tier, the release it runs per environment, last result)."""
    if len(rows) > RICH_MAX_ROWS:
        plain_table("Tenants", [column.name for column in TENANT_COLUMNS], rows)
        return
    dropped = print_table("Tenants", TENANT_COLUMNS, rows, wide=wide)
    if dropped:
        sys.stdout.write(dropped_note(dropped) + "\n")
