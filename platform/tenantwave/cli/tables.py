"""Tables that fit the terminal without cutting what matters.

Each column is essential (a stack's name, its release, its state: never cut, never dropped) or
optional (tenants, when: dropped, least important first, when the table would not fit, and shown
again with `--wide`). A column may wrap onto several lines down to its `min_width` (a reason, a
list of tenants); the others keep their full width. When even the essential columns are wider than
the terminal, the table is printed wider than the terminal rather than cut.

The width is `COLUMNS` when set, the terminal's on a terminal, else 160 (logs, pipes).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tenantwave.cli.text import markup_safe, printable

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

PIPE_WIDTH = 160


@dataclass(frozen=True)
class Column:
    name: str
    essential: bool = True  # never dropped, never cut
    wraps: bool = False  # may wrap onto lines as narrow as min_width
    min_width: int = 12
    drop_rank: int = 0  # optional columns: the highest rank is dropped first
    style: Callable[[str], str | None] | None = None  # a rich style for a cell's text, or None


def terminal_width() -> int:
    """COLUMNS when set, the terminal's width on a terminal, else PIPE_WIDTH."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return shutil.get_terminal_size((PIPE_WIDTH, 24)).columns
    return PIPE_WIDTH


def console(width: int) -> Console:
    from rich.console import Console

    stream = sys.stdout  # click swaps it under CliRunner too (get_text_stream is deprecated in click 8.5)
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def natural_widths(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> list[int]:
    """Each column's width with nothing wrapped: its longest line, or its name."""
    return [
        max([len(column.name), *(max(map(len, row[i].splitlines()), default=0) for row in rows)])
        for i, column in enumerate(columns)
    ]


def narrowest_widths(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> list[int]:
    """Each column's width at its narrowest: a wrapping column down to its min_width, but never
    narrower than its longest word (rich does not break words); the others at their natural width."""
    natural = natural_widths(columns, rows)
    return [
        min(natural[i], max([column.min_width, *(len(word) for row in rows for word in row[i].split())]))
        if column.wraps else natural[i]
        for i, column in enumerate(columns)
    ]


def fit(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int, *, wide: bool) -> tuple[list[int], int]:
    """The indexes of the columns shown and the width to render them at (at least `width`)."""
    natural, narrowest = natural_widths(columns, rows), narrowest_widths(columns, rows)
    shown = list(range(len(columns)))

    def needed(indexes: Sequence[int], squeeze: bool) -> int:
        cells = [narrowest[i] if squeeze else natural[i] for i in indexes]
        return sum(cells) + 3 * len(indexes) + 1  # "│ " before each cell, " " after it, and the last "│"

    if wide:
        return shown, max(width, needed(shown, squeeze=False))
    optional = sorted((i for i in shown if not columns[i].essential), key=lambda i: -columns[i].drop_rank)
    while optional and needed(shown, squeeze=True) > width:
        shown.remove(optional.pop(0))
    return shown, max(width, needed(shown, squeeze=True))


def print_table(title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]], *, wide: bool,
                out: Console | None = None) -> list[str]:
    """Print a boxed table fitted to the terminal; the names of the columns left out."""
    shown, width = fit(columns, rows, terminal_width(), wide=wide)
    least = natural_widths(columns, rows) if wide else narrowest_widths(columns, rows)
    table = _table(title, [columns[i] for i in shown], [[row[i] for i in shown] for row in rows],
                   [least[i] for i in shown])
    (out or console(width)).print(table, width=width, crop=False)  # never cut: wider than the terminal at worst
    return [column.name for i, column in enumerate(columns) if i not in shown]


def _table(title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]], minimum: Sequence[int]) -> Table:
    from rich.table import Table

    table = Table(title=markup_safe(title), title_justify="left", expand=False)
    for column, least in zip(columns, minimum, strict=True):
        table.add_column(column.name, no_wrap=not column.wraps, min_width=least, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(value, column) for value, column in zip(row, columns, strict=True)))
    return table


def _cell(value: str, column: Column) -> str:
    style = column.style(value) if column.style is not None else None
    return f"[{style}]{markup_safe(value)}[/]" if style else markup_safe(value)


def dropped_note(dropped: Sequence[str]) -> str:
    """The line under a table that left columns out."""
    return f"(not shown at this width: {', '.join(dropped)}; --wide shows every column)"


def plain_cells(rows: Sequence[Sequence[str]]) -> list[list[str]]:
    return [[printable(cell, one_line=True) for cell in row] for row in rows]
