"""Board decisions at gates: roster, recusal, quorum, the tally under the policy's voting rule.

One function, `decide`, records every decision, whichever way it arrives (the CLI on the embedded
default, or a Prefect RunInput on a server): with the clock and ids fixed, the same input gives
the same canonical payload.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, overload

from pydantic import ValidationError
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from governance.adoption import current_policy
from governance.authority import Actor, authorise
from governance.calendar import check_meeting_date, today_in
from governance.canonical import to_plain
from governance.errors import ConflictError, DecisionRefused, NotFoundError, TransitionError
from governance.gates import gate_of, open_conditions
from governance.intake import find_proposal
from governance.ledger import Ledger, NewRecord, latest_record
from governance.lifecycle import check_transition, state_after_decision
from governance.people import Directory
from governance.signatures import check_signatures
from governance.store import Store
from models.decision import OUTCOMES, ConditionInput, DecisionInput, Vote
from models.policy import BoardRules, Policy
from models.records import (
    ConditionClosedPayload,
    DecidedPayload,
    GateCondition,
    LedgerRecord,
    RecommendedPayload,
    RecordPayload,
    SupersededPayload,
    VoteTally,
    parse_payload,
)
from models.tables import DecisionKeyRow, LedgerRow

__all__ = [
    "Tally",
    "close_condition",
    "decide",
    "decision_from_options",
    "parse_condition",
    "parse_votes",
    "recusals",
    "supersede",
    "tally",
    "with_signatures",
]


@dataclass(frozen=True, slots=True)
class Tally:
    rule: str
    counts: dict[str, int]
    cast: int
    supported: str | None  # the outcome the votes support under the rule, if any
    note: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def payload(self) -> VoteTally:
        """As the `tally` of a `decided` payload."""
        return VoteTally(rule=self.rule, counts=self.counts, cast=self.cast, supported=self.supported, note=self.note)

    def describe(self) -> str:
        counts = ", ".join(f"{o} {n}" for o, n in self.counts.items()) or "no votes"
        return f"{counts} under {self.rule} ({self.note})"


def parse_votes(raw: Sequence[str]) -> list[Vote]:
    """`["ana=go", "lee=hold"]` -> votes. Refuses a malformed entry or a member voting twice."""
    votes: list[Vote] = []
    for entry in raw:
        member, sep, outcome = entry.partition("=")
        if not sep:
            raise DecisionRefused(f"--vote {entry!r}: expected NAME=OUTCOME (outcomes: {', '.join(OUTCOMES)})")
        try:
            votes.append(Vote.model_validate({"member": member.strip().lower(), "outcome": outcome.strip().lower()}))
        except ValidationError:
            raise DecisionRefused(
                f"--vote {entry!r}: expected NAME=OUTCOME (outcomes: {', '.join(OUTCOMES)})"
            ) from None
    twice = sorted(m for m, n in Counter(v.member for v in votes).items() if n > 1)
    if twice:
        raise DecisionRefused(f"{', '.join(twice)} voted more than once")
    return votes


_OWNER = re.compile(r"(?:^|[,;])\s*owner:\s*([^,;]+)", re.IGNORECASE)
_DUE = re.compile(r"(?:^|[,;])\s*due:\s*(\d{4}-\d{2}-\d{2})", re.IGNORECASE)
_BY = re.compile(r"\bby (\d{4}-\d{2}-\d{2})\b", re.IGNORECASE)


def parse_condition(raw: str) -> ConditionInput:
    """`"security review by 2027-02-01, owner: CISO"` (or `..., due: 2027-02-01`) -> a condition."""
    owner = _OWNER.search(raw)
    due = _DUE.search(raw) or _BY.search(raw)
    text = _DUE.sub("", _OWNER.sub("", raw)).strip(" ,;")
    if owner is None or due is None or not text:
        raise DecisionRefused(
            f"--condition {raw!r}: expected 'WHAT by YYYY-MM-DD, owner: WHO' (or '..., due: YYYY-MM-DD')"
        )
    try:
        return ConditionInput(text=text, owner=owner.group(1).strip(), due=dt.date.fromisoformat(due.group(1)))
    except ValueError:
        raise DecisionRefused(f"--condition {raw!r}: {due.group(1)} is not a date") from None


def recusals(policy: Policy, submitter: str, sponsor: str, declared: Sequence[str]) -> dict[str, str]:
    """Board members who may not vote on this proposal, with the reason.

    The submitter and sponsor are compared as people (governance.people: ids, not spellings); a name
    that could be a board member but is not written as one is refused there (IdentityError).
    """
    directory = Directory.of(policy)
    submitter_id = _person_id(directory, submitter, "the proposal's submitter")
    sponsor_id = _person_id(directory, sponsor, "the proposal's sponsor")
    out: dict[str, str] = {}
    for m in policy.board.members:
        if m.name == submitter_id:
            out[m.name] = "submitter of the proposal"
        elif m.name == sponsor_id:
            out[m.name] = "sponsor of the proposal"
        elif m.name in declared:
            out[m.name] = "declared a conflict of interest"
    return out


def _person_id(directory: Directory, name: str, what: str) -> str | None:
    person = directory.resolve(name, what=what)
    return person.id if person else None


def tally(board: BoardRules, votes: Sequence[Vote]) -> Tally:
    """The outcome the votes support under the policy's voting rule, if any."""
    raw: Counter[str] = Counter(v.outcome for v in votes)
    counts = {o: raw[o] for o in OUTCOMES if o in raw}
    cast = len(votes)
    rule = board.voting_rule
    if rule == "majority":
        winner = next((o for o, n in counts.items() if n * 2 > cast), None)
        note = f"more than half of {cast} votes" if winner else f"no outcome has more than half of {cast} votes"
    elif rule == "unanimity":
        winner = next(iter(counts)) if len(counts) == 1 else None
        note = "all votes agree" if winner else "the votes are not unanimous"
    else:
        chair = next(m.name for m in board.members if m.chair)
        chair_vote = next((v.outcome for v in votes if v.member == chair), None)
        winner = chair_vote
        note = f"the chair ({chair}) decides" if chair_vote else f"the chair ({chair}) has not voted"
    return Tally(rule=rule, counts=counts, cast=cast, supported=winner, note=note)


def _check_board(decision: DecisionInput, board: BoardRules, recused: dict[str, str]) -> Tally:
    roster = {m.name for m in board.members}
    strangers = sorted(
        {v.member for v in decision.votes} - roster
        | ({decision.decided_by} - roster)
        | (set(decision.conflicts) - roster)
    )
    if strangers:
        raise DecisionRefused(f"not on the board roster: {', '.join(strangers)} (members: {', '.join(sorted(roster))})")
    barred = [v.member for v in decision.votes if v.member in recused]
    if barred:
        raise DecisionRefused("; ".join(f"{m} is recused ({recused[m]}) and cannot vote" for m in barred))
    if decision.decided_by in recused:
        raise DecisionRefused(f"{decision.decided_by} is recused ({recused[decision.decided_by]}) and cannot decide")
    eligible = len(roster) - len(recused)
    if len(decision.votes) < board.quorum:
        detail = f"; recused: {', '.join(f'{m} ({r})' for m, r in sorted(recused.items()))}" if recused else ""
        raise DecisionRefused(
            f"no quorum: {len(decision.votes)} vote(s) cast, the quorum is {board.quorum} "
            f"({eligible} eligible member(s){detail})"
        )
    result = tally(board, decision.votes)
    if result.supported != decision.outcome:
        raise DecisionRefused(f"the votes do not support {decision.outcome!r}: {result.describe()}")
    if decision.outcome == "conditional-go" and not decision.conditions:
        raise DecisionRefused("a conditional go needs at least one --condition (what, owner, due date)")
    if decision.outcome != "conditional-go" and decision.conditions:
        raise DecisionRefused(f"conditions belong to a conditional go, not to {decision.outcome!r}")
    return result


def invalid(exc: ValidationError, what: str) -> DecisionRefused:
    """A refused decision naming every field that does not fit (`invalid decision: gate: ...`)."""
    problems = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False))
    return DecisionRefused(f"invalid {what}: {problems}")


def decision_from_options(
    store: Store,
    ledger: Ledger,
    proposal: str,
    gate: int,
    outcome: str,
    decided_by: str,
    rationale: str,
    votes: Sequence[str],
    conditions: Sequence[str],
    conflicts: Sequence[str],
    meeting_date: dt.date | None,
    actor: Actor | None = None,
) -> DecisionInput:
    """A decision as the command line gives it (`ana=go` votes, condition lines), checked whole.

    `decided_by` may be empty: the person the actor acts as decides. The meeting date defaults to
    today in the policy's time zone. Raises DecisionRefused (or Forbidden, for an empty `decided_by`).
    """
    with store.read() as conn:
        row = find_proposal(conn, proposal)
        policy = current_policy(conn).policy
    if not decided_by.strip() and actor is not None:
        decided_by = authorise(policy, actor, "decide").person.id
    try:
        return DecisionInput(
            proposal_id=row.id,
            gate=gate,
            outcome=outcome,
            rationale=rationale,
            decided_by=decided_by.strip().lower(),
            meeting_date=meeting_date or today_in(policy, ledger.clock.now()),
            votes=parse_votes(votes),
            conditions=[parse_condition(c) for c in conditions],
            conflicts=[c.strip().lower() for c in conflicts],
        )
    except ValidationError as exc:
        raise invalid(exc, "decision") from None


def with_signatures(decision: DecisionInput, raw: Sequence[str]) -> DecisionInput:
    """The decision with `NAME=SIGNATURE` entries (from `governance sign`) attached; malformed ones refused."""
    if not raw:
        return decision
    signatures: dict[str, str] = {}
    for entry in raw:
        member, sep, text = entry.partition("=")
        member = member.strip().lower()
        if not sep or not member or member in signatures:
            raise DecisionRefused(f"--signature {entry[:40]!r}: expected NAME=SIGNATURE, once per member")
        signatures[member] = text.strip()
    try:
        return DecisionInput.model_validate({**to_plain(decision), "signatures": signatures})
    except ValidationError as exc:
        raise invalid(exc, "signature") from None


def decide(store: Store, ledger: Ledger, decision: DecisionInput, actor: Actor) -> LedgerRecord:
    """Record a board decision at a gate after checking roster, recusal, quorum and the tally.

    Raises:
        DecisionRefused: the rules do not allow this decision (the message says why); code
            `meeting-date-invalid` for a meeting date before the recommendation's or after today.
        ConflictError: the gate attempt was decided already (for example by a racing writer).
        TransitionError: the proposal is not awaiting a decision at that gate.
        Forbidden: the actor may not decide under the policy's role matrix.
    """
    with store.write() as conn:
        loaded = current_policy(conn)
        policy = loaded.policy
        row = find_proposal(conn, decision.proposal_id)
        recommended = latest_record(conn, row.id, "recommended")
        attempt = _attempts(conn, row.id, decision.gate)
        corrections = _count(conn, row.id, "superseded", decision.gate)
        key = f"{row.id}:g{decision.gate}:a{attempt}" + (f":s{corrections}" if corrections else "")
        if conn.scalar(select(DecisionKeyRow.seq).where(DecisionKeyRow.key == key)) is not None:
            seq = conn.scalar(select(DecisionKeyRow.seq).where(DecisionKeyRow.key == key))
            raise ConflictError(
                f"{row.id} gate {decision.gate} was already decided (record {seq}); nothing was recorded"
            )
        if row.state != "awaiting-decision" or recommended is None:
            raise TransitionError(
                f"{row.id} is {row.state}, not awaiting a decision: run `governance gate {row.id}` first"
            )
        recommendation = recommended.body_as(RecommendedPayload)
        if recommendation.gate != decision.gate:
            raise TransitionError(f"{row.id} awaits a decision at gate {recommendation.gate}, not {decision.gate}")
        check_meeting_date(
            decision.meeting_date,
            today_in(policy, recommended.recorded_at),
            f"the gate {decision.gate} recommendation (record {recommended.seq})",
            today_in(policy, ledger.clock.now()),
        )
        check_transition(row.id, row.state, "decided")
        recused = recusals(policy, row.submitter, row.sponsor, decision.conflicts)
        result = _check_board(decision, policy.board, recused)
        check_signatures(policy, decision)
        acting = authorise(policy, actor, "decide")
        if decision.decided_by != acting.person.id:
            raise DecisionRefused(
                f"the decision names {decision.decided_by} as deciding, but it is recorded by {acting.recorded_by}: "
                "the person deciding records it (or a delegate for them)"
            )
        gate = gate_of(policy, decision.gate)
        last = decision.gate == len(policy.gates)
        state = state_after_decision(decision.outcome, last)
        # Numbering continues across corrections, so a superseded decision's condition ids are never reused.
        issued = sum(len(d.conditions) for d in _payloads(conn, row.id, "decided") if d.gate == decision.gate)
        conditions = [
            GateCondition(id=f"C-{row.id[2:]}-G{decision.gate}-{i}", text=c.text, owner=c.owner, due=c.due)
            for i, c in enumerate(decision.conditions, start=issued + 1)
        ]
        payload = DecidedPayload(
            gate=decision.gate,
            gate_name=gate.name,
            outcome=decision.outcome,
            rationale=decision.rationale,
            decided_by=decision.decided_by,
            meeting_date=decision.meeting_date,
            votes=sorted(decision.votes, key=lambda v: v.member),
            dissent=sorted(v.member for v in decision.votes if v.outcome != decision.outcome),
            recused=recused,
            tally=result.payload(),
            conditions=conditions,
            recommended=recommendation.recommendation.outcome,
            recommended_seq=recommended.seq,
            attempt=attempt,
            state_after=state,
            next_gate=decision.gate + 1 if decision.outcome in ("go", "conditional-go") and not last else None,
            signatures=dict(sorted(decision.signatures.items())),
        )
        projection: dict[str, Any] = {"state": state}
        if decision.outcome in ("go", "conditional-go"):
            projection["stage"] = gate.enters
            if not last:
                projection["gate"] = decision.gate + 1
        record = ledger.append_for_proposal(
            conn,
            NewRecord(
                kind="decided",
                subject=row.id,
                outcome=decision.outcome,
                policy_version=loaded.version,
                payload=payload,
                inputs={"decision": to_plain(decision), "recommendation": recommendation},
            ),
            acting.recorded_by,
            **projection,
        )
        try:
            conn.execute(insert(DecisionKeyRow).values(key=key, seq=record.seq))
        except SqlIntegrityError:  # pragma: no cover - the write lock makes this a second line of defence
            raise ConflictError(f"{row.id} gate {decision.gate} was already decided; nothing was recorded") from None
        return record


@overload
def _payloads(conn: Connection, proposal_id: str, kind: Literal["decided"]) -> Iterator[DecidedPayload]: ...
@overload
def _payloads(conn: Connection, proposal_id: str, kind: Literal["recommended"]) -> Iterator[RecommendedPayload]: ...
@overload
def _payloads(conn: Connection, proposal_id: str, kind: Literal["superseded"]) -> Iterator[SupersededPayload]: ...


def _payloads(conn: Connection, proposal_id: str, kind: str) -> Iterator[RecordPayload]:
    """The payloads of one proposal's records of `kind`, in ledger order."""
    for text in conn.scalars(
        select(LedgerRow.payload)
        .where(LedgerRow.subject == proposal_id, LedgerRow.kind == kind)
        .order_by(LedgerRow.seq)
    ):
        yield parse_payload(kind, text)


def _count(conn: Connection, proposal_id: str, kind: Literal["recommended", "superseded"], gate: int) -> int:
    return sum(1 for body in _payloads(conn, proposal_id, kind) if body.gate == gate)


def _attempts(conn: Connection, proposal_id: str, gate: int) -> int:
    """How many times this proposal was recommended at this gate: the attempt being decided."""
    return max(_count(conn, proposal_id, "recommended", gate), 1)


def supersede(store: Store, ledger: Ledger, ident: str, gate: int, rationale: str, actor: Actor) -> LedgerRecord:
    """Void the latest decision at `gate` with a correcting record; the board then decides again.

    The wrong decision is never edited: both records stay in the ledger, and the proposal returns
    to "awaiting decision" at that gate. Refused once the proposal has moved on past that decision.
    """
    if not rationale.strip():
        raise DecisionRefused("a correction needs a rationale")
    with store.write() as conn:
        loaded = current_policy(conn)
        acting = authorise(loaded.policy, actor, "supersede")
        row = find_proposal(conn, ident)
        decided = latest_record(conn, row.id, "decided")
        if decided is None or decided.body_as(DecidedPayload).gate != gate:
            raise TransitionError(f"{row.id} has no decision at gate {gate} to supersede")
        if row.last_seq != decided.seq and _after(conn, row.id, decided.seq):
            raise TransitionError(
                f"{row.id} has moved on since the gate {gate} decision (record {decided.seq}); "
                "it can no longer be superseded"
            )
        return ledger.append_for_proposal(
            conn,
            NewRecord(
                kind="superseded",
                subject=row.id,
                outcome=decided.outcome,
                policy_version=loaded.version,
                payload=SupersededPayload(
                    gate=gate,
                    superseded_seq=decided.seq,
                    superseded_hash=decided.hash,
                    rationale=rationale.strip(),
                    state_after="awaiting-decision",
                ),
            ),
            acting.recorded_by,
            state="awaiting-decision",
            gate=gate,
        )


def _after(conn: Connection, proposal_id: str, seq: int) -> bool:
    """Whether anything but closing conditions happened to the proposal after record `seq`."""
    kinds = conn.scalars(select(LedgerRow.kind).where(LedgerRow.subject == proposal_id, LedgerRow.seq > seq))
    return any(k != "condition-closed" for k in kinds)


def close_condition(store: Store, ledger: Ledger, condition_id: str, note: str, actor: Actor) -> LedgerRecord:
    """Close an open condition of a conditional go (a `condition-closed` record)."""
    match = re.fullmatch(r"C-(\d{4}-\d{4,})-G(\d+)-(\d+)", condition_id)
    if match is None:
        raise NotFoundError(f"no condition {condition_id!r} (ids look like C-2026-0007-G2-1)")
    pid = f"P-{match.group(1)}"
    with store.write() as conn:
        loaded = current_policy(conn)
        conditions = {c.id: c for c in open_conditions(conn, pid)}
        if condition_id not in conditions:
            raise NotFoundError(f"no open condition {condition_id} on {pid}")
        owners = Directory.of(loaded.policy).ids(conditions[condition_id].owner)
        acting = authorise(loaded.policy, actor, "close-condition", owners=owners)
        today = today_in(loaded.policy, ledger.clock.now())
        return ledger.append_for_proposal(
            conn,
            NewRecord(
                kind="condition-closed",
                subject=pid,
                outcome="closed",
                payload=ConditionClosedPayload(
                    condition_id=condition_id, note=note, closed_on=today, was_due=conditions[condition_id].due
                ),
            ),
            acting.recorded_by,
        )
