"""The review's ledger records: the proposal (`selected`, `review-proposed`), the board's answer
(`review-confirmed`) and each project's outcome (`reviewed`), each built from its kind's payload model
and read back through it.

`propose_review` records nothing when the newest proposal for the quarter was made on the same inputs
(or the review is confirmed already). `confirm_review` records the answer under the unique key
`review:2026Q4`, then one `reviewed` record per project under `review:2026Q4:P-...`, in chunks; a
re-run skips the keys written. Crash points: after-confirmation, mid-outcomes (after the first chunk
of outcomes), after-outcomes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, insert, select

from governance.adoption import current_policy
from governance.authority import Actor, Authorised, authorise, carried, parse_review_votes
from governance.board import invalid, recusals
from governance.calendar import check_meeting_date, today_in
from governance.canonical import canonical_text, sha256_hex
from governance.crashpoints import crash_point
from governance.errors import ConflictError, DecisionRefused, NotFoundError
from governance.ledger import Ledger, NewRecord, get_snapshot, latest_record
from governance.lifecycle import REVIEW_STATE, check_transition
from governance.policy import LoadedPolicy
from governance.review.plan import ReviewPlan, plan_review
from governance.store import Store
from models.decision import REVIEW_OUTCOMES, ReviewAnswer, ReviewOutcome, ReviewOverride
from models.policy import Policy
from models.records import (
    ConfirmedOutcome,
    ReviewConfirmedPayload,
    ReviewedPayload,
    ReviewProposedPayload,
    SelectedPayload,
    SelectionSummary,
    parse_payload,
)
from models.selection import SelectionProblem, SelectionResult
from models.tables import DecisionKeyRow, LedgerRow, ProposalRow

__all__ = [
    "ConfirmedReview",
    "ProjectOutcome",
    "ProposedReview",
    "answer_quarter",
    "check_answer",
    "confirm_review",
    "parse_override",
    "parse_review_votes",
    "pending_reviews",
    "propose_review",
    "quarter_subject",
    "recorded_selection",
    "review_outcomes",
    "stored_answer",
]


def quarter_subject(quarter: str) -> str:
    """The ledger subject of a quarter's review records: `Q-2026Q4`."""
    return f"Q-{quarter}"


def _proposed_payload(plan: ReviewPlan, loaded: LoadedPolicy) -> ReviewProposedPayload:
    counts: dict[ReviewOutcome, int] = {}
    for p in plan.projects:
        counts[p.recommended] = counts.get(p.recommended, 0) + 1
    selection = plan.selection
    return ReviewProposedPayload(
        quarter=plan.quarter,
        as_of=plan.as_of,
        policy=loaded.policy.name,
        counts=dict(sorted(counts.items())),
        findings=list(plan.findings),
        projects=list(plan.projects),
        selection=None
        if selection is None
        else SelectionSummary(
            status=selection.status,
            value_measure=selection.value_measure,
            objective=selection.objective,
            bound=selection.bound,
            gap=selection.gap,
            selected=selection.selected,
        ),
    )


@dataclass(frozen=True, slots=True)
class ProposedReview:
    """A quarter's review proposal: the `review-proposed` record's seq and payload; `reused` when nothing
    new was recorded, `confirmed_seq` when the board has answered already."""

    quarter: str
    seq: int
    payload: ReviewProposedPayload
    reused: bool
    confirmed_seq: int | None


def propose_review(store: Store, ledger: Ledger, quarter: str, actor: str) -> ProposedReview:
    """Record the quarter's recommendations (`review-proposed`) and selection (`selected`).

    Idempotent: if the newest proposal for the quarter was made on the same inputs, or the review
    is already confirmed, nothing is recorded and the existing record comes back.
    """
    subject = quarter_subject(quarter)
    with store.write() as conn:
        loaded = current_policy(conn)
        confirmed = latest_record(conn, subject, "review-confirmed")
        existing = latest_record(conn, subject, "review-proposed")
        if confirmed is not None:
            assert existing is not None
            return ProposedReview(quarter, existing.seq, existing.body_as(ReviewProposedPayload), True, confirmed.seq)
        today = today_in(loaded.policy, ledger.clock.now())
        plan = plan_review(conn, loaded, quarter, today)
        payload = _proposed_payload(plan, loaded)
        inputs = {
            "quarter": quarter,
            "policy_version": loaded.version,
            "projects": [{"id": p.id, "facts": p.facts, "state": p.state} for p in plan.projects],
            "selection_problem": plan.selection_problem,
        }
        inputs_key = sha256_hex(canonical_text(inputs))
        if existing is not None and existing.inputs == inputs_key:
            return ProposedReview(quarter, existing.seq, existing.body_as(ReviewProposedPayload), True, None)
        records = []
        if plan.selection is not None:
            records.append(
                NewRecord(
                    kind="selected",
                    subject=subject,
                    outcome=plan.selection.status,
                    policy_version=loaded.version,
                    payload=plan.selection,
                    inputs=plan.selection_problem,
                )
            )
        records.append(
            NewRecord(
                kind="review-proposed",
                subject=subject,
                outcome=f"{len(plan.projects)} projects",
                policy_version=loaded.version,
                payload=payload,
                inputs=inputs,
            )
        )
        written = ledger.append(conn, records, actor)
        return ProposedReview(quarter, written[-1].seq, payload, False, None)


def recorded_selection(conn: Connection, quarter: str) -> tuple[SelectionProblem, SelectionResult] | None:
    """The selection recorded with `quarter`'s review (its newest proposal), as solved then, with the
    problem it was solved on; None when the review recorded none (no portfolio section)."""
    from governance.selection import problem_from_snapshot

    record = latest_record(conn, quarter_subject(quarter), "selected")
    if record is None or record.inputs is None:
        return None
    return problem_from_snapshot(get_snapshot(conn, record.inputs)), record.body_as(SelectedPayload).to_result()


def pending_reviews(conn: Connection) -> list[dict[str, Any]]:
    """Quarters whose newest review proposal the board has not confirmed yet (for the agenda)."""
    proposed: dict[str, tuple[int, ReviewProposedPayload]] = {}
    confirmed: set[str] = set()
    for subject, kind, seq, payload in conn.execute(
        select(LedgerRow.subject, LedgerRow.kind, LedgerRow.seq, LedgerRow.payload)
        .where(LedgerRow.kind.in_(("review-proposed", "review-confirmed")))
        .order_by(LedgerRow.seq)
    ):
        if kind == "review-confirmed":
            confirmed.add(subject)
        else:
            proposed[subject] = (seq, parse_payload("review-proposed", payload))
    return [
        {"quarter": data.quarter, "seq": seq, "counts": dict(data.counts), "findings": list(data.findings)}
        for subject, (seq, data) in sorted(proposed.items())
        if subject not in confirmed
    ]


def parse_override(raw: str) -> ReviewOverride:
    """`"P-2026-0007=stop: the market moved"` -> an override (the CLI's `--override` and the UI's lines)."""
    head, sep, rationale = raw.partition(":")
    project, eq, outcome = head.partition("=")
    try:
        if not sep or not eq:
            raise ValueError
        return ReviewOverride(project=project.strip(), outcome=outcome.strip().lower(), rationale=rationale.strip())
    except (ValueError, ValidationError):
        raise DecisionRefused(
            f"override {raw!r}: expected 'P-2026-0007=OUTCOME: rationale' (outcomes: {', '.join(REVIEW_OUTCOMES)})"
        ) from None


def stored_answer(conn: Connection, quarter: str) -> ReviewAnswer | None:
    """The board's confirmed answer for the quarter, if any (to finish recording its outcomes)."""
    confirmed = latest_record(conn, quarter_subject(quarter), "review-confirmed")
    return None if confirmed is None else confirmed.body_as(ReviewConfirmedPayload).answer


@dataclass(frozen=True, slots=True)
class ProjectOutcome:
    """One project's confirmed outcome in a review: the recommendation, or the board's override."""

    id: str
    outcome: ReviewOutcome
    recommended: ReviewOutcome
    overridden: bool  # an override that changes the recommendation (one that repeats it does not count)
    reasons: list[str]
    rationale: str  # the override's rationale, else the answer's
    state_before: str
    state_after: str

    def confirmed(self) -> ConfirmedOutcome:
        """As one of the outcomes of the `review-confirmed` record."""
        return ConfirmedOutcome(
            id=self.id, outcome=self.outcome, recommended=self.recommended, overridden=self.overridden
        )

    def reviewed(self, answer: ReviewAnswer, confirmed_seq: int) -> ReviewedPayload:
        """As the project's `reviewed` record: the outcome and why, who decided it, and when."""
        return ReviewedPayload(
            quarter=answer.quarter,
            outcome=self.outcome,
            recommended=self.recommended,
            overridden=self.overridden,
            reasons=self.reasons,
            rationale=self.rationale,
            decided_by=answer.decided_by,
            meeting_date=answer.meeting_date,
            confirmed_seq=confirmed_seq,
            state_after=self.state_after,
        )


def review_outcomes(proposed: ReviewProposedPayload, answer: ReviewAnswer) -> list[ProjectOutcome]:
    """Each project's confirmed outcome (by id): the recommendation, or the board's override with its rationale.

    Raises:
        DecisionRefused: an override names a project not in the review, a project twice, or an
            outcome its state does not allow (resume an active project, continue a paused one).
    """
    projects = {p.id: p for p in proposed.projects}
    unknown = sorted(o.project for o in answer.overrides if o.project not in projects)
    if unknown:
        raise DecisionRefused(f"overrides name projects not in the {answer.quarter} review: {', '.join(unknown)}")
    twice = sorted({o.project for o in answer.overrides if sum(x.project == o.project for x in answer.overrides) > 1})
    if twice:
        raise DecisionRefused(f"more than one override for: {', '.join(twice)}")
    overrides = {o.project: o for o in answer.overrides}
    out = []
    for pid in sorted(projects):
        p = projects[pid]
        override = overrides.get(pid)
        outcome = override.outcome if override else p.recommended
        if (p.state == "paused" and outcome == "continue") or (p.state == "active" and outcome == "resume"):
            raise DecisionRefused(
                f"{pid} is {p.state}: use {'resume' if p.state == 'paused' else 'continue'}, not {outcome}"
            )
        out.append(
            ProjectOutcome(
                id=pid,
                outcome=outcome,
                recommended=p.recommended,
                overridden=override is not None and override.outcome != p.recommended,
                reasons=list(p.reasons),
                rationale=override.rationale if override else answer.rationale,
                state_before=p.state,
                state_after=REVIEW_STATE[outcome],
            )
        )
    return out


@dataclass
class ConfirmedReview:
    """What `confirm_review` did: the `review-confirmed` record, outcomes recorded now and earlier."""

    quarter: str
    confirmed_seq: int
    recorded: int = 0
    already: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


def answer_quarter(
    store: Store,
    ledger: Ledger,
    quarter: str,
    decided_by: str,
    rationale: str,
    overrides: Sequence[str],
    meeting_date: dt.date | None,
    actor: Actor,
    *,
    votes: Sequence[str] = (),
    chunk_size: int = 200,
) -> ConfirmedReview:
    """The board's one answer as the command line gives it (override lines), checked whole, then recorded.

    The meeting date defaults to today in the policy's time zone. Raises as `confirm_review` does.
    """
    with store.read() as conn:
        policy = current_policy(conn).policy
    if not decided_by.strip():
        decided_by = authorise(policy, actor, "confirm-quarter").person.id
    try:
        answer = ReviewAnswer(
            quarter=quarter,
            votes=parse_review_votes(votes),
            decided_by=decided_by.strip().lower(),
            meeting_date=meeting_date or today_in(policy, ledger.clock.now()),
            rationale=rationale,
            overrides=[parse_override(o) for o in overrides],
        )
    except ValidationError as exc:
        raise invalid(exc, "answer") from None
    return confirm_review(store, ledger, answer, actor, chunk_size=chunk_size)


def check_answer(conn: Connection, policy: Policy, answer: ReviewAnswer, actor: Actor) -> Authorised:
    """The board rules for a quarterly answer (roster, recusal, quorum, the voting rule), then the role
    matrix for who records it. Returns who records it.

    A member who submitted or sponsors a project the answer overrides is recused from the answer.
    """
    board = policy.board
    roster = {m.name for m in board.members}
    strangers = sorted(({v.member for v in answer.votes} | {answer.decided_by}) - roster)
    if strangers:
        raise DecisionRefused(f"not on the board roster: {', '.join(strangers)} (members: {', '.join(sorted(roster))})")
    recused: dict[str, str] = {}
    overridden = [o.project for o in answer.overrides]
    rows = conn.execute(
        select(ProposalRow.id, ProposalRow.submitter, ProposalRow.sponsor).where(ProposalRow.id.in_(overridden))
    ).all()
    for row in sorted(rows):
        for member, why in recusals(policy, row.submitter, row.sponsor, ()).items():
            recused.setdefault(member, f"{why.replace('the proposal', row.id)}, which the answer overrides")
    barred = sorted(v.member for v in answer.votes if v.member in recused)
    if answer.decided_by in recused:
        barred = sorted({*barred, answer.decided_by})
    if barred:
        raise DecisionRefused("; ".join(f"{m} is recused ({recused[m]})" for m in barred))
    if len(answer.votes) < board.quorum:
        raise DecisionRefused(
            f"no quorum: {len(answer.votes)} vote(s) cast on the {answer.quarter} answer, the quorum is "
            f"{board.quorum} ({len(roster) - len(recused)} eligible member(s)); give --vote NAME=accept|reject"
        )
    passed, note = carried(board, answer.votes)
    if not passed:
        raise DecisionRefused(f"the votes do not carry the {answer.quarter} answer: {note}")
    acting = authorise(policy, actor, "confirm-quarter")
    if answer.decided_by != acting.person.id:
        raise DecisionRefused(
            f"the answer names {answer.decided_by} as deciding, but it is recorded by {acting.recorded_by}: "
            "the person deciding records it (or a delegate for them)"
        )
    return acting


def confirm_review(
    store: Store,
    ledger: Ledger,
    answer: ReviewAnswer,
    actor: Actor,
    *,
    chunk_size: int = 200,
    on_chunk: Callable[[int, int], None] | None = None,
) -> ConfirmedReview:
    """Record the board's answer, then each project's outcome (chunked; a re-run finishes the rest).

    Raises:
        NotFoundError: no review was proposed for the quarter.
        DecisionRefused: the answer is not from a board member, or an override is invalid; code
            `meeting-date-invalid` for a meeting date before the review's or after today.
        ConflictError: the quarter was already confirmed with a different answer.
    """
    subject = quarter_subject(answer.quarter)
    key = f"review:{answer.quarter}"
    with store.write() as conn:
        loaded = current_policy(conn)
        record = latest_record(conn, subject, "review-proposed")
        if record is None:
            raise NotFoundError(
                f"no review proposed for {answer.quarter}: run `governance review --quarter {answer.quarter}`"
            )
        proposed_seq, proposed = record.seq, record.body_as(ReviewProposedPayload)
        earlier = latest_record(conn, subject, "review-confirmed")
        if earlier is not None:
            confirmation = earlier.body_as(ReviewConfirmedPayload)
            if canonical_text(confirmation.answer) != canonical_text(answer):
                raise ConflictError(
                    f"the {answer.quarter} review was already confirmed (record {earlier.seq}) with another answer; "
                    "nothing was recorded"
                )
            confirmed_seq = earlier.seq
            acting = authorise(loaded.policy, actor, "confirm-quarter")
        else:
            check_meeting_date(
                answer.meeting_date,
                proposed.as_of,
                f"the {answer.quarter} review (record {proposed_seq})",
                today_in(loaded.policy, ledger.clock.now()),
            )
            outcomes = [o.confirmed() for o in review_outcomes(proposed, answer)]  # refuses a bad override
            acting = check_answer(conn, loaded.policy, answer, actor)
            confirmation = ReviewConfirmedPayload(
                quarter=answer.quarter, proposed_seq=proposed_seq, answer=answer, outcomes=outcomes
            )
            [written] = ledger.append(
                conn,
                [
                    NewRecord(
                        kind="review-confirmed",
                        subject=subject,
                        outcome=answer.quarter,
                        policy_version=loaded.version,
                        payload=confirmation,
                        inputs={"answer": answer, "proposed": proposed},
                    )
                ],
                acting.recorded_by,
            )
            confirmed_seq = written.seq
            conn.execute(insert(DecisionKeyRow).values(key=key, seq=confirmed_seq))
    crash_point("after-confirmation")
    outcomes = confirmation.outcomes
    details = {o.id: o for o in review_outcomes(proposed, answer)}
    result = ConfirmedReview(answer.quarter, confirmed_seq)
    for start in range(0, len(outcomes), chunk_size):
        chunk = outcomes[start : start + chunk_size]
        with store.write() as conn:
            keys = [f"{key}:{o.id}" for o in chunk]
            done = set(conn.scalars(select(DecisionKeyRow.key).where(DecisionKeyRow.key.in_(keys))))
            for o in chunk:
                if f"{key}:{o.id}" in done:
                    result.already += 1
                    continue
                detail = details[o.id]
                row = conn.execute(select(ProposalRow.state).where(ProposalRow.id == o.id)).one()
                check_transition(o.id, row.state, "reviewed")
                reviewed = ledger.append_for_proposal(
                    conn,
                    NewRecord(
                        kind="reviewed",
                        subject=o.id,
                        outcome=o.outcome,
                        policy_version=loaded.version,
                        payload=detail.reviewed(answer, confirmed_seq),
                    ),
                    acting.recorded_by,
                    state=detail.state_after,
                )
                conn.execute(insert(DecisionKeyRow).values(key=f"{key}:{o.id}", seq=reviewed.seq))
                result.recorded += 1
                result.outcomes[o.outcome] = result.outcomes.get(o.outcome, 0) + 1
        if on_chunk is not None:
            on_chunk(start + len(chunk), len(outcomes))
        if start == 0 and len(outcomes) > chunk_size:
            crash_point("mid-outcomes")
    crash_point("after-outcomes")
    return result
