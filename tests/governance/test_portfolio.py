"""The quarterly selection's candidates: a proposal whose must-meet is not confirmed is kept out."""

from __future__ import annotations

from pathlib import Path

from governance import adoption, gates, intake
from governance.assessments import read_assessments
from governance.authority import Actor
from governance.ledger import Ledger
from governance.policy import load_policy
from governance.portfolio import pipeline_candidates, problem_for_policy
from governance.selection import solve
from governance.store import Store

from .test_intake import proposal, write

SG = load_policy("stage-gate")
GATE1 = {"strategic-fit": 8, "market-attractiveness": 8}


def test_a_proposal_with_a_must_meet_not_confirmed_is_forced_out(store: Store, ledger: Ledger, tmp_path: Path) -> None:
    """Nobody has gated P-2026-0002 yet; lee did not confirm its legal must-meet, so its gate would
    kill it: the selection must not fund it meanwhile, however well it ranks."""
    adoption.adopt_policy(store, ledger, SG, Actor.of("ana"))
    files = [write(tmp_path, f"{r}.yaml", proposal(r)) for r in ("NW-ALPHA", "NW-BETA")]
    intake.file_proposals(store, ledger, intake.validate_submission(files, SG.policy), "pmo")
    docs = [
        {"proposal": pid, "gate": 1, "assessor": a, "ratings": dict(GATE1), "must_meet": {"legal-compliance": ok}}
        for pid, confirmed in (("P-2026-0001", ("raj", "lee")), ("P-2026-0002", ("raj",)))
        for a, ok in (("raj", "raj" in confirmed), ("lee", "lee" in confirmed))
    ]
    gates.record_scores(store, ledger, read_assessments([write(tmp_path, "assess.yaml", docs)]), "pmo")
    reason = "must-meet not confirmed: No legal or regulatory show-stopper (not confirmed by lee)"
    with store.read() as conn:
        candidates = pipeline_candidates(conn, SG.policy, "FY2027")
        assert [(c.id, c.force, c.force_reason) for c in candidates] == [
            ("P-2026-0001", None, None),
            ("P-2026-0002", "out", reason),
        ]
        result = solve(problem_for_policy(SG.policy, candidates, conn), frontier=False)
    # P-2026-0001 is left out on its merits (and alone it could not meet the bucket shares of spend).
    fits = "needs 670,000.00, 0.00 fits"
    assert (result.selected, {o.id: o.reasons for o in result.left_out}) == (
        [],
        {
            "P-2026-0001": [
                "value not positive (ecv -275,629.63)",
                f"bucket new-products at its maximum (60% of spend): {fits}",
                f"bucket platform would fall below its minimum (15% of spend): {fits}",
                f"bucket improvements would fall below its minimum (10% of spend): {fits}",
                f"bucket cost-reduction would fall below its minimum (5% of spend): {fits}",
            ],
            "P-2026-0002": [f"forced out: {reason}"],
        },
    )
