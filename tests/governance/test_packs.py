"""PDF packs through real WeasyPrint: contents, attachments, stamps, reproducibility, the fetcher, layout."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydyf
import pytest
from pypdf import PdfReader

from bench.synthetic import synthetic_quarter
from governance import adoption, board, gates, intake, packs
from governance.assessments import read_assessments
from governance.authority import Actor
from governance.clock import FixedClock, SeededIds
from governance.ledger import Ledger, latest_record
from governance.packs import charts
from governance.policy import load_policy
from governance.store import Store
from models.decision import DecisionInput

from .test_intake import proposal, write

ROOT = Path(__file__).resolve().parent.parent.parent
IT = load_policy("it-demand")
START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
PID = "P-2026-0001"
LONG_WORD = "Unbreakable" * 40  # 440 characters with no place to break
ATTACKS = (
    '<img src="file:///etc/passwd">',
    "<style>body { background: url(http://127.0.0.1:9/x.png) }</style>",
    '<a rel="attachment" href="file:///etc/passwd">passwd</a>',
)


def _ledger() -> Ledger:
    return Ledger(FixedClock(START, dt.timedelta(seconds=1)), SeededIds("packs"), engine_version="test")


def _decision(rationale: str) -> DecisionInput:
    return DecisionInput.model_validate(
        {
            "proposal_id": PID,
            "gate": 1,
            "outcome": "conditional-go",
            "rationale": rationale,
            "decided_by": "cio",
            "meeting_date": "2026-11-23",
            "votes": [{"member": "cio", "outcome": "conditional-go"}, {"member": "ciso", "outcome": "hold"}],
            "conditions": [{"text": "Security review " + LONG_WORD, "owner": "CISO", "due": "2027-02-01"}],
        }
    )


def build_gate_db(folder: Path) -> Store:
    """One proposal with very long text, scored, recommended and decided (conditional go) at gate 1."""
    folder.mkdir(parents=True, exist_ok=True)
    store = Store(f"sqlite:///{folder / 'governance.db'}")
    store.upgrade()
    ledger = _ledger()
    adoption.adopt_policy(store, ledger, IT, Actor.of("ana"))
    summary = "\n\n".join(
        f"Paragraph {i}: the controller replaces the legacy unit. {LONG_WORD} and then ordinary words follow. " * 3
        for i in range(12)
    )
    data = proposal(
        "NW-ALPHA",
        title="Alpha " + "Heatpumpcontroller" * 10,
        summary=summary,
        bucket="grow",
        objectives=["digital"],
        sponsor="Daniel Weiss",
        submitter="Jonas Berg",
        risks=[{"title": "Supplier " + LONG_WORD[:150], "likelihood": 3, "impact": 4, "mitigation": LONG_WORD}],
    )
    candidates = intake.validate_submission([str(write(folder, "a.yaml", data))], IT.policy, {})
    intake.file_proposals(store, ledger, candidates, "jonas")
    docs = [
        {
            "proposal": PID,
            "gate": 1,
            "assessor": a,
            "ratings": {"business-value": r, "urgency": 7, "architecture-fit": 6},
            "must_meet": {},
        }
        for a, r in (("ciso", 8), ("demand", 5))
    ]
    gates.record_scores(store, ledger, read_assessments([write(folder, "assess.yaml", docs)]), "pmo")
    gates.record_recommendation(store, ledger, PID, "pmo")
    board.decide(
        store, ledger, _decision("Approved with care. " + " ".join(ATTACKS) + " " + LONG_WORD), Actor.of("cio")
    )
    return store


@pytest.fixture(scope="module")
def gate_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = build_gate_db(tmp_path_factory.mktemp("gate-db"))
    yield store
    store.dispose()


@pytest.fixture(scope="module")
def gate_pdf(gate_db: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return packs.gate_pack(gate_db, PID, 1, tmp_path_factory.mktemp("packs"))


def _all_stream_bytes(path: Path) -> bytes:
    """Every stream of the PDF, decompressed, plus the raw file: where an embedded file would show."""
    reader = PdfReader(str(path))
    chunks = [path.read_bytes()]
    for number in range(1, int(reader.trailer["/Size"])):
        obj = reader.get_object(number)
        if obj is not None and hasattr(obj, "get_data"):
            chunks.append(obj.get_data())
    return b"\n".join(chunks)


def test_gate_pack_reads_back_whole(gate_db: Store, gate_pdf: Path) -> None:
    with gate_db.read() as conn:
        decided = latest_record(conn, PID, "decided")
    assert decided is not None
    pack = packs.read_pack(gate_pdf)
    assert gate_pdf.name == "P-2026-0001-gate1-decision.pdf"
    assert pack.title == f"Gate 1 decision pack: {PID} Alpha " + "Heatpumpcontroller" * 10
    assert pack.author == "cio (portfolio-governance test)"
    assert pack.pdfa == "3B"
    assert pack.creation_date == pack.modification_date == decided.recorded_at.strftime("D:%Y%m%d%H%M%SZ")
    assert list(pack.attachments) == ["decision-record.json"]
    assert pack.records == [packs.record_object(decided)]
    assert list(pack.records[0]) == list(packs.RECORD_FIELDS)
    assert pack.page_count == len(pack.pages) >= 3
    expected = [
        packs.PageStamp("record", decided.seq, decided.hash, decided.policy_version or "", n, pack.page_count)
        for n in range(1, pack.page_count + 1)
    ]
    assert pack.stamps == expected
    text = "\n".join(pack.pages)
    for heading in (
        "Summary",
        "Score card",
        "Must-meet criteria",
        "Financials",
        "Recommendation",
        "Open conditions",
        "Decision of the board",
        "Votes",
        "Conditions",
        "Rationale",
        "The ledger record this pack stands on",
    ):
        assert heading in text, heading
    assert "CONDITIONAL GO" in text
    # Votes, dissent and recusals name people as the policy does (name and roles), not by login.
    assert "dissent" in text and "Sofia Marques" in text
    assert "Daniel Weiss: sponsor of the proposal" in text  # the recusal
    assert "Votes (names and roles from the policy's people)" in text
    assert "C-2026-0001-G1-1" in text


def test_attached_record_re_derives_its_hash(gate_pdf: Path) -> None:
    [r] = packs.read_pack(gate_pdf).records
    # The auditor's two lines (governance.record_layout), written out independently of the engine.
    header = json.dumps(
        [r[k] for k in packs.RECORD_FIELDS[:10]] + [r["prev_hash"]], ensure_ascii=False, separators=(",", ":")
    )
    assert hashlib.sha256(f"{header}\n{r['payload']}".encode()).hexdigest() == r["hash"]


def test_submitter_markup_is_text_not_markup(gate_pdf: Path) -> None:
    text = "".join(packs.read_pack(gate_pdf).pages).replace("\n", "")
    assert 'src="file:///etc/passwd">' in text
    assert "url(http://127.0.0.1:9/x.png)" in text


def test_pre_read_has_the_recommendation_and_no_decision(gate_db: Store, tmp_path: Path) -> None:
    with gate_db.read() as conn:
        recommended = latest_record(conn, PID, "recommended")
    assert recommended is not None
    pack = packs.read_pack(packs.gate_pack(gate_db, PID, 1, tmp_path, pre_read=True))
    text = "\n".join(pack.pages)
    assert pack.title is not None and pack.title.startswith("Gate 1 pre-read: P-2026-0001")
    assert "Recommendation" in text and "Open conditions" in text
    assert "Decision of the board" not in text and "Rationale" not in text
    assert pack.records == [packs.record_object(recommended)]
    assert {s.seq for s in pack.stamps if s} == {recommended.seq} and None not in pack.stamps


def test_no_decision_yet_is_not_found(gate_db: Store, tmp_path: Path) -> None:
    with pytest.raises(packs_not_found()):
        packs.gate_pack(gate_db, PID, 2, tmp_path)


def packs_not_found() -> type[Exception]:
    from governance.errors import NotFoundError

    return NotFoundError


def test_identical_bytes_in_a_fresh_process_with_another_zone_and_locale(
    gate_db: Store, gate_pdf: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    script = (
        "import sys; from pathlib import Path; from governance.store import Store; from governance import packs; "
        "print(packs.gate_pack(Store(sys.argv[1]), 'P-2026-0001', 1, Path(sys.argv[2])))"
    )
    env = dict(os.environ, TZ="Pacific/Chatham", LC_ALL="C.UTF-8", LANG="C.UTF-8", SOURCE_DATE_EPOCH="1")
    subprocess.run(
        [sys.executable, "-c", script, gate_db.url, str(again)], check=True, env=env, capture_output=True, cwd=ROOT
    )
    assert (again / gate_pdf.name).read_bytes() == gate_pdf.read_bytes()


class _Counting(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"root:x:0:0:network")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Counting.hits = 0
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetcher_refuses_files_network_and_attachments_in_a_real_render(tmp_path: Path, loopback: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"TOP-SECRET-BYTES-0123456789")
    html = (
        "<html><head><title>attack</title><link rel=stylesheet href=style.css>"
        f"<style>body {{ background: url({loopback}/bg.png) }}</style></head><body><p>hello</p>"
        f'<img src="{secret.as_uri()}"><img src="file:///etc/passwd">'
        f'<a rel="attachment" href="{secret.as_uri()}">attached</a>'
        f'<img src="{loopback}/img.png"><img src="data:image/svg+xml,%3Csvg%3E%3C/svg%3E">'
        "</body></html>"
    )
    fetcher = packs.TemplateFetcher()
    job = packs.PackJob(html, tmp_path / "attack.pdf", START, (packs.PackAttachment("ours.json", b"{}", "ours"),))
    packs.write_pack(job, fetcher)
    assert sorted(fetcher.refused) == sorted(
        [
            f"{loopback}/bg.png",
            secret.as_uri(),
            "file:///etc/passwd",
            secret.as_uri(),
            f"{loopback}/img.png",
            "data:image/svg+xml,%3Csvg%3E%3C/svg%3E",
        ]
    )
    assert fetcher.served == [(packs.TEMPLATE_DIR / "style.css").as_uri()]
    assert _Counting.hits == 0
    everything = _all_stream_bytes(job.path)
    assert b"TOP-SECRET-BYTES" not in everything
    assert b"root:x:0:0" not in everything
    assert list(PdfReader(str(job.path)).attachments) == ["ours.json"]


def test_fetcher_refuses_escapes_by_dot_dot_and_symlink(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    root.mkdir()
    (root / "ok.css").write_text("p { color: red }")
    (tmp_path / "outside.txt").write_text("outside")
    (root / "link.css").symlink_to(tmp_path / "outside.txt")
    fetcher = packs.TemplateFetcher(root)
    assert fetcher.fetch((root / "ok.css").as_uri()).read() == b"p { color: red }"
    for url in (
        (root / "link.css").as_uri(),
        root.as_uri() + "/../outside.txt",
        root.as_uri() + "/%2e%2e/outside.txt",
        root.as_uri() + "/",
        "file://otherhost" + str(root / "ok.css"),
        "ftp://example.org/x",
    ):
        with pytest.raises(packs.FetchRefused):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 6


def test_a_failure_mid_write_leaves_no_file_under_the_final_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    html = "<html><head><title>t</title></head><body><p>x</p></body></html>"
    target = tmp_path / "pack.pdf"
    original = pydyf.PDF.write

    def half_then_crash(self: Any, output: Any, *args: Any, **kwargs: Any) -> None:
        buffer = io.BytesIO()
        original(self, buffer, *args, **kwargs)
        output.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(pydyf.PDF, "write", half_then_crash)
    with pytest.raises(OSError, match="disk full"):
        packs.write_pack(packs.PackJob(html, target, START))
    assert list(tmp_path.iterdir()) == []
    target.write_bytes(b"the previous pack")
    with pytest.raises(OSError, match="disk full"):
        packs.write_pack(packs.PackJob(html, target, START))
    assert list(tmp_path.iterdir()) == [target]
    assert target.read_bytes() == b"the previous pack"
    monkeypatch.undo()
    packs.write_pack(packs.PackJob(html, target, START))
    assert target.read_bytes().startswith(b"%PDF-1.7")


def test_long_text_stays_inside_the_page(gate_db: Store, tmp_path: Path) -> None:
    """No box past its page, no text over other text: with a 440-character word in the title, the
    summary, a condition (a row taller than what is left of its page) and the rationale."""
    job = packs.gate_job(gate_db, PID, 1, tmp_path)
    document = packs.render_document(job.html)
    assert packs.layout_overflows(document) == []
    assert packs.layout_overlaps(document) == []
    assert len(document.pages) >= 3


def test_audit_extract_with_replay(gate_db: Store, tmp_path: Path) -> None:
    seen: list[int] = []

    def replay(record: Any) -> str:
        seen.append(record.seq)
        return f"match: {record.kind}"  # describe_replay's form: status, then the detail

    path = packs.audit_pack(gate_db, dt.date(2026, 11, 23), dt.date(2026, 11, 23), tmp_path, replay)
    pack = packs.read_pack(path)
    assert list(pack.attachments) == ["records.jsonl"]
    assert [r["seq"] for r in pack.records] == seen == list(range(1, len(seen) + 1))
    head = pack.records[-1]
    assert {(s.kind, s.seq, s.hash) for s in pack.stamps if s} == {("head", head["seq"], head["hash"])}
    assert None not in pack.stamps
    text = "\n".join(pack.pages)
    assert "verified" in text and "replay: match: decided" in text
    # The extract opens with the verification and replay summary: every record replayed and matched.
    first = pack.pages[0]
    assert "Verification and replay at a glance" in first
    assert f"{len(seen)} of {len(seen)}" in first and "none differ" in first
    assert all("recorded at (UTC)" in page for page in pack.pages)  # the record table's header
    assert pack.title == "Audit extract 2026-11-23 to 2026-11-23"


def test_the_pool_renders_the_same_bytes_as_one_process(gate_db: Store, tmp_path: Path) -> None:
    jobs = [packs.gate_job(gate_db, PID, 1, tmp_path / "pool", pre_read=pre) for pre in (False, True, False, True)]
    jobs = [
        jobs[0],
        jobs[1],
        packs.PackJob(jobs[2].html, tmp_path / "pool" / "c.pdf", jobs[2].moment, jobs[2].attachments),
    ]
    paths = packs.render_many(jobs, workers=2, max_tasks_per_child=1)
    assert paths == [j.path for j in jobs]
    for job in jobs:
        local = packs.PackJob(job.html, tmp_path / "local" / job.path.name, job.moment, job.attachments)
        assert packs.write_pack(local).read_bytes() == job.path.read_bytes()


def test_charts_escape_text_and_are_deterministic() -> None:
    bars = [charts.Bar("<script>&", charts.Decimal(5), charts.Decimal(1), charts.Decimal(9))]
    first = charts.bucket_chart(bars)
    assert first == charts.bucket_chart(bars)
    assert "<script>" not in first and "&lt;script&gt;&amp;" in first
    frontier = charts.frontier_chart(
        [
            charts.FrontierPoint(charts.Decimal(1), None),
            charts.FrontierPoint(charts.Decimal(2), charts.Decimal(3), True),
        ]
    )
    assert frontier.count("<circle") == 2 and "chosen: 3" in frontier


def test_quarterly_board_pack_of_500_projects_fits_its_pages(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    store.upgrade()
    last = synthetic_quarter(store, _ledger(), 500)
    job = packs.quarter_job(store, "2026Q4", tmp_path)
    document = packs.render_document(job.html)
    assert packs.layout_overflows(document) == []
    assert packs.layout_overlaps(document) == []
    assert len(document.pages) > 500
    pack = packs.read_pack(packs.write_pack(job, document=document))
    assert len(pack.records) == 503 and pack.records[-1]["seq"] == last
    assert None not in pack.stamps and {s.seq for s in pack.stamps if s} == {last}
    assert "P-2026-1499" in pack.pages[-1]
    # The review table runs over many pages, and every one of them repeats its header row.
    start = next(i for i, p in enumerate(pack.pages) if "Continue, pause, stop" in p)
    end = next(i for i, p in enumerate(pack.pages) if "Funded: " in p)
    assert end - start > 3
    for page in pack.pages[start + 1 : end]:
        assert "project title state recommended outcome reasons" in " ".join(page.split()), page[:300]
    store.dispose()


def _jobs_of_every_kind(gate_db: Store, tmp_path: Path) -> list[packs.PackJob]:
    quarter = Store(f"sqlite:///{tmp_path / 'quarter.db'}")
    quarter.upgrade()
    synthetic_quarter(quarter, _ledger(), 12)
    jobs = [
        packs.gate_job(gate_db, PID, 1, tmp_path / "cut"),
        packs.gate_job(gate_db, PID, 1, tmp_path / "cut", pre_read=True),
        packs.quarter_job(quarter, "2026Q4", tmp_path / "cut"),
        packs.audit_job(gate_db, dt.date(2026, 11, 23), dt.date(2026, 11, 23), tmp_path / "cut", lambda r: "matches"),
    ]
    quarter.dispose()
    return jobs


def test_the_cut_user_agent_sheet_gives_the_same_bytes_as_weasyprints_own(
    gate_db: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every kind of pack uses only the tags and attributes the cut sheet was made for, and renders
    to exactly the bytes WeasyPrint's whole user-agent sheet gives."""
    from lxml import html as lxml_html

    from governance.packs import ua

    jobs = _jobs_of_every_kind(gate_db, tmp_path)
    for job in jobs:
        root = lxml_html.document_fromstring(job.html)
        assert ua.stylesheet_for(root, ["whole"]) != ["whole"], job.path.name  # the cut sheet is used
    cut = [packs.write_pack(job).read_bytes() for job in jobs]
    monkeypatch.setattr(ua, "PACK_TAGS", frozenset())  # nothing qualifies: WeasyPrint's own sheet
    whole = [
        packs.write_pack(packs.PackJob(j.html, tmp_path / "whole" / j.path.name, j.moment, j.attachments)).read_bytes()
        for j in jobs
    ]
    assert whole == cut


def test_a_document_with_other_tags_gets_weasyprints_whole_sheet() -> None:
    from lxml import html as lxml_html

    from governance.packs import ua

    table = lxml_html.document_fromstring("<html><body><dl><dt>x</dt><dd>y</dd></dl></body></html>")
    hidden = lxml_html.document_fromstring('<html><body><p hidden="">x</p></body></html>')
    plain = lxml_html.document_fromstring('<html lang="en"><body><p class="lead">x</p></body></html>')
    assert ua.stylesheet_for(table, ["whole"]) == ["whole"]
    assert ua.stylesheet_for(hidden, ["whole"]) == ["whole"]
    assert ua.stylesheet_for(plain, ["whole"]) != ["whole"]
    # What the cut leaves out rests on the pack stylesheet: no footnotes or notes, list items are <li>.
    css = (packs.TEMPLATE_DIR / "style.css").read_text() + (packs.TEMPLATE_DIR / "base.html").read_text()
    assert "footnote" not in css and "note-" not in css and "list-item" not in css


@pytest.mark.parametrize(
    ("rule", "cut"),
    [
        ("dd, li { margin: 0 }", "li { margin: 0 }"),
        ("[dir=rtl i] :is(dir, menu, ol, ul) { padding-left: 0 }", ""),
        (":is(dir, dl, menu, ol, ul) :is(dir, dl, menu, ol, ul) { margin-top: 0 }", "ul ul { margin-top: 0 }"),
        (":is(dir, menu, p, ul) ul { list-style-type: circle }", ":is(p, ul) ul { list-style-type: circle }"),
        ("input[type=hidden i], head { display: none }", "head { display: none }"),
        ("::marker { white-space: pre }", "li::marker { white-space: pre }"),
        ("::footnote-call { content: counter(footnote) }", ""),
        ("dl dd { padding: 1px }", ""),
        ("table td { padding: 1px }", "table td { padding: 1px }"),
        ("@page { margin: 75px }", "@page { margin: 75px }"),
    ],
)
def test_cut_stylesheet_text(rule: str, cut: str) -> None:
    from governance.packs import ua

    assert ua.cut_stylesheet_text(rule) == cut
