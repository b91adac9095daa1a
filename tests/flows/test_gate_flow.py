"""`gate --all` as one real Prefect flow run: the same records as gating one proposal at a time, and a
proposal that is refused does not stop the others."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from flows.gates import GateAllReport, GatedProposal, gate_all_flow, gate_review_flow
from governance import adoption, gates, intake
from governance.assessments import read_assessments
from governance.authority import Actor
from governance.clock import FixedClock, SeededIds
from governance.ledger import Ledger, verify
from governance.policy import load_policy
from governance.store import Store
from models.tables import LedgerRow

from ..commands import assessment_csv
from ..conftest import EXAMPLES, START
from .taskruns import task_runs

REFERENCES = ("NW-ALPHA", "NW-BETA", "NW-GAMMA", "NW-DELTA")
SCORED = {"NW-ALPHA": (8, 8), "NW-BETA": (6, 5), "NW-GAMMA": (2, 3)}  # go, conditional go, kill


def _portfolio(folder: Path) -> Store:
    """Four proposals filed; three scored at gate 1, NW-DELTA (P-2026-0004) only screened."""
    folder.mkdir()
    store = Store(f"sqlite:///{folder / 'g.db'}")
    store.upgrade()
    book = Ledger(FixedClock(START), SeededIds("gates"))
    adoption.adopt_policy(store, book, load_policy("stage-gate"), Actor.of("ana"))
    source = (EXAMPLES / "proposals" / "05-smart-radiator-valve.yaml").read_text(encoding="utf-8")
    files = []
    for n, reference in enumerate(REFERENCES):
        path = folder / f"{n}.yaml"
        text = source.replace("NW-TRV-SMART", reference).replace("depends_on: [NW-MATTER-STACK]", "depends_on: []")
        path.write_text(text, encoding="utf-8")
        files.append(str(path))
    intake.file_proposals(store, book, intake.check_submission(store, files), "pmo")
    cards = [str(assessment_csv(folder / f"{r}.csv", r, ratings)) for r, ratings in SCORED.items()]
    gates.record_scores(store, book, read_assessments(cards), "pmo")
    return store


def _recorded(store: Store) -> list[tuple[str, str, str | None, str, str]]:
    with store.read() as conn:
        rows = conn.execute(
            select(LedgerRow.kind, LedgerRow.subject, LedgerRow.outcome, LedgerRow.recorded_by, LedgerRow.payload)
            .where(LedgerRow.kind == "recommended")
            .order_by(LedgerRow.seq)
        )
        return [tuple(r) for r in rows]


def test_gate_all_is_one_run_with_the_records_of_gating_one_by_one(tmp_path: Path) -> None:
    together, apart = _portfolio(tmp_path / "together"), _portfolio(tmp_path / "apart")
    state = gate_all_flow("pmo", together.url, 2, return_state=True)
    assert state.is_completed(), state.message
    report = state.result()
    assert isinstance(report, GateAllReport)
    assert [(g.proposal_id, g.gate, g.recommendation, g.error) for g in report.gated] == [
        ("P-2026-0001", 1, "go", None),
        ("P-2026-0002", 1, "conditional-go", None),
        ("P-2026-0003", 1, "kill", None),
    ]
    assert report.chunks == 2
    runs = task_runs(state.state_details.flow_run_id, lambda rs: len(rs) == 3)
    assert sorted(r.name.rsplit("-", 1)[0] for r in runs) == ["awaiting-a-gate", "recommend-chunk", "recommend-chunk"]
    for pid in ("P-2026-0001", "P-2026-0002", "P-2026-0003"):
        assert gate_review_flow(pid, "pmo", apart.url).state == "awaiting-decision"
    assert _recorded(together) == _recorded(apart)
    assert len(_recorded(together)) == 3
    assert verify(together).ok


def test_a_refused_proposal_does_not_stop_the_others(tmp_path: Path) -> None:
    store = _portfolio(tmp_path / "g")
    report = gate_all_flow("pmo", store.url, 200, ["P-2026-0004", "P-2026-0001", "P-2099-0001", "P-2026-0002"])
    assert report.gated == [
        GatedProposal(
            "P-2026-0004",
            error="P-2026-0004 is screened: a 'recommended' record is not allowed now",
            code="invalid-transition",
        ),
        GatedProposal("P-2026-0001", 1, "go", ["score 80 >= 60; must-meet 1/1"]),
        GatedProposal(
            "P-2099-0001",
            error="no proposal 'P-2099-0001' (give its id, like P-2026-0001, or its reference)",
            code="not-found",
        ),
        GatedProposal("P-2026-0002", 1, "conditional-go", ["score 56.49 >= 50 but < 60"]),
    ]
    assert [r[1] for r in _recorded(store)] == ["P-2026-0001", "P-2026-0002"]
    again = gate_all_flow("pmo", store.url)
    assert [(g.proposal_id, g.recommendation) for g in again.gated] == [("P-2026-0003", "kill")]
