"""Synthetic data for the pack benchmark and the pack layout tests: a quarter of many projects, decided gates.

`synthetic_quarter` appends a confirmed quarterly review of many projects: `selected`,
`review-proposed`, `review-confirmed` and `reviewed` records, each payload built from its kind's
model as `governance.review` builds them, straight to the ledger (no proposals; the selection solved
by the review's own step, with HiGHS, on the projects as candidates), so a 500-project board pack can
be made in seconds. `synthetic_gates` files, scores and decides proposals through the engine itself.
Deterministic: the same arguments give the same records.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from governance.authority import Actor
from governance.ledger import Ledger, NewRecord
from governance.review import ReviewPlan, apply_selection, review_outcomes
from governance.store import Store
from models.decision import ReviewAnswer
from models.records import ReviewConfirmedPayload, ReviewFactsReported, ReviewProject, ReviewProposedPayload
from models.selection import SelectionCandidate, SelectionProblem

__all__ = ["synthetic_gates", "synthetic_quarter"]

_BUCKETS = (
    ("new-products", "0.3", "0.6"),
    ("platform", "0.15", "0.4"),
    ("improvements", "0.1", "0.35"),
    ("cost-reduction", "0.05", "0.25"),
)
_RISKS = ("low", "medium", "high", "critical")
_FORCED_OUT = {"force": "out", "force_reason": "review rule cost-overrun: pause"}
_WORDS = (
    "controller",
    "platform",
    "sensor",
    "gateway",
    "migration",
    "upgrade",
    "analytics",
    "portal",
    "line",
    "firmware",
    "cloud",
    "retrofit",
    "labelling",
    "service",
    "network",
)
_CENT = Decimal("0.01")


def synthetic_quarter(
    store: Store,
    ledger: Ledger,
    projects: int = 500,
    quarter: str = "2026Q4",
    *,
    policy_version: str = "0" * 64,
    seed: int = 7,
) -> int:
    """Append one confirmed quarterly review of `projects` projects. Returns the seq of the last record."""
    rng = random.Random(seed)
    subject = f"Q-{quarter}"
    planned: list[ReviewProject] = []
    candidates: list[dict[str, Any]] = []
    for i in range(projects):
        pid = f"P-2026-{1000 + i:04d}"
        bucket = _BUCKETS[i % len(_BUCKETS)][0]
        risk = _RISKS[rng.randrange(4)]
        cost = Decimal(rng.randrange(100, 3000) * 1000)
        ecv = Decimal(rng.randrange(-2000, 5000) * 1000)
        cpi = Decimal(rng.randrange(60, 120)) / 100
        outcome = (
            "pause" if cpi < Decimal("0.8") else ("stop" if ecv < 0 and risk in ("high", "critical") else "continue")
        )
        title = " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(2, 7))).capitalize()
        reasons = (
            ["no review rule fired"]
            if outcome == "continue"
            else [f"rule-{outcome}: synthetic reason for {pid} (2026Q4: cpi lt 0.8 (is {cpi}): yes)"]
        )
        percent_complete = Decimal(rng.randrange(0, 100))
        score = Decimal(rng.randrange(40, 95))
        spi = Decimal(rng.randrange(60, 120)) / 100
        # Figures the draws above imply (no further draws, so the same seed gives the same projects).
        actual_cost = cost // 2
        earned_value = (actual_cost * cpi).quantize(_CENT)
        facts = ReviewFactsReported(
            score=score,
            ecv=ecv,
            npv=ecv,
            open_conditions=0,
            overdue_conditions=0,
            state="active",
            bucket=bucket,
            report_missing=False,
            report_late_days=0,
            cpi=cpi,
            spi=spi,
            actual_cost=actual_cost,
            planned_value=(earned_value / spi).quantize(_CENT),
            earned_value=earned_value,
            percent_complete=percent_complete,
            risk_level=risk,
            risk_rank=_RISKS.index(risk) + 1,
            milestones_hit=1,
            milestones_missed=0 if outcome == "continue" else 1,
        )
        planned.append(
            ReviewProject(
                id=pid,
                reference=f"SYN-{i:04d}",
                title=title,
                bucket=bucket,
                state="active",
                rules_outcome=outcome,
                recommended=outcome,
                reasons=reasons,
                rules_fired=[],
                findings=[],
                facts=facts,
                funded=False,  # set from the selection
            )
        )
        if outcome != "stop":  # as in a review: stopped projects are not candidates, paused ones forced out
            candidates.append(
                {
                    "bucket": bucket,
                    "costs": [{"amount": str(cost), "period": "FY2027"}],
                    "ecv": str(ecv),
                    "id": pid,
                    "kind": "project",
                    "score": "60",
                    "title": title,
                    **(_FORCED_OUT if outcome == "pause" else {}),
                }
            )
    plan = _solved(planned, candidates)
    assert plan.selection is not None and plan.selection_problem is not None
    counts: dict[str, int] = {}
    for p in plan.projects:
        counts[p.recommended] = counts.get(p.recommended, 0) + 1
    proposal = ReviewProposedPayload(
        quarter=quarter,
        as_of=dt.date(2026, 11, 24),
        policy="synthetic",
        counts=counts,
        findings=[],
        projects=list(plan.projects),
        selection=None,
    )
    answer = ReviewAnswer(
        quarter=quarter,
        decided_by="ana",
        meeting_date=dt.date(2026, 11, 23),
        rationale="The board accepts the review's recommendations.",
    )
    outcomes = review_outcomes(proposal, answer)  # as the review confirms them: each recommendation accepted
    with store.write() as conn:
        _, proposed = ledger.append(
            conn,
            [
                NewRecord(
                    kind="selected",
                    subject=subject,
                    payload=plan.selection,
                    outcome="optimal",
                    policy_version=policy_version,
                    inputs=plan.selection_problem,
                ),
                NewRecord(
                    kind="review-proposed",
                    subject=subject,
                    payload=proposal,
                    outcome=f"{projects} projects",
                    policy_version=policy_version,
                    inputs={"quarter": quarter},
                ),
            ],
            "pmo",
        )
        [confirmed] = ledger.append(
            conn,
            [
                NewRecord(
                    kind="review-confirmed",
                    subject=subject,
                    payload=ReviewConfirmedPayload(
                        quarter=quarter,
                        proposed_seq=proposed.seq,
                        answer=answer,
                        outcomes=[o.confirmed() for o in outcomes],
                    ),
                    outcome=quarter,
                    policy_version=policy_version,
                )
            ],
            "pmo",
        )
        written = ledger.append(
            conn,
            [
                NewRecord(
                    kind="reviewed",
                    subject=o.id,
                    payload=o.reviewed(answer, confirmed.seq),
                    outcome=o.outcome,
                    policy_version=policy_version,
                )
                for o in outcomes
            ],
            "pmo",
        )
    return written[-1].seq


def _solved(projects: list[ReviewProject], candidates: list[dict[str, Any]]) -> ReviewPlan:
    """The synthetic quarter's plan with its portfolio selection, by the review's own step: the budget is
    two thirds of what the continuing projects cost, so some are not funded and are recommended for pause."""
    models = tuple(SelectionCandidate.model_validate(c) for c in candidates)
    wanted = sum((m.costs[0].amount for m in models if m.force is None), Decimal(0))
    problem = SelectionProblem(
        candidates=models,
        budget={"FY2027": (wanted * 2 / 3).quantize(Decimal(1000))},
        buckets={b: (Decimal(lo), Decimal(hi)) for b, lo, hi in _BUCKETS},
        value_measure="ecv",
        currency="EUR",
    )
    return apply_selection(ReviewPlan("synthetic", dt.date(2026, 11, 24), projects=tuple(projects)), problem, "rules")


def synthetic_gates(folder: Any, count: int, ledger: Ledger) -> tuple[Store, list[str]]:
    """`count` proposals filed, scored, recommended and decided at gate 1 under the IT policy, through the
    engine's own functions (intake, gates, board). Returns the store and the proposal ids."""
    from pathlib import Path

    import yaml

    from governance import adoption, board, gates, intake
    from governance.assessments import read_assessments
    from governance.policy import load_policy
    from models.decision import DecisionInput

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    store = Store(f"sqlite:///{folder / 'gates.db'}")
    store.upgrade()
    policy = load_policy("it-demand")
    adoption.adopt_policy(store, ledger, policy, Actor.of("ana"))
    docs = [
        {
            "reference": f"SYN-G{i:04d}",
            "title": f"Synthetic proposal {i}",
            "summary": "A proposal made for the pack benchmark. " * 20,
            "sponsor": "Daniel Weiss",
            "submitter": "Jonas Berg",
            "budget_owner": "Raj Mehta",
            "bucket": "grow",
            "objectives": ["digital"],
            "start_date": "2027-01-01",
            "end_date": "2028-06-30",
            "costs": [{"period": "FY2027", "development": 400000, "launch": 0}],
            "benefits": [{"period": "FY2029", "amount": 900000}],
            "p_technical": 0.8,
            "p_commercial": 0.6,
        }
        for i in range(count)
    ]
    path = folder / "proposals.yaml"
    path.write_text(yaml.safe_dump(docs), encoding="utf-8")
    filed = intake.file_proposals(store, ledger, intake.validate_submission([str(path)], policy.policy, {}), "jonas")
    ids = sorted(f.proposal_id for f in filed)
    ratings = {"business-value": 8, "urgency": 7, "architecture-fit": 6}
    assess = folder / "assess.yaml"
    assess.write_text(
        yaml.safe_dump(
            [
                {"proposal": pid, "gate": 1, "assessor": a, "ratings": dict(ratings), "must_meet": {}}
                for pid in ids
                for a in ("ciso", "demand")  # assessors among the it-demand policy's people
            ]
        ),
        encoding="utf-8",
    )
    gates.record_scores(store, ledger, read_assessments([assess]), "pmo")
    for pid in ids:
        gates.record_recommendation(store, ledger, pid, "pmo")
        board.decide(
            store,
            ledger,
            DecisionInput.model_validate(
                {
                    "proposal_id": pid,
                    "gate": 1,
                    "outcome": "go",
                    "rationale": "Strong value, fits the roadmap.",
                    "decided_by": "cio",
                    "meeting_date": "2026-11-23",
                    "votes": [{"member": "cio", "outcome": "go"}, {"member": "ciso", "outcome": "hold"}],
                }
            ),
            Actor.of("cio"),  # the decider acts: a person of the it-demand policy
        )
    return store, ids
