"""Scoring and gate-review flows.

`score_flow` checks every assessment first, then records score cards a task per chunk of
proposals. `gate_review_flow` records the gate recommendation and, when it runs as a deployment on
a Prefect server, suspends (no process is kept) until the chair answers with a `BoardDecision` in the
Prefect UI or through the API; on the embedded server it stops at "awaiting decision" and
`governance decide` records the decision. Both paths end in `governance.board.decide`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from prefect.runtime import deployment as deployment_runtime
from prefect.utilities.annotations import quote
from pydantic import ValidationError

from flows.runtime import check_settings, open_engine
from governance import board, gates, inputs
from governance.adoption import current_policy
from governance.assessments import read_assessments
from governance.authority import Actor
from governance.canonical import decimal_text
from governance.errors import DecisionRefused, Forbidden, GovernanceError, IdentityError, InputRefused, Problem
from governance.ledger import latest_record
from governance.scoring import RatedAssessment
from models.decision import DecisionInput
from models.records import ScoredPayload

MAX_ANSWERS = 20  # refused answers before the run gives up (the chair can start a new gate review)

__all__ = [
    "BoardDecision",
    "GateAllReport",
    "GateReviewResult",
    "GatedProposal",
    "ScoreReport",
    "gate_all_flow",
    "gate_review_flow",
    "score_flow",
    "to_decision",
]


@dataclass
class ScoreReport:
    ranking: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    chunks: int = 0


@task(name="check-assessments", cache_policy=NO_CACHE, persist_result=False)
def check_task(sources: list[str], database_url: str | None, actor: str) -> list[RatedAssessment] | list[Problem]:
    store, ledger = open_engine(database_url)
    try:
        items = read_assessments(inputs.resolve(store, sources))
        gates.record_scores(store, ledger, items, actor, dry_run=True)
        return items
    except InputRefused as refused:
        return list(refused.problems)
    finally:
        store.dispose()


@task(name="score-chunk", cache_policy=NO_CACHE, persist_result=False)
def score_chunk_task(items: list[RatedAssessment], database_url: str | None, actor: str) -> list[dict[str, Any]]:
    store, ledger = open_engine(database_url)
    try:
        cards = gates.record_scores(store, ledger, items, actor)
        return [
            {
                "id": pid,
                "gate": c.gate,
                "score": str(c.total),
                "ecv": str(c.financials["ecv"]),
                "knocked_out": c.knocked_out,
                "flags": "; ".join(c.flags),
            }
            for pid, c in cards
        ]
    finally:
        store.dispose()


@flow(name="score", persist_result=False)
def score_flow(sources: list[str], actor: str, database_url: str | None = None, chunk_size: int = 200) -> ScoreReport:
    """Score proposals from assessment files (YAML, JSON, CSV): all checked first, then a task per chunk.

    `sources`: input references (`input:<sha256>`, files `governance score` stored in the database) or
    paths on the host that runs the flow.
    """
    check_settings(database_url, deployment_runtime.get_id() is not None)
    report = ScoreReport()
    checked = check_task(sources, database_url, actor)
    if checked and isinstance(checked[0], Problem):
        report.problems = [p for p in checked if isinstance(p, Problem)]
        return report
    items = [i for i in checked if isinstance(i, RatedAssessment)]
    by_proposal: dict[str, list[RatedAssessment]] = {}
    for item in items:
        by_proposal.setdefault(item.assessment.proposal, []).append(item)
    keys = sorted(by_proposal)
    for start in range(0, len(keys), chunk_size):
        chunk = [i for k in keys[start : start + chunk_size] for i in by_proposal[k]]
        report.ranking.extend(score_chunk_task(quote(chunk), database_url, actor))  # type: ignore[call-overload]
        report.chunks += 1
    report.ranking.sort(key=lambda r: (-float(r["score"]), r["id"]))
    if report.ranking:
        create_table_artifact(key="score-ranking", table=report.ranking, description="Proposals by score")
    return report


class BoardDecision(RunInput):
    """The board's decision, as the chair enters it in the Prefect UI form."""

    outcome: Literal["go", "conditional-go", "hold", "recycle", "kill"]
    rationale: str
    decided_by: str
    meeting_date: dt.date
    votes: str = ""  # "ana=go, raj=go, lee=hold"
    conditions: str = ""  # one per line: "security review by 2027-02-01, owner: CISO"
    conflicts: str = ""  # members who declared a conflict: "tom, mia"
    signatures: str = ""  # one per line: "ana=SIGNATURE" from `governance sign` (policies with signed votes)


def to_decision(proposal_id: str, gate: int, answer: BoardDecision) -> DecisionInput:
    """The UI answer as the same `DecisionInput` the CLI builds (same parsers, same checks)."""
    decision = DecisionInput(
        proposal_id=proposal_id,
        gate=gate,
        outcome=answer.outcome,
        rationale=answer.rationale,
        decided_by=answer.decided_by.strip().lower(),
        meeting_date=answer.meeting_date,
        votes=board.parse_votes([v for v in (p.strip() for p in answer.votes.split(",")) if v]),
        conditions=[board.parse_condition(line) for line in answer.conditions.splitlines() if line.strip()],
        conflicts=[c.strip().lower() for c in answer.conflicts.split(",") if c.strip()],
    )
    return board.with_signatures(decision, [line for line in answer.signatures.splitlines() if line.strip()])


@dataclass
class GateReviewResult:
    proposal_id: str
    gate: int
    recommendation: str
    reasons: list[str]
    state: str
    decision_seq: int | None = None
    refusals: list[str] = field(default_factory=list)


@task(name="recommend", cache_policy=NO_CACHE, persist_result=False)
def recommend_task(proposal_id: str, database_url: str | None, actor: str) -> tuple[str, int, gates.Recommendation]:
    # Idempotent: on a resumed run this reads the recorded recommendation back instead of redoing it.
    store, ledger = open_engine(database_url)
    try:
        return gates.record_recommendation(store, ledger, proposal_id, actor)
    finally:
        store.dispose()


@task(name="decide", cache_policy=NO_CACHE, persist_result=False)
def decide_task(decision: DecisionInput, database_url: str | None, actor: str) -> int | str:
    """The record's sequence number, or why the board rules refused the answer (nothing written).

    The Prefect form proves what was entered, not who entered it (the open-source server has one
    shared login): the answer is taken as its `decided_by`'s, whom the role matrix must allow to decide.
    `actor` (who started the run) is not the decider.
    """
    store, ledger = open_engine(database_url)
    try:
        return board.decide(store, ledger, decision, Actor.of(decision.decided_by, via="prefect-form")).seq
    except (DecisionRefused, Forbidden, IdentityError) as refused:
        return refused.message
    finally:
        store.dispose()


def _describe(
    proposal_id: str, gate: int, rec: gates.Recommendation, database_url: str | None
) -> tuple[str, int | None]:
    store, _ = open_engine(database_url)
    try:
        with store.read() as conn:
            policy = current_policy(conn).policy
            card = latest_record(conn, proposal_id, "scored")
        roster = ", ".join(f"{m.name} ({m.role}{', chair' if m.chair else ''})" for m in policy.board.members)
        lines = [
            f"## {proposal_id}: gate {gate} recommendation **{rec.outcome}**",
            *(f"- {r}" for r in rec.reasons),
            "",
            f"Board: {roster}. Quorum {policy.board.quorum}, rule: {policy.board.voting_rule}.",
            "Votes as `name=outcome` separated by commas; conditions one per line as `what by YYYY-MM-DD, owner: who`.",
        ]
        if card is not None:
            scored = card.body_as(ScoredPayload)
            text = decimal_text
            lines += ["", "| criterion | weight | score | contribution |", "|---|---|---|---|"]
            lines += [
                f"| {c.name} | {text(c.weight)} | {text(c.score)} | {text(c.contribution)} |" for c in scored.criteria
            ]
            lines += [f"\nTotal **{text(scored.total)}**; ECV {text(scored.financials.ecv)}."]
        days = policy.board.decision_timeout_days
        return "\n".join(lines), days * 86400 if days else None
    finally:
        store.dispose()


@flow(name="gate-review", persist_result=False)
def gate_review_flow(proposal_id: str, actor: str, database_url: str | None = None) -> GateReviewResult:
    """Recommend at the proposal's next gate; as a deployment, suspend until the board decides."""
    check_settings(database_url, deployment_runtime.get_id() is not None)
    pid, gate, rec = recommend_task(proposal_id, database_url, actor)
    result = GateReviewResult(pid, gate, rec.outcome, rec.reasons, "awaiting-decision")
    if deployment_runtime.get_id() is None:
        return result  # embedded / ad-hoc run: `governance decide` records the decision
    base, timeout = _describe(pid, gate, rec, database_url)
    description = base
    # An answer the board rules refuse is not recorded: the run asks again under the next key. On each
    # resume the flow runs from the top and earlier answers come back (and are refused) the same way.
    for attempt in range(1, MAX_ANSWERS + 1):
        answer = suspend_flow_run(
            wait_for_input=BoardDecision.with_initial_data(description=description, outcome=rec.outcome),
            key=f"board-{pid.lower()}-g{gate}-a{attempt}",
            timeout=timeout,
        )
        try:
            outcome = decide_task(to_decision(pid, gate, answer), database_url, actor)
        except (DecisionRefused, ValidationError) as invalid:
            outcome = invalid.message if isinstance(invalid, DecisionRefused) else str(invalid)
        if isinstance(outcome, int):
            result.decision_seq, result.state = outcome, "decided"
            return result
        result.refusals.append(outcome)
        description = f"**The previous answer was refused:** {outcome}\n\n{base}"
    result.state = "refused"
    return result


@dataclass
class GatedProposal:
    """One proposal of `gate --all`: its recommendation, or why none was recorded (`error`, `code`)."""

    proposal_id: str
    gate: int | None = None
    recommendation: str | None = None
    reasons: list[str] = field(default_factory=list)
    error: str | None = None
    code: str | None = None


@dataclass
class GateAllReport:
    gated: list[GatedProposal] = field(default_factory=list)
    chunks: int = 0


@task(name="awaiting-a-gate", cache_policy=NO_CACHE, persist_result=False)
def awaiting_task(database_url: str | None) -> list[str]:
    """Proposals scored and not yet recommended on at their next gate, by id."""
    from governance.views import proposals

    store, _ = open_engine(database_url)
    try:
        with store.read() as conn:
            return [p.id for p in proposals(conn, state="scored")]
    finally:
        store.dispose()


@task(name="recommend-chunk", cache_policy=NO_CACHE, persist_result=False)
def recommend_chunk_task(proposal_ids: list[str], database_url: str | None, actor: str) -> list[GatedProposal]:
    """Each proposal's recommendation, recorded as `gate ID` records it; a refusal is reported, not raised,
    so one proposal does not stop the others."""
    store, ledger = open_engine(database_url)
    try:
        done = []
        for pid in proposal_ids:
            try:
                found, gate, rec = gates.record_recommendation(store, ledger, pid, actor)
            except GovernanceError as refused:
                done.append(GatedProposal(pid, error=refused.message, code=refused.code))
                continue
            done.append(GatedProposal(found, gate, rec.outcome, list(rec.reasons)))
        return done
    finally:
        store.dispose()


@flow(name="gate-all", persist_result=False)
def gate_all_flow(
    actor: str, database_url: str | None = None, chunk_size: int = 200, proposal_ids: list[str] | None = None
) -> GateAllReport:
    """Recommend at the next gate for every proposal awaiting one (or those named), a task per chunk.

    One flow run instead of one per proposal; the records are the ones `gate_review_flow` makes.
    """
    check_settings(database_url, deployment_runtime.get_id() is not None)
    report = GateAllReport()
    ids = proposal_ids if proposal_ids is not None else awaiting_task(database_url)
    for start in range(0, len(ids), chunk_size):
        report.gated.extend(recommend_chunk_task(ids[start : start + chunk_size], database_url, actor))
        report.chunks += 1
    table = [
        {"id": g.proposal_id, "gate": g.gate, "recommendation": g.recommendation or f"refused: {g.error}"}
        for g in report.gated
    ]
    if table:
        create_table_artifact(key="gate-all", table=table, description="Recommendations at the next gate")
    return report
