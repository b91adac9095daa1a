"""cli.tables: every line fits the terminal, every id is printed whole, free text is wrapped at words."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from cli.context import PlainConsole
from cli.tables import Column, fitted

COLUMNS = [
    Column("id", id=True),
    Column("title", wrap=True),
    Column("state", priority=3),
    Column("score", priority=1, justify="right"),
    Column("ECV (EUR)", priority=2, justify="right"),
    Column("reasons", wrap=True, priority=4),
]
_IDS = st.from_regex(r"P-20[0-9]{2}-[0-9]{4}(-G[1-5]-[0-9])?", fullmatch=True)
_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz,.-", min_size=1, max_size=10)
_TEXT = st.lists(_WORD, max_size=30).map(" ".join)
_ROW = st.tuples(
    _IDS, _TEXT, st.sampled_from(["awaiting-decision", "screened", "in-stage"]),
    st.decimals(0, 100, places=2).map(str), st.integers(-10**9, 10**9).map(lambda n: f"{n:,}"), _TEXT,
)  # fmt: skip


def _render(columns: list[Column], rows: list[tuple[str, ...]], width: int) -> list[str]:
    console = PlainConsole(width=width, file=io.StringIO(), color_system=None)
    console.print(fitted(columns, rows, width, title="Proposals"))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    return str(text).splitlines()


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(_ROW, max_size=12), width=st.integers(40, 200))
def test_every_line_fits_and_every_id_is_whole(rows: list[tuple[str, ...]], width: int) -> None:
    lines = _render(COLUMNS, rows, width)
    assert [line for line in lines if cell_len(line) > width] == []
    cells = {part.strip() for line in lines for part in line.split("│")}
    assert {row[0] for row in rows} <= cells


@settings(max_examples=200, deadline=None)
@given(words=st.lists(_WORD, min_size=1, max_size=40), width=st.integers(40, 120))
def test_free_text_is_wrapped_at_words(words: list[str], width: int) -> None:
    text = " ".join(words)
    lines = _render(COLUMNS[:2], [("P-2026-0001", text)], width)
    cells = [line.split("│")[2].strip() for line in lines if line.startswith("│")]
    assert " ".join(c for c in cells if c).split() == words


def test_optional_columns_go_lowest_priority_first() -> None:
    row = ("P-2026-0001", "Smart thermostat V2", "awaiting-decision", "85.00", "2,281,679", "x " * 10)
    headers = {width: _render(COLUMNS, [row], width)[2].replace("┃", " ").split() for width in (200, 90, 60, 48, 40)}
    assert headers == {
        200: ["id", "title", "state", "score", "ECV", "(EUR)", "reasons"],
        90: ["id", "title", "state", "score", "ECV", "(EUR)"],
        60: ["id", "title", "score", "ECV", "(EUR)"],
        48: ["id", "title", "score"],
        40: ["id", "title"],
    }


def test_a_values_whole_header_comes_before_free_texts_comfort() -> None:
    """The frontier's table at 80 columns (`governance select`): free text gave its comfortable 20
    cells and the value column's header was cut to "best value (EU"; now the free text gives up
    cells, down to its longest word, for whole headers."""
    columns = [
        Column("budget share", justify="right"),
        Column("budget (EUR)", justify="right"),
        Column("best value (EUR)", justify="right"),
        Column("funded", justify="right"),
        Column("solved", wrap=True),
    ]
    rows = [
        ("17%", "17,176,118", "32,822,500", "25", "time limit, gap 0.59%"),
        ("100%", "103,036,100", "157,866,100", "156", "optimal"),
    ]
    assert _render(columns, rows, 80)[1:] == [
        "┏━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━┓",
        "┃ budget share ┃ budget (EUR) ┃ best value (EUR) ┃ funded ┃ solved             ┃",
        "┡━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━┩",
        "│          17% │   17,176,118 │       32,822,500 │     25 │ time limit, gap    │",
        "│              │              │                  │        │ 0.59%              │",
        "│         100% │  103,036,100 │      157,866,100 │    156 │ optimal            │",
        "└──────────────┴──────────────┴──────────────────┴────────┴────────────────────┘",
    ]
