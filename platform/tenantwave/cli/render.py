"""Human views with rich. Imported only by the CLI."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

STATE_STYLE = {"eligible": "green", "blocked": "yellow", "done": "dim", "running": "cyan"}


def console() -> Any:
    from rich.console import Console

    stream = sys.stdout  # click swaps it under CliRunner too (get_text_stream is deprecated in click 8.5)
    return Console(file=stream, width=None if stream.isatty() else 160, highlight=False, soft_wrap=False)


def plan(the_plan: Any) -> None:
    from rich.table import Table

    out = console()
    totals = {"eligible": 0, "blocked": 0, "done": 0}
    for wave_plan in the_plan.waves:
        wave = wave_plan.wave
        table = Table(
            title=f"Wave {wave.number} of {the_plan.total_waves} · phase {wave.phase} · tier wave {wave.tier_wave}",
            title_justify="left",
            expand=False,
        )
        table.add_column("stack", no_wrap=True)
        table.add_column("tenants")
        table.add_column("state", no_wrap=True)
        table.add_column("reason")
        for item in wave_plan.stacks:
            totals[item.state] += 1
            state = item.state + (" (running)" if item.running else "")
            table.add_row(
                item.stack.name,
                ", ".join(item.stack.tenants) or "(untenanted)",
                f"[{STATE_STYLE[item.state]}]{state}[/]",
                item.reason,
            )
        out.print(table)
    count = sum(totals.values())
    out.print(
        f"release {the_plan.release}: {count} stacks: {totals['eligible']} eligible, "
        f"{totals['blocked']} blocked, {totals['done']} done"
    )


def status(states: Sequence[Any], simulated: bool = False) -> None:
    from rich.table import Table

    out = console()
    title = "Fleet status (simulated by the mock engine: nothing was deployed)" if simulated else "Fleet status"
    table = Table(title=title, title_justify="left")
    for column in ("stack", "tenants", "release", "last result", "when"):
        table.add_column(column, no_wrap=column != "tenants")
    for state in states:
        last = "-" if state.last_status is None else f"{state.last_operation} {state.last_release}: {state.last_status}"
        name = state.name if state.in_config else f"{state.name} (not in config)"
        table.add_row(
            name,
            ", ".join(state.tenants) or "(untenanted)",
            state.current_release or "-",
            last,
            state.last_at or "-",
        )
    out.print(table)
