"""Tables that fit the terminal: optional columns dropped when it is narrow, ids never cut, text wrapped at words.

    print_fitted(out, [Column("id", id=True), Column("title", wrap=True), Column("ECV (EUR)", priority=2)], rows)

Each column is an id (never wrapped or cut: its width is its longest cell), a value (not wrapped: a state,
an amount, a date) or free text (`wrap=True`: wrapped at word boundaries; only a word longer than the whole
column is folded). When the columns at their narrowest do not fit, the optional column with the highest
`priority` number goes first, then the next. The widths are fixed here, so rich never shrinks a column
with an ellipsis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from cli.context import visible

__all__ = ["Column", "fitted", "print_fitted"]

# A free-text column is never narrower than this (or its text, if shorter): a column that is always shown
# keeps room to be read, before an optional column is given any.
_NARROWEST_TEXT, _NARROWEST_OPTIONAL_TEXT = 20, 12


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its header, whether it holds ids or free text, and when it may be left out.

    `priority` 0 is always shown; a higher number is dropped earlier when the terminal is narrow.
    """

    header: str
    id: bool = False
    wrap: bool = False
    priority: int = 0
    justify: Literal["left", "right"] = "left"


def _words(text: str) -> list[str]:
    return text.split() or [""]


def _widths(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> list[tuple[int, int, int]]:
    """Each column's (narrowest, comfortable, natural) width in cells: free text may go down to its longest
    word (or its header's) when nothing optional is left to drop."""
    sizes = []
    for i, column in enumerate(columns):
        cells = [visible(row[i]) for row in rows]
        header_word = max(cell_len(w) for w in _words(column.header))
        natural = max([cell_len(column.header), *(cell_len(line) for c in cells for line in c.splitlines() or [""])])
        if column.wrap:
            longest = max([0, *(cell_len(w) for c in cells for w in c.split())])
            least = _NARROWEST_OPTIONAL_TEXT if column.priority else _NARROWEST_TEXT
            comfortable = max(header_word, min(natural, least))
            narrowest = max(header_word, min(longest, least))
        else:
            narrowest = comfortable = max(
                [header_word, *(cell_len(line) for c in cells for line in c.splitlines() or [""])]
            )
        sizes.append((narrowest, comfortable, max(comfortable, natural)))
    return sizes


def _frame(count: int) -> int:
    """Cells a box table spends outside its columns: a border each side and `| ` ... ` |` around each."""
    return 3 * count + 1


def fitted(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    width: int,
    *,
    title: str | None = None,
    styles: Sequence[str] | None = None,
) -> Table:
    """A rich table of `rows` no wider than `width` where the kept columns allow it.

    Args:
        columns: the columns, in display order.
        rows: one sequence of cell texts per row, in the order of `columns`.
        width: the terminal's width in cells.
        title: the table's title.
        styles: a style per row ("" for none).

    Returns:
        The table, its optional columns dropped (highest `priority` first) until the rest fit.
    """
    kept = list(range(len(columns)))
    sizes = _widths(columns, rows)
    while sum(sizes[i][1] for i in kept) + _frame(len(kept)) > width:
        optional = [i for i in kept if columns[i].priority > 0]
        if not optional:
            break  # nothing left to drop: the required columns at their narrowest, however wide
        kept.remove(max(optional, key=lambda i: (columns[i].priority, i)))
    given = {i: sizes[i][1] for i in kept}
    spare = width - _frame(len(kept)) - sum(given.values())
    while spare < 0:  # only required columns left: free text down to its narrowest, the widest first
        widest = max((i for i in kept if given[i] > sizes[i][0]), key=lambda i: given[i], default=None)
        if widest is None:
            break
        given[widest] -= 1
        spare += 1
    # A value's or an id's whole header comes before free text's comfort: free text gives up cells for
    # it, down to its narrowest (a cut header reads as other words: "best value (EU").
    short = sum(max(0, cell_len(columns[i].header) - given[i]) for i in kept if not columns[i].wrap) - spare
    while short > 0:
        widest = max(
            (i for i in kept if columns[i].wrap and given[i] > sizes[i][0]), key=lambda i: given[i], default=None
        )
        if widest is None:
            break
        given[widest] -= 1
        spare += 1
        short -= 1
    # Values and ids first (whole headers too), then free text shares what is left, a cell at a time.
    for i in kept:
        if not columns[i].wrap:
            extra = max(0, min(spare, sizes[i][2] - given[i]))
            given[i] += extra
            spare -= extra
    growing = [i for i in kept if columns[i].wrap]
    while spare > 0 and growing:
        growing = [i for i in growing if given[i] < sizes[i][2]]
        for i in growing[:spare]:
            given[i] += 1
            spare -= 1
    table = Table(title=title)
    for i in kept:
        column = columns[i]
        table.add_column(
            column.header,
            width=given[i],
            no_wrap=not column.wrap,
            overflow="fold",
            justify=column.justify,
        )
    for n, row in enumerate(rows):
        table.add_row(*(row[i] for i in kept), style=styles[n] if styles else None)
    return table


def print_fitted(
    console: Console,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    styles: Sequence[str] | None = None,
) -> None:
    """`fitted` at the console's width, printed."""
    console.print(fitted(columns, rows, console.width, title=title, styles=styles))
