"""`governance export --format xlsx`: the ranking, the latest selection with its frontier, and the portfolio as
sheets of one workbook (openpyxl), for the people who take the numbers further in a spreadsheet.

Amounts are numeric cells with a thousands format, the currency in the column header; reasons are in words
(`governance.wording`). The bytes are deterministic: the workbook's created and modified times and every
file time inside the archive are the engine's clock, so the same ledger and clock give the same file.
Text from outside (titles, reasons) is always a text cell: a title starting with `=` is never a formula.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from governance.adoption import adopted_policy
from governance.standing import Standing, standings
from governance.views import proposals
from governance.wording import reason_in_words
from models.records import ScoredPayload, SelectedPayload, parse_payload
from models.tables import LedgerRow

__all__ = ["MONEY_FORMAT", "Sheet", "workbook_bytes", "workbook_sheets"]

MONEY_FORMAT = "#,##0"  # whole units, grouped; the currency is in the column header
SCORE_FORMAT = "0.00"


@dataclass(frozen=True, slots=True)
class Sheet:
    """One sheet: its name, header row, rows, and the number format of each numeric column (by header)."""

    name: str
    header: list[str]
    rows: list[list[Any]]
    formats: dict[str, str]


def _money(name: str, currency: str | None) -> str:
    return f"{name} ({currency})" if currency else name


def _latest_cards(conn: Connection) -> dict[str, ScoredPayload]:
    rows = conn.execute(
        select(LedgerRow.subject, LedgerRow.payload).where(LedgerRow.kind == "scored").order_by(LedgerRow.seq)
    )
    return {subject: parse_payload("scored", payload) for subject, payload in rows}


def _latest_selection(conn: Connection) -> tuple[int, SelectedPayload] | None:
    row = conn.execute(
        select(LedgerRow.seq, LedgerRow.payload).where(LedgerRow.kind == "selected").order_by(LedgerRow.seq.desc())
    ).first()
    return None if row is None else (row[0], parse_payload("selected", row[1]))


def workbook_sheets(conn: Connection) -> list[Sheet]:
    """The ranking, the latest recorded selection, its frontier and the portfolio, as sheets."""
    loaded = adopted_policy(conn)
    currency = loaded.policy.currency if loaded is not None else None
    listed = proposals(conn)
    titles = {p.id: p.title for p in listed}
    cards = _latest_cards(conn)
    ranked = sorted(cards.items(), key=lambda item: (-item[1].total, item[0]))
    by_id = {p.id: p for p in listed}
    ranking = Sheet(
        "Ranking",
        ["rank", "id", "reference", "title", "bucket", "state", "gate", "score", _money("ECV", currency),
         _money("NPV", currency), "knocked out", "flags"],
        [
            [n, pid, by_id[pid].reference, by_id[pid].title, by_id[pid].bucket, by_id[pid].state, card.gate,
             card.total, card.financials.ecv, card.financials.npv, "yes" if card.knocked_out else "no",
             "; ".join(card.flags)]
            for n, (pid, card) in enumerate(ranked, 1)
            if pid in by_id
        ],
        {"score": SCORE_FORMAT, _money("ECV", currency): MONEY_FORMAT, _money("NPV", currency): MONEY_FORMAT},
    )  # fmt: skip
    found = _latest_selection(conn)
    if found is None:
        selection = Sheet(
            "Selection", ["selection"], [["no selection recorded yet (a quarterly review makes one)"]], {}
        )
        frontier = Sheet("Frontier", ["frontier"], [["no selection recorded yet"]], {})
    else:
        _, chosen = found
        unit = currency if chosen.value_measure != "score" else None
        value = _money("value", unit) if unit else "value (score)"
        if chosen.status in ("optimal", "gap"):
            funded = [[pid, titles.get(pid, ""), "yes", ""] for pid in chosen.selected]
            left = [
                [item.id, titles.get(item.id, ""), "no", "; ".join(reason_in_words(r, currency) for r in item.reasons)]
                for item in chosen.left_out
            ]
            selection = Sheet("Selection", ["id", "title", "funded", "why not"], funded + left, {})
        else:
            conflicts = [[chosen.status, c] for c in chosen.conflicts] or [[chosen.status, ""]]
            selection = Sheet("Selection", ["no selection", "conflicting constraints"], conflicts, {})
        frontier = Sheet(
            "Frontier",
            ["budget share", _money("budget", currency), "status", value, "funded"],
            [[f.share, f.budget, f.status, f.value, f.count] for f in chosen.frontier],
            {"budget share": "0%", _money("budget", currency): MONEY_FORMAT, value: MONEY_FORMAT if unit else "0.00"},
        )
    standing = standings(conn)
    portfolio = Sheet(
        "Portfolio",
        ["id", "reference", "title", "bucket", "state", "sponsor", "score", _money("ECV", currency), "decision",
         "funded"],
        [
            [p.id, p.reference, p.title, p.bucket, p.state, p.sponsor, s.score, s.ecv, s.decision or "",
             {None: "", True: "yes", False: "no"}[s.funded]]
            for p in listed
            for s in [standing.get(p.id) or Standing()]
        ],
        {"score": SCORE_FORMAT, _money("ECV", currency): MONEY_FORMAT},
    )  # fmt: skip
    return [ranking, selection, frontier, portfolio]


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def workbook_bytes(sheets: Sequence[Sheet], now: dt.datetime, title: str = "Portfolio") -> bytes:
    """The sheets as an .xlsx file, byte for byte the same for the same sheets and `now` (the engine's clock)."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    stamp = now.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    book = Workbook()
    book.remove(book.active)
    book.properties.creator = book.properties.lastModifiedBy = "governance"
    book.properties.title = title
    book.properties.created = book.properties.modified = stamp
    for sheet in sheets:
        ws = book.create_sheet(sheet.name)
        ws.append(sheet.header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for row in sheet.rows:
            ws.append([_cell(v) for v in row])
        for n, name in enumerate(sheet.header, 1):
            fmt = sheet.formats.get(name)
            for (cell,) in ws.iter_rows(min_row=2, min_col=n, max_col=n):
                if cell.data_type == "f":  # text from outside that starts with `=`: text, never a formula
                    cell.data_type = "s"
                if fmt and isinstance(cell.value, int | float | Decimal):
                    cell.number_format = fmt
            width = max([len(str(name)), *(len(str(r[n - 1])) for r in sheet.rows if r[n - 1] is not None)])
            ws.column_dimensions[ws.cell(1, n).column_letter].width = min(60, width + 2)
    raw = io.BytesIO()
    book.save(raw)
    return _fixed_times(raw.getvalue(), stamp)


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    return value


def _fixed_times(data: bytes, stamp: dt.datetime) -> bytes:
    """The archive again with every member's time `stamp` and the workbook's modified time `stamp` (openpyxl
    sets both to the wall clock when it saves)."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _MODIFIED.sub(lambda m: m.group(1) + iso + m.group(2), content)
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            target.writestr(fixed, content)
    return out.getvalue()
