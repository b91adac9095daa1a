"""governance.workbook: the spreadsheet export read back with openpyxl, whole sheets; deterministic bytes."""

# ruff: noqa: E501 - the expected sheets are whole rows, a line each

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from governance import adoption, gates, intake, projects
from governance.assessments import read_assessments
from governance.authority import Actor
from governance.clock import FixedClock, SeededIds
from governance.inputs import read_here
from governance.ledger import Ledger
from governance.policy import load_policy
from governance.reports import file_status_reports, read_status_reports
from governance.review import propose_review
from governance.store import Store
from governance.workbook import workbook_bytes, workbook_sheets

from ..commands import assessment_csv
from ..conftest import EXAMPLES, ROOT, START

HOSTILE_TITLE = '=HYPERLINK("http://evil.example","click")'
# The two proposals share the sample's costs and benefits (so their ECV); the 2026Q3 selection is infeasible
# (the bucket minimum for improvements cannot be met) and the sheet says why.
# fmt: off
SHEETS = {
    "Ranking": [
        ('rank', 'id', 'reference', 'title', 'bucket', 'state', 'gate', 'score', 'ECV (EUR)', 'NPV (EUR)', 'knocked out', 'flags'),
        (1, 'P-2026-0009', 'NW-ALPHA', '=HYPERLINK("http://evil.example","click")', 'new-products', 'scored', 1, 80, 1795169.81, 3819961.36, 'no', None),
        (2, 'P-2026-0010', 'NW-BETA', 'Beta valve', 'new-products', 'scored', 1, 56.49, 1795169.81, 3819961.36, 'no', None),
    ],
    "Selection": [
        ('no selection', 'conflicting constraints'),
        ('infeasible', 'bucket improvements minimum 10% of budget (1,800,000.00)'),
    ],
    "Frontier": [
        ('budget share', 'budget (EUR)', 'status', 'value (EUR)', 'funded'),
    ],
    "Portfolio": [
        ('id', 'reference', 'title', 'bucket', 'state', 'sponsor', 'score', 'ECV (EUR)', 'decision', 'funded'),
        ('P-2026-0001', 'NW-RUN-HPC2', 'Heat pump controller gen2', 'new-products', 'active', 'Katrin Vogel', 71.5, None, None, None),
        ('P-2026-0002', 'NW-RUN-CLOUDMIG', 'Device backend migration to managed cloud', 'platform', 'active', 'Lee Okafor', 58, None, None, None),
        ('P-2026-0003', 'NW-RUN-ECOLABEL', 'Energy label 2026 compliance update', 'improvements', 'active', 'Tom Becker', 66, None, None, None),
        ('P-2026-0004', 'NW-RUN-SMT', 'SMT line upgrade in Brno', 'cost-reduction', 'active', 'Tom Becker', 69, None, None, None),
        ('P-2026-0005', 'NW-RUN-ZIGBEE', 'Zigbee bridge for legacy sensors', 'new-products', 'paused', 'Mia Lindqvist', 63, None, None, None),
        ('P-2026-0006', 'NW-RUN-DATAHUB', 'Service data hub', 'platform', 'active', 'Lee Okafor', 61, None, None, None),
        ('P-2026-0007', 'NW-RUN-VALVEPCB', 'Valve PCB cost-down', 'cost-reduction', 'active', 'Raj Mehta', 72, None, None, None),
        ('P-2026-0008', 'NW-RUN-PORTAL', 'Installer portal relaunch', 'improvements', 'active', 'Mia Lindqvist', 64, None, None, None),
        ('P-2026-0009', 'NW-ALPHA', '=HYPERLINK("http://evil.example","click")', 'new-products', 'scored', 'Katrin Vogel', 80, 1795169.81, None, None),
        ('P-2026-0010', 'NW-BETA', 'Beta valve', 'new-products', 'scored', 'Katrin Vogel', 56.49, 1795169.81, None, None),
    ],
}
# fmt: on


def _reviewed(folder: Path, proposals: list[str], assessments: list[str], shares_of: str = "spend") -> Store:
    """The running projects imported, `proposals` filed and scored from `assessments`, the 2026Q3 reports
    filed and the 2026Q3 review proposed (its selection recorded), all in this process. `shares_of`:
    the policy's bucket_shares_of (the shipped policy's is "spend")."""
    store = Store(f"sqlite:///{folder / 'g.db'}")
    store.upgrade()
    book = Ledger(FixedClock(START), SeededIds("workbook"))
    text = (ROOT / "policies" / "stage-gate.yaml").read_text(encoding="utf-8")
    policy = folder / "policy.yaml"
    (folder / "people").symlink_to(ROOT / "policies" / "people")  # the policy's people_file, relative to it
    policy.write_text(
        text.replace("  bucket_shares_of: spend\n", f"  bucket_shares_of: {shares_of}\n"), encoding="utf-8"
    )
    adoption.adopt_policy(store, book, load_policy(str(policy)), Actor.of("ana"))
    projects.import_projects(store, book, [EXAMPLES / "projects"], "pmo")
    intake.file_proposals(store, book, intake.check_submission(store, proposals), "pmo")
    gates.record_scores(store, book, read_assessments(read_here(assessments)), "pmo")
    reports = read_status_reports(read_here([str(EXAMPLES / "status" / "2026Q3")]), "2026Q3")
    file_status_reports(store, book, reports, "pmo")
    propose_review(store, book, "2026Q3", "pmo")
    return store


@pytest.fixture
def reviewed(tmp_path: Path) -> Store:
    """Two proposals (one titled like a formula) beside the running projects, the 2026Q3 review proposed."""
    source = (EXAMPLES / "proposals" / "05-smart-radiator-valve.yaml").read_text(encoding="utf-8")
    source = source.replace("depends_on: [NW-MATTER-STACK]", "depends_on: []")
    files, cards = [], []
    for reference, title, ratings in (("NW-ALPHA", HOSTILE_TITLE, (8, 8)), ("NW-BETA", "Beta valve", (6, 5))):
        files.append(str(tmp_path / f"{reference}.yaml"))
        text = source.replace("NW-TRV-SMART", reference)
        Path(files[-1]).write_text(text.replace("title: Smart radiator valve with Thread", f"title: '{title}'"))
        cards.append(str(assessment_csv(tmp_path / f"{reference}.csv", reference, ratings)))
    # Bucket shares of the budget: the eight projects and two proposals cannot meet improvements' minimum.
    return _reviewed(tmp_path, files, cards, shares_of="budget")


def _read(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = load_workbook(io.BytesIO(data))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book}


def test_the_sheets_read_back_whole(reviewed: Store) -> None:
    with reviewed.read() as conn:
        data = workbook_bytes(workbook_sheets(conn), START)
    assert _read(data) == SHEETS
    book = load_workbook(io.BytesIO(data))
    title, ecv = book["Ranking"]["D2"], book["Ranking"]["I2"]
    assert (title.data_type, title.value) == ("s", HOSTILE_TITLE)  # text, never a formula
    assert (ecv.data_type, ecv.number_format, book["Ranking"]["H2"].number_format) == ("n", "#,##0", "0.00")


def test_the_bytes_are_the_clocks_not_the_wall_clocks(reviewed: Store) -> None:
    with reviewed.read() as conn:
        sheets = workbook_sheets(conn)
    first = workbook_bytes(sheets, START)
    time.sleep(1.1)  # openpyxl stamps the wall clock, to the second, into the archive and the properties
    assert workbook_bytes(sheets, START) == first
    archive = zipfile.ZipFile(io.BytesIO(first))
    assert {info.date_time for info in archive.infolist()} == {(2026, 11, 23, 9, 0, 0)}
    core = archive.read("docProps/core.xml").decode()
    assert core.count(">2026-11-23T09:00:00Z<") == 2  # created and modified


def test_a_selection_with_its_frontier(tmp_path: Path) -> None:
    """The bundled samples (every proposal scored) and the 2026Q3 reports: a selection with a frontier."""
    from governance.ledger import latest_record
    from models.records import SelectedPayload

    store = _reviewed(tmp_path, [str(EXAMPLES / "proposals")], [str(EXAMPLES / "assessments")])
    with store.read() as conn:
        sheets = _read(workbook_bytes(workbook_sheets(conn), START))
        record = latest_record(conn, "Q-2026Q3", "selected")
    assert record is not None
    chosen = record.body_as(SelectedPayload)
    assert chosen.status == "optimal"
    assert sheets["Frontier"] == [
        ("budget share", "budget (EUR)", "status", "value (EUR)", "funded"),
        *((float(f.share), float(f.budget), f.status, None if f.value is None else float(f.value), f.count)
          for f in chosen.frontier),
    ]  # fmt: skip
    selection = sheets["Selection"]
    assert selection[0] == ("id", "title", "funded", "why not")
    assert [(r[0], r[2]) for r in selection[1:]] == [(i, "yes") for i in chosen.selected] + [
        (i.id, "no") for i in chosen.left_out
    ]
    why = [r[3] for r in selection[1:] if r[2] == "no"]
    assert all(w for w in why) and not [w for w in why if "ecv -" in w or ".00" in w]  # in words, whole units
