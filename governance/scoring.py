"""Weighted multi-criteria scoring with its explanation.

For one proposal at one gate: each rated criterion's ratings (one per assessor) are averaged and
normalised to 0-100 (`mean / scale_max * 100`); the spread between the highest and lowest assessor
is shown and flagged above the policy's threshold; the weights (direct, or AHP from the policy)
are re-normalised over the gate's rated criteria; the score is the sum of weight x normalised
score, and every criterion's contribution is kept. Must-meet criteria are knock-outs (every
assessor must confirm them); should-meet criteria must reach their pass threshold. A missing
rating is an error, never a zero.

`score_proposal` scores one proposal; `score_batch` scores many, financials included, with the
AHP eigenvector derived once per batch and the weights once per gate. Both build every card with
the same code (`_GateScorer.card`), so a batch's cards are the cards `score_proposal` gives, digit
for digit. A batch is faster because a criterion's entry on a card (mean, score, spread,
contribution, flags, and the ratings shown) depends only on who rated it and the ratings as
written: it is computed once per panel of assessors and distinct ratings, with the same Decimal
arithmetic, and shared by the cards that have it (ratings on a 0-10 scale repeat a great deal).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from functools import partial
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Any

from governance.ahp import ahp_weights
from governance.collector import collector_paused
from governance.errors import InputRefused, PolicyError, Problem
from governance.financials import Financials, financials_dicts
from models.assessment import Assessment
from models.policy import Criterion, Gate, Policy
from models.proposal import Proposal

__all__ = [
    "RatedAssessment",
    "ScoreCard",
    "ScoreRequest",
    "ScoredBatch",
    "gate_weights",
    "score_batch",
    "score_proposal",
]

_SCORE = Decimal("0.01")
_WEIGHT = Decimal("0.000001")

Weights = tuple[dict[str, Decimal], dict[str, Any]]
_ASSESSOR = attrgetter("assessor")
_ASSESSMENT = attrgetter("assessment")
_RATINGS = attrgetter("ratings")
_MUST_MEET = attrgetter("must_meet")
_PROPOSAL = attrgetter("proposal")


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


@dataclass(frozen=True, slots=True)
class ScoreRequest:
    """One proposal to score in a batch: its assessments for `gate` and the proposal (for its financials)."""

    proposal_id: str
    gate: int
    items: Sequence[RatedAssessment]
    proposal: Proposal  # a whole proposal: the repr names its reference instead

    def __repr__(self) -> str:
        return (
            f"ScoreRequest({self.proposal_id!r}, gate={self.gate}, items={list(self.items)!r}, "
            f"proposal={self.proposal.reference!r})"
        )


@dataclass(frozen=True, slots=True)
class ScoredBatch:
    """A batch's results, in request order.

    `cards[i]` is request i's card, or None when its assessments were refused; `problems` holds
    every refused request's problems, in request order (what `score_proposal` would have raised).
    Cards of one batch share their equal criterion and must-meet entries: read a card, never
    change it (its type is frozen for that reason).
    """

    cards: list[ScoreCard | None]
    problems: list[Problem] = field(default_factory=list)


def _gate(policy: Policy, number: int) -> Gate:
    for gate in policy.gates:
        if gate.number == number:
            return gate
    raise PolicyError(f"policy {policy.name} has no gate {number}")


def _base_weights(policy: Policy) -> Weights:
    """Every criterion's weight before it is re-normalised over a gate: from AHP, or as set."""
    if policy.scoring.ahp is not None:
        derived = ahp_weights(policy.scoring.ahp)
        return derived.weights, {
            "method": "ahp",
            "consistency_ratio": derived.consistency_ratio,
            "lambda_max": derived.lambda_max,
        }
    return {c.id: c.weight for c in policy.criteria}, {"method": "direct"}


def _gate_weights(policy: Policy, gate: Gate, base: Callable[[], Weights]) -> Weights:
    by_id = {c.id: c for c in policy.criteria}
    rated = [c for c in gate.criteria if by_id[c].kind != "must-meet"]
    weights, source = base()
    total = sum((weights[c] for c in rated), Decimal(0))
    if not rated or total <= 0:
        raise PolicyError(f"gate {gate.number} has no rated criterion with a positive weight")
    return {c: (weights[c] / total).quantize(_WEIGHT, rounding=ROUND_HALF_EVEN) for c in rated}, dict(source)


def gate_weights(policy: Policy, gate_number: int) -> Weights:
    """Weights of the gate's rated criteria, summing to 1, and where they came from."""
    return _gate_weights(policy, _gate(policy, gate_number), lambda: _base_weights(policy))


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


@dataclass(frozen=True, slots=True, eq=False)
class _Figures:
    """One criterion's figures for one panel of assessors and their ratings."""

    entry: dict[str, Any]  # the card's entry for the criterion
    weighted: Decimal  # weight x score, unrounded: what the total adds up
    passed: bool | None
    flags: tuple[str, ...]
    in_range: bool  # no rating above the scale maximum (else `_check` names the problem)


def _figures(
    cid: str, c: Criterion, weight: Decimal, assessors: Sequence[str], values: Sequence[Decimal], threshold: Decimal
) -> _Figures:
    # The same Decimal operations, in the same order, as score_proposal always did them.
    mean = sum(values, Decimal(0)) / len(values)
    normalised = (mean / c.scale_max * 100).quantize(_SCORE, rounding=ROUND_HALF_EVEN)
    spread = ((max(values) - min(values)) / c.scale_max * 100).quantize(_SCORE)
    flagged = spread > threshold
    flags = [f"{cid}: assessors differ by {spread} points (threshold {threshold})"] if flagged else []
    passed = None
    if c.kind == "should-meet":
        assert c.pass_threshold is not None
        passed = mean >= c.pass_threshold
        if not passed:
            flags.append(f"{cid}: should-meet mean {mean.quantize(_SCORE)} below its pass threshold {c.pass_threshold}")
    entry = {
        "id": cid,
        "name": c.name,
        "kind": c.kind,
        "weight": weight,
        "ratings": dict(zip(assessors, values, strict=True)),
        "mean": mean.quantize(_SCORE, rounding=ROUND_HALF_EVEN),
        "score": normalised,
        "spread": spread,
        "spread_flagged": flagged,
        "contribution": (weight * normalised).quantize(_SCORE, rounding=ROUND_HALF_EVEN),
        "passed": passed,
    }
    in_range = all(v <= c.scale_max for v in values)
    return _Figures(entry, weight * normalised, passed, tuple(flags), in_range)


@dataclass(frozen=True, slots=True, eq=False)
class _Knockouts:
    """The must-meet entries, knock-out and flags for one panel of assessors and all their votes."""

    entries: tuple[dict[str, Any], ...]
    knocked_out: bool
    flags: tuple[str, ...]


def _knockouts(
    knockouts: Sequence[tuple[str, str]], assessors: Sequence[str], votes: Sequence[Sequence[bool]]
) -> _Knockouts:
    """`votes` holds each assessor's votes, in the knockouts' order."""
    entries: list[dict[str, Any]] = []
    flags: list[str] = []
    for (cid, name), column in zip(knockouts, zip(*votes, strict=True), strict=True):
        by = dict(zip(assessors, column, strict=True))
        met = all(by.values())
        if not met:
            flags.append(f"{cid}: must-meet not confirmed by {', '.join(k for k, v in by.items() if not v)}")
        entries.append({"id": cid, "name": name, "met": met, "by": by})
    return _Knockouts(tuple(entries), not all(e["met"] for e in entries), tuple(flags))


def _getter(keys: Sequence[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """`mapping -> tuple of its values at keys`, in one C call (itemgetter) where it can."""
    if len(keys) >= 2:
        return itemgetter(*keys)
    return lambda mapping: tuple(mapping[k] for k in keys)


_ENTRY = attrgetter("entry")
_WEIGHTED = attrgetter("weighted")
_PASSED = attrgetter("passed")
_FLAGS = attrgetter("flags")


class _GateScorer:
    """Everything about one gate of one policy that does not depend on the proposal scored.

    Figures are kept per panel (the sorted assessor names) and per criterion, by ratings: cards
    scored by one scorer share equal entries (a ScoreCard is read, never changed).
    """

    def __init__(self, policy: Policy, gate: Gate, weights: Callable[[], Weights]) -> None:
        self.policy = policy
        self.gate = gate
        self.by_id = {c.id: c for c in policy.criteria}
        rated = [c for c in gate.criteria if self.by_id[c].kind != "must-meet"]
        self.knockouts = [(c, self.by_id[c].name) for c in gate.criteria if self.by_id[c].kind == "must-meet"]
        self.votes_of = _getter([c for c, _ in self.knockouts])
        self.rated_set = set(rated)
        self.knockout_set = {c for c, _ in self.knockouts}
        self.n_rated, self.n_knockouts = len(self.rated_set), len(self.knockout_set)
        self.min_assessors = policy.scoring.min_assessors
        self.threshold = policy.scoring.spread_threshold
        self._weights = weights
        self._resolved: _Resolved | None = None
        self._panels: dict[tuple[str, ...], _Panel] = {}

    def _resolve(self, items: Sequence[RatedAssessment]) -> _Resolved:
        try:
            weights = self._weights()
        except PolicyError:
            # score_proposal checks the assessments first: their problems come before the policy's.
            problems = _check(items, self.policy, self.gate, self.by_id)
            if problems:
                raise InputRefused(problems) from None
            raise
        gate_w, source = weights
        criteria = [(cid, self.by_id[cid], weight) for cid, weight in gate_w.items()]
        self._resolved = _Resolved(
            criteria, _getter(list(gate_w)), dict(source, weights=gate_w), set(gate_w) == self.rated_set
        )
        return self._resolved

    def _panel(self, assessors: tuple[str, ...], items: Sequence[RatedAssessment]) -> _Panel:
        """A new panel's memos, once it has enough assessors and none twice."""
        if len(assessors) < self.min_assessors or len(set(assessors)) != len(assessors):
            self._refuse(items)
        assert self._resolved is not None
        panel = self._panels[assessors] = _Panel([{} for _ in self._resolved.criteria], {})
        return panel

    def card(self, proposal_id: str, items: Sequence[RatedAssessment], fin: dict[str, Any]) -> ScoreCard:
        gate = self.gate
        if not items:
            raise InputRefused(
                [Problem("", proposal_id, "assessments", "missing", f"no assessments for gate {gate.number}")]
            )
        assessments = sorted(map(_ASSESSMENT, items), key=_ASSESSOR)
        assessors = tuple(map(_ASSESSOR, assessments))
        # Quick tests first; `_check` names every problem when any of them fails. A panel (the
        # assessor names) is checked once; every rated and knock-out criterion must be found in each
        # assessment (the getters), and no other (the sizes); the figures check each rating's range.
        resolved = self._resolved or self._resolve(items)
        panel = self._panels.get(assessors) or self._panel(assessors, items)
        if not resolved.rates_gate:
            self._refuse(items)
        ratings, votes_given = list(map(_RATINGS, assessments)), list(map(_MUST_MEET, assessments))
        try:
            # Per assessment, its ratings in the weights' order; per criterion, the memo's key: its
            # ratings as written, in assessor order (so 7 and 7.0 are not taken for one another,
            # as the card shows them: the figures of both are the same, the ratings are not).
            rows = list(map(resolved.ratings_of, ratings))
            keys = list(zip(*[tuple(map(str, row)) for row in rows], strict=True))
            votes = tuple(map(self.votes_of, votes_given))
        except KeyError:
            self._refuse(items)
            raise
        if sum(map(len, ratings)) != self.n_rated * len(assessors) or sum(
            map(len, votes_given)
        ) != self.n_knockouts * len(assessors):
            self._refuse(items)
        figures: list[_Figures | None] = list(map(dict.get, panel.figures, keys))
        if None in figures:
            columns = list(zip(*rows, strict=True))
            for i, (f, (cid, c, weight)) in enumerate(zip(figures, resolved.criteria, strict=True)):
                if f is None:
                    f = figures[i] = _figures(cid, c, weight, assessors, columns[i], self.threshold)
                    if not f.in_range:  # a rating above the scale: `_check` says which (never memoised)
                        self._refuse(items)
                    panel.figures[i][keys[i]] = f
        known: list[_Figures] = figures  # type: ignore[assignment]  # no None left
        knockouts = panel.knockouts.get(votes)
        if knockouts is None:
            knockouts = panel.knockouts[votes] = _knockouts(self.knockouts, assessors, votes)
        flags = list(chain.from_iterable(map(_FLAGS, known)))
        if knockouts.flags:
            flags += knockouts.flags
        return ScoreCard(
            proposal_id=proposal_id,
            gate=gate.number,
            total=sum(map(_WEIGHTED, known), Decimal(0)).quantize(_SCORE, rounding=ROUND_HALF_EVEN),
            knocked_out=knockouts.knocked_out,
            should_meet_passed=False not in map(_PASSED, known),
            criteria=list(map(_ENTRY, known)),
            must_meet=list(knockouts.entries),
            weights_source=resolved.source,
            assessors=list(assessors),
            flags=flags,
            financials=fin,
        )

    def _refuse(self, items: Sequence[RatedAssessment]) -> None:
        """Raise InputRefused with `_check`'s problems, if it finds any."""
        problems = _check(items, self.policy, self.gate, self.by_id)
        if problems:
            raise InputRefused(problems)


@dataclass(frozen=True, slots=True)
class _Resolved:
    """A gate's weights in the form the scorer uses them."""

    criteria: list[tuple[str, Criterion, Decimal]]  # (id, criterion, weight) in the weights' order
    ratings_of: Callable[[dict[str, Any]], tuple[Any, ...]]  # an assessment's ratings in that order
    source: dict[str, Any]  # the card's weights_source
    rates_gate: bool  # the weights name exactly the gate's rated criteria (as gate_weights gives)


@dataclass(frozen=True, slots=True)
class _Panel:
    """Memos for one panel of assessors: per criterion, figures by ratings; knockouts by all votes."""

    figures: list[dict[tuple[str, ...], _Figures]]
    knockouts: dict[tuple[tuple[bool, ...], ...], _Knockouts]


def score_proposal(
    policy: Policy,
    proposal_id: str,
    gate_number: int,
    items: Sequence[RatedAssessment],
    fin: Financials,
    *,
    weights: Weights | None = None,
) -> ScoreCard:
    """Score one proposal at one gate from its assessments.

    `weights` is `gate_weights(policy, gate_number)`, passed in when scoring many proposals so the
    AHP eigenvector is computed once (or use `score_batch`).

    Raises:
        InputRefused: a missing or out-of-range rating, too few assessors, a duplicate assessor.
        PolicyError: the gate or its weights are unusable (for example an inconsistent AHP matrix).
    """
    gate = _gate(policy, gate_number)
    scorer = _GateScorer(
        policy, gate, (lambda: weights) if weights is not None else (lambda: gate_weights(policy, gate_number))
    )
    return scorer.card(proposal_id, items, fin.as_dict())


def score_batch(policy: Policy, requests: Sequence[ScoreRequest]) -> ScoredBatch:
    """Score many proposals: each request's financials, then its card, as `score_proposal` would.

    The AHP weights are derived once for the batch and re-normalised once per gate. A request whose
    assessments are refused gets None and adds its problems; any other error ends the batch, as it
    would end a loop over `score_proposal`.

    Raises:
        PolicyError: a request names a gate the policy lacks, or the gate's weights are unusable.
    """
    base: list[Weights] = []

    def base_weights() -> Weights:
        if not base:
            base.append(_base_weights(policy))
        return base[0]

    scorers: dict[int, _GateScorer] = {}
    cards: list[ScoreCard | None] = []
    problems: list[Problem] = []
    with collector_paused():
        # Two passes, financials then cards: each loop keeps its own code and data hot (about a
        # sixth faster than one loop doing both). An error in a proposal's financials is raised
        # when the second pass reaches that proposal, where a loop over score_proposal raises it.
        fins = list(financials_dicts(map(_PROPOSAL, requests), policy.discount_rate))
        for request, fin in zip(requests, fins, strict=True):
            if isinstance(fin, Exception):
                raise fin
            scorer = scorers.get(request.gate)
            if scorer is None:
                gate = _gate(policy, request.gate)
                scorer = scorers[request.gate] = _GateScorer(
                    policy, gate, partial(_gate_weights, policy, gate, base_weights)
                )
            try:
                cards.append(scorer.card(request.proposal_id, request.items, fin))
            except InputRefused as refused:
                problems.extend(refused.problems)
                cards.append(None)
    return ScoredBatch(cards, problems)
