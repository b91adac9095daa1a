"""The selection problem of a quarterly review: active projects and pipeline proposals as candidates.

A project's candidate costs are what is still to come (its status report's forecast, else its plan
from the first budget period after the quarter); a pipeline proposal's are its planned costs. Values
are the re-computed score, ECV and NPV. Dependencies and exclusions are the proposals' references,
mapped to ids; a dependency on something no longer a candidate is satisfied if that project is
completed or still active, and otherwise forces the dependant out with the reason. A proposal whose
newest score card has a must-meet criterion not confirmed is forced out too: it would fail its
gate (kill), so the selection must not fund it before anybody gates it.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from governance.canonical import to_plain
from governance.financials import financials
from models.policy import Policy
from models.proposal import Proposal, Range
from models.records import ScoredPayload, parse_payload
from models.selection import (
    BucketBounds,
    CandidateCost,
    CandidateEstimate,
    CandidateResource,
    SelectionCandidate,
    SelectionProblem,
    ThreePointAmount,
    Uncertainty,
)
from models.tables import LedgerRow, ProposalRow, SnapshotRow

__all__ = ["PIPELINE_STATES", "pipeline_candidates", "problem_for_policy", "problem_json", "project_candidate"]

# Proposals that compete for the budget with the active projects: scored and not yet closed.
PIPELINE_STATES = ("scored", "awaiting-decision", "in-stage", "on-hold")
_SATISFIED = frozenset({"active", "completed"})


def _three_point(amount: Decimal, given: Range | None) -> ThreePointAmount:
    if given is None:
        return ThreePointAmount(low=amount, likely=amount, high=amount)
    return ThreePointAmount(low=given.low, likely=amount, high=given.high)


def _estimates(proposal: Proposal, first_period: str | None = None) -> list[CandidateEstimate]:
    """The proposal's costs as three-point estimates (a cost without a range is certain), for a
    chance constraint (the snapshot keeps them only when one is set: `problem_json`)."""
    return [
        CandidateEstimate(
            period=c.period,
            development=_three_point(c.development, c.development_range),
            launch=_three_point(c.launch, c.launch_range),
        )
        for c in proposal.costs
        if first_period is None or c.period >= first_period
    ]


def _costs(proposal: Proposal, first_period: str | None = None) -> list[CandidateCost]:
    costs = [
        CandidateCost(period=c.period, amount=c.development + c.launch)
        for c in proposal.costs
        if first_period is None or c.period >= first_period
    ]
    return costs or [CandidateCost(period=first_period or proposal.costs[0].period, amount=Decimal(0))]


def _resources(proposal: Proposal, first_period: str | None = None) -> list[CandidateResource]:
    return [
        CandidateResource(role=r.role, period=r.period, fte=r.fte)
        for r in proposal.resources
        if first_period is None or r.period >= first_period
    ]


def project_candidate(project: dict[str, Any], ahead: Proposal, force_out: str | None) -> SelectionCandidate:
    """An active or paused project, valued and costed on what is still to come."""
    facts = project["facts"]
    return SelectionCandidate(
        id=project["id"],
        title=project["title"],
        kind="project",
        bucket=project["bucket"],
        score=None if facts.get("score") is None else Decimal(str(facts["score"])),
        ecv=Decimal(str(facts["ecv"])),
        npv=Decimal(str(facts["npv"])),
        costs=_costs(ahead),
        resources=_resources(ahead),
        p_technical=ahead.p_technical,
        estimates=_estimates(ahead),
        depends_on=list(ahead.depends_on),
        excludes=list(ahead.excludes),
        force="out" if force_out else None,
        force_reason=force_out,
    )


def pipeline_candidates(
    conn: Connection, policy: Policy, first_period: str, exclude: Iterable[str] = ()
) -> list[SelectionCandidate]:
    """Scored proposals not yet decided for good, with their newest score card's values."""
    skip = set(exclude)
    rows = [
        r
        for r in conn.execute(
            select(ProposalRow).where(ProposalRow.state.in_(PIPELINE_STATES)).order_by(ProposalRow.id)
        )
        if r.id not in skip
    ]
    out: list[SelectionCandidate] = []
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        cards: dict[str, ScoredPayload] = {}
        for subject, payload in conn.execute(
            select(LedgerRow.subject, LedgerRow.payload)
            .where(LedgerRow.subject.in_([r.id for r in chunk]), LedgerRow.kind == "scored")
            .order_by(LedgerRow.seq)
        ):
            cards[subject] = parse_payload("scored", payload)
        contents: dict[str, str] = {
            key: content
            for key, content in conn.execute(
                select(SnapshotRow.key, SnapshotRow.content).where(SnapshotRow.key.in_([r.snapshot for r in chunk]))
            )
        }
        for row in chunk:
            card = cards.get(row.id)
            if card is None:
                continue
            knocked_out = _knocked_out(card)
            proposal = Proposal.model_validate_json(contents[row.snapshot])
            fin = financials(proposal, policy.discount_rate)
            out.append(
                SelectionCandidate(
                    id=row.id,
                    title=row.title,
                    kind="proposal",
                    bucket=row.bucket,
                    score=card.total,
                    ecv=fin.ecv,
                    npv=fin.npv,
                    costs=_costs(proposal),
                    resources=_resources(proposal),
                    p_technical=proposal.p_technical,
                    estimates=_estimates(proposal),
                    depends_on=list(proposal.depends_on),
                    excludes=list(proposal.excludes),
                    force="out" if knocked_out else None,
                    force_reason=knocked_out,
                )
            )
    return out


def _knocked_out(card: ScoredPayload) -> str | None:
    """Why a score card's must-meets keep its proposal out, in words (None: all confirmed)."""
    if not card.knocked_out:
        return None
    unmet = [
        f"{m.name} (not confirmed by {', '.join(sorted(a for a, yes in m.by.items() if not yes)) or 'anyone'})"
        for m in card.must_meet
        if not m.met
    ]
    text = "must-meet not confirmed: " + "; ".join(unmet or ["see the score card"])
    return text if len(text) <= 200 else text[:199] + "…"  # a force reason is one line of 200 at most


def _resolve_references(conn: Connection, candidates: list[SelectionCandidate]) -> list[SelectionCandidate]:
    """References in depends_on / excludes -> candidate ids; a lost dependency forces the dependant out."""
    refs = {
        r: (pid, state)
        for pid, r, state in conn.execute(select(ProposalRow.id, ProposalRow.reference, ProposalRow.state))
    }
    ids = {c.id for c in candidates}
    out = []
    for c in candidates:
        depends: list[str] = []
        force, reason = c.force, c.force_reason
        for ref in c.depends_on:
            pid, state = refs.get(ref, (None, None))
            if pid in ids:
                depends.append(pid)
            elif state not in _SATISFIED and force is None:
                force, reason = "out", f"depends on {ref} ({pid or 'not on file'}, {state or 'unknown'})"
        excludes = [refs[r][0] for r in c.excludes if r in refs and refs[r][0] in ids]
        out.append(
            c.model_copy(update={"depends_on": depends, "excludes": excludes, "force": force, "force_reason": reason})
        )
    return out


def problem_for_policy(policy: Policy, candidates: list[SelectionCandidate], conn: Connection) -> SelectionProblem:
    """The selection the policy's `portfolio` section asks for, over `candidates`."""
    from governance.candidates import build_problem

    rules = policy.portfolio
    assert rules is not None
    bounds = [BucketBounds(bucket=b.id, min_share=b.min_share, max_share=b.max_share) for b in policy.buckets]
    sim = policy.simulation
    uncertainty = (
        Uncertainty()
        if sim is None
        else Uncertainty(sim.distribution, sim.correlation_within_bucket, sim.correlation_across)
    )
    return build_problem(
        rules,
        bounds,
        _resolve_references(conn, candidates),
        currency=policy.currency,
        source="portfolio",
        uncertainty=uncertainty,
    )


def problem_json(problem: SelectionProblem) -> dict[str, Any]:
    """The problem as plain JSON (the `selected` record's input snapshot, for replay).

    `bucket_shares_of` is written only when it is not the first rule ("budget"), so problems that
    use it keep the snapshot bytes (and keys) they had before it existed; likewise the chance
    constraint, its uncertainty and the candidates' estimates (`p_technical`, `estimates`) only
    when the problem has a chance constraint.
    """
    shares: dict[str, Any] = {}
    if problem.bucket_shares_of != "budget":
        shares["bucket_shares_of"] = problem.bucket_shares_of
    candidates = [to_plain(c) for c in problem.candidates]
    if problem.chance is None:
        for c in candidates:
            c.pop("p_technical", None)
            c.pop("estimates", None)
    else:
        u = problem.uncertainty
        shares["chance"] = to_plain(problem.chance)
        shares["uncertainty"] = {
            "distribution": u.distribution,
            "correlation_within_bucket": str(u.correlation_within_bucket),
            "correlation_across": str(u.correlation_across),
        }
    return shares | {
        "candidates": candidates,
        "budget": {k: str(v) for k, v in sorted(problem.budget.items())},
        "buckets": {k: [str(lo), str(hi)] for k, (lo, hi) in sorted(problem.buckets.items())},
        "capacity": {r: {p: str(v) for p, v in sorted(lim.items())} for r, lim in sorted(problem.capacity.items())},
        "value_measure": problem.value_measure,
        "frontier_levels": problem.frontier_levels,
        "next_slice": str(problem.next_slice),
        "mip_gap": str(problem.mip_gap),
        "time_limit_seconds": problem.time_limit_seconds,
        "currency": problem.currency,
    }
