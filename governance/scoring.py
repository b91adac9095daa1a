"""Weighted multi-criteria scoring with its explanation.

For one proposal at one gate: each rated criterion's ratings (one per assessor) are averaged and
normalised to 0-100 (`mean / scale_max * 100`); the spread between the highest and lowest assessor
is shown and flagged above the policy's threshold; the weights (direct, or AHP from the policy)
are re-normalised over the gate's rated criteria; the score is the sum of weight x normalised
score, and every criterion's contribution is kept. Must-meet criteria are knock-outs (every
assessor must confirm them); should-meet criteria must reach their pass threshold. A missing
rating is an error, never a zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from governance.ahp import ahp_weights
from governance.errors import InputRefused, PolicyError, Problem
from governance.financials import Financials
from models.assessment import Assessment
from models.policy import Criterion, Gate, Policy

__all__ = ["RatedAssessment", "ScoreCard", "gate_weights", "score_proposal"]

_SCORE = Decimal("0.01")
_WEIGHT = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class RatedAssessment:
    """An assessment and where it was read from (for error messages)."""

    file: str
    label: str
    assessment: Assessment


@dataclass(frozen=True, slots=True)
class ScoreCard:
    proposal_id: str
    gate: int
    total: Decimal
    knocked_out: bool
    should_meet_passed: bool
    criteria: list[dict[str, Any]]
    must_meet: list[dict[str, Any]]
    weights_source: dict[str, Any]
    assessors: list[str]
    flags: list[str]
    financials: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _gate(policy: Policy, number: int) -> Gate:
    for gate in policy.gates:
        if gate.number == number:
            return gate
    raise PolicyError(f"policy {policy.name} has no gate {number}")


def gate_weights(policy: Policy, gate_number: int) -> tuple[dict[str, Decimal], dict[str, Any]]:
    """Weights of the gate's rated criteria, summing to 1, and where they came from."""
    gate = _gate(policy, gate_number)
    by_id = {c.id: c for c in policy.criteria}
    rated = [c for c in gate.criteria if by_id[c].kind != "must-meet"]
    if policy.scoring.ahp is not None:
        derived = ahp_weights(policy.scoring.ahp)
        base = derived.weights
        source: dict[str, Any] = {
            "method": "ahp",
            "consistency_ratio": derived.consistency_ratio,
            "lambda_max": derived.lambda_max,
        }
    else:
        base = {c.id: c.weight for c in policy.criteria}
        source = {"method": "direct"}
    total = sum((base[c] for c in rated), Decimal(0))
    if not rated or total <= 0:
        raise PolicyError(f"gate {gate_number} has no rated criterion with a positive weight")
    weights = {c: (base[c] / total).quantize(_WEIGHT, rounding=ROUND_HALF_EVEN) for c in rated}
    return weights, source


def _check(items: Sequence[RatedAssessment], policy: Policy, gate: Gate, by_id: dict[str, Criterion]) -> list[Problem]:
    problems: list[Problem] = []
    rated = [c for c in gate.criteria if by_id[c].kind != "must-meet"]
    knockouts = [c for c in gate.criteria if by_id[c].kind == "must-meet"]
    seen: dict[str, RatedAssessment] = {}
    for item in items:
        a = item.assessment
        where = (item.file, item.label)
        if a.assessor in seen:
            first = seen[a.assessor]
            problems.append(
                Problem(
                    *where,
                    "assessor",
                    "duplicate-in-batch",
                    f"{a.assessor} already assessed {a.proposal} at gate {a.gate} in {first.file} {first.label}",
                )
            )
            continue
        seen[a.assessor] = item
        for c in rated:
            if c not in a.ratings:
                problems.append(Problem(*where, f"ratings.{c}", "missing", f"no rating for {c} at gate {gate.number}"))
            elif a.ratings[c] > by_id[c].scale_max:
                problems.append(
                    Problem(
                        *where,
                        f"ratings.{c}",
                        "out-of-range",
                        f"rating {a.ratings[c]} exceeds the scale maximum {by_id[c].scale_max}",
                    )
                )
        for c in sorted(set(a.ratings) - set(rated)):
            problems.append(Problem(*where, f"ratings.{c}", "unknown-field", f"{c} is not rated at gate {gate.number}"))
        for c in knockouts:
            if c not in a.must_meet:
                problems.append(Problem(*where, f"must_meet.{c}", "missing", f"no yes/no for must-meet {c}"))
        for c in sorted(set(a.must_meet) - set(knockouts)):
            problems.append(
                Problem(
                    *where, f"must_meet.{c}", "unknown-field", f"{c} is not a must-meet criterion at gate {gate.number}"
                )
            )
    if len(seen) < policy.scoring.min_assessors and items:
        first = items[0]
        problems.append(
            Problem(
                first.file,
                first.label,
                "assessor",
                "missing",
                f"{len(seen)} assessor(s) for {first.assessment.proposal} at gate {gate.number}; "
                f"the policy needs {policy.scoring.min_assessors}",
            )
        )
    return problems


def score_proposal(
    policy: Policy,
    proposal_id: str,
    gate_number: int,
    items: Sequence[RatedAssessment],
    fin: Financials,
    *,
    weights: tuple[dict[str, Decimal], dict[str, Any]] | None = None,
) -> ScoreCard:
    """Score one proposal at one gate from its assessments.

    `weights` is `gate_weights(policy, gate_number)`, passed in when scoring many proposals so the
    AHP eigenvector is computed once.

    Raises:
        InputRefused: a missing or out-of-range rating, too few assessors, a duplicate assessor.
        PolicyError: the gate or its weights are unusable (for example an inconsistent AHP matrix).
    """
    gate = _gate(policy, gate_number)
    by_id = {c.id: c for c in policy.criteria}
    if not items:
        raise InputRefused(
            [Problem("", proposal_id, "assessments", "missing", f"no assessments for gate {gate_number}")]
        )
    problems = _check(items, policy, gate, by_id)
    if problems:
        raise InputRefused(problems)
    gate_w, source = weights if weights is not None else gate_weights(policy, gate_number)
    assessments = sorted((i.assessment for i in items), key=lambda a: a.assessor)
    assessors = [a.assessor for a in assessments]
    criteria: list[dict[str, Any]] = []
    flags: list[str] = []
    total = Decimal(0)
    should_pass = True
    for cid, weight in gate_w.items():
        c = by_id[cid]
        ratings = {a.assessor: a.ratings[cid] for a in assessments}
        mean = sum(ratings.values(), Decimal(0)) / len(ratings)
        normalised = (mean / c.scale_max * 100).quantize(_SCORE, rounding=ROUND_HALF_EVEN)
        spread = ((max(ratings.values()) - min(ratings.values())) / c.scale_max * 100).quantize(_SCORE)
        flagged = spread > policy.scoring.spread_threshold
        if flagged:
            flags.append(f"{cid}: assessors differ by {spread} points (threshold {policy.scoring.spread_threshold})")
        contribution = (weight * normalised).quantize(_SCORE, rounding=ROUND_HALF_EVEN)
        total += weight * normalised
        passed = None
        if c.kind == "should-meet":
            assert c.pass_threshold is not None
            passed = mean >= c.pass_threshold
            should_pass = should_pass and passed
            if not passed:
                flags.append(
                    f"{cid}: should-meet mean {mean.quantize(_SCORE)} below its pass threshold {c.pass_threshold}"
                )
        criteria.append(
            {
                "id": cid,
                "name": c.name,
                "kind": c.kind,
                "weight": weight,
                "ratings": ratings,
                "mean": mean.quantize(_SCORE, rounding=ROUND_HALF_EVEN),
                "score": normalised,
                "spread": spread,
                "spread_flagged": flagged,
                "contribution": contribution,
                "passed": passed,
            }
        )
    must_meet = []
    for cid in (c for c in gate.criteria if by_id[c].kind == "must-meet"):
        votes = {a.assessor: a.must_meet[cid] for a in assessments}
        met = all(votes.values())
        if not met:
            flags.append(f"{cid}: must-meet not confirmed by {', '.join(k for k, v in votes.items() if not v)}")
        must_meet.append({"id": cid, "name": by_id[cid].name, "met": met, "by": votes})
    source = dict(source, weights=gate_w)
    return ScoreCard(
        proposal_id=proposal_id,
        gate=gate_number,
        total=total.quantize(_SCORE, rounding=ROUND_HALF_EVEN),
        knocked_out=not all(m["met"] for m in must_meet),
        should_meet_passed=should_pass,
        criteria=criteria,
        must_meet=must_meet,
        weights_source=source,
        assessors=assessors,
        flags=flags,
        financials=fin.as_dict(),
    )
