"""What each pack shows, read from the ledger and its snapshots only (so a pack can be made again).

Each `*_content` function returns the template's context, the records the pack covers (embedded
as its attachment) and the record that stamps every page.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence

from sqlalchemy import Connection

from governance.canonical import decimal_text
from governance.errors import GovernanceError, NotFoundError
from governance.ledger import get_snapshot, iter_records, record_object, records_for, verify
from governance.money import typographic
from governance.packs.content import PackContent, common, directory_of, pairs, person_text, plain, policy_at
from governance.packs.quarter import quarter_content
from governance.record_layout import RECORD_FIELDS
from governance.store import Store
from governance.wording import reason_in_words
from models.records import (
    AhpWeightsSource,
    DecidedPayload,
    LedgerRecord,
    RecommendedPayload,
    ScoredPayload,
    SupersededPayload,
)

__all__ = [
    "RECORD_FIELDS",
    "PackContent",
    "audit_content",
    "gate_content",
    "quarter_content",
    "record_object",
]


# -- gate packs ------------------------------------------------------------------------------------


def gate_content(
    conn: Connection, proposal_id: str, gate: int, *, pre_read: bool = False, as_of: int | None = None
) -> PackContent:
    """The gate pre-read (recommendation, no decision) or decision pack for one proposal at one gate.

    `as_of` (a sequence number) makes the pack as it was when that record was the ledger's newest: what
    `verify-pack` re-renders a pack from (a later supersession shows in the pack made after it).
    """
    history = [r for r in records_for(conn, proposal_id) if as_of is None or r.seq <= as_of]
    if not history:
        raise NotFoundError(f"no proposal {proposal_id}")
    by_seq = {r.seq: r for r in history}
    recommended_all = [r for r in history if r.kind == "recommended" and r.body_as(RecommendedPayload).gate == gate]
    if not recommended_all:
        raise NotFoundError(f"{proposal_id} has no recommendation at gate {gate}: run `governance gate {proposal_id}`")
    decision: LedgerRecord | None = None
    decided_body: DecidedPayload | None = None
    if pre_read:
        recommended = recommended_all[-1]
        main = recommended
    else:
        decided = [r for r in history if r.kind == "decided" and r.body_as(DecidedPayload).gate == gate]
        if not decided:
            raise NotFoundError(f"{proposal_id} has no decision at gate {gate} yet: make a pre-read instead")
        decision = main = decided[-1]
        decided_body = decision.body_as(DecidedPayload)
        recommended = by_seq[decided_body.recommended_seq]
    rec = recommended.body_as(RecommendedPayload)
    scored = by_seq[rec.scored_seq]
    card = scored.body_as(ScoredPayload)
    proposal = get_snapshot(conn, scored.inputs)["proposal"] if scored.inputs else {}
    superseded = [
        r for r in history if r.kind == "superseded" and r.body_as(SupersededPayload).superseded_seq == main.seq
    ]
    fin = card.financials
    weights = card.weights_source
    title = (
        f"Gate {gate} {'pre-read' if pre_read else 'decision pack'}: {proposal_id} {proposal.get('title', '')}".strip()
    )
    policy_version = main.policy_version or ""
    running = f"Gate {gate} {'pre-read' if pre_read else 'decision pack'}: {proposal_id}"
    context = common(title, main, False, policy_version, running)
    policy = policy_at(conn, policy_version)
    directory = directory_of(policy)
    currency = policy.currency if policy is not None else None
    named: set[str] = set()
    if decided_body is not None:
        named |= {v.member for v in decided_body.votes} | {decided_body.decided_by} | set(decided_body.recused)
    named |= {who for m in card.must_meet for who in m.by} | set(card.assessors)
    context["people"] = {n: person_text(directory, n) for n in sorted(named)}
    context["currency"] = currency
    context.update(
        pre_read=pre_read,
        proposal_id=proposal_id,
        gate={"number": gate, "name": rec.gate_name, "enters": rec.enters, "deliverables": list(rec.deliverables)},
        proposal={
            "reference": proposal.get("reference", ""),
            "title": proposal.get("title", ""),
            "summary": proposal.get("summary", ""),
            "sponsor": proposal.get("sponsor", ""),
            "submitter": proposal.get("submitter", ""),
            "budget_owner": proposal.get("budget_owner") or "\u2013",
            "bucket": proposal.get("bucket", ""),
            "objectives": proposal.get("objectives", []),
            "start_date": proposal.get("start_date", ""),
            "end_date": proposal.get("end_date", ""),
            "depends_on": proposal.get("depends_on", []),
            "excludes": proposal.get("excludes", []),
            "risks": proposal.get("risks", []),
        },
        card={
            "total": decimal_text(card.total),
            "assessors": list(card.assessors),
            "flags": list(card.flags),
            "weights_method": weights.method,
            "consistency_ratio": decimal_text(weights.consistency_ratio)
            if isinstance(weights, AhpWeightsSource)
            else None,
            "criteria": [dict(plain(c), ratings=pairs(plain(c.ratings))) for c in card.criteria],
            "must_meet": [dict(plain(m), by=pairs(m.by)) for m in card.must_meet],
            "scored_seq": scored.seq,
            "scored_hash": scored.hash,
        },
        financials=dict(
            plain(fin), flows=list(zip(fin.periods, [decimal_text(c) for c in fin.cash_flows], strict=False))
        ),
        recommendation={
            "outcome": rec.recommendation.outcome,
            "reasons": [typographic(reason_in_words(r, currency)) for r in rec.recommendation.reasons],
            "score": decimal_text(rec.score),
            "ecv": decimal_text(rec.ecv),
            "open_conditions": plain(rec.open_conditions),
            "seq": recommended.seq,
        },
        decision=None
        if decided_body is None
        else dict(
            plain(decided_body),
            recused=pairs(decided_body.recused),
            superseded_by=[r.seq for r in superseded],
        ),
        trail=[r for r in history if r.seq <= main.seq],
    )
    name = f"{proposal_id}-gate{gate}-{'pre-read' if pre_read else 'decision'}.pdf"
    return PackContent("gate_pack.html", context, [main], main, False, policy_version, name)


# -- audit extract ---------------------------------------------------------------------------------

Replay = Callable[[LedgerRecord], str]


def audit_content(store: Store, since: dt.date, until: dt.date, replay: Replay | None = None) -> PackContent:
    """Chain verification, every record recorded between `since` and `until` (UTC dates, inclusive),
    and the replay result of each, from `replay` when given (its GovernanceError shows as the result)."""
    if until < since:
        raise NotFoundError(f"the period {since} .. {until} is empty (until is before since)")
    report = verify(store)
    with store.read() as conn:
        records = [r for r in iter_records(conn) if since <= r.recorded_at.astimezone(dt.UTC).date() <= until]
    if not records:
        raise NotFoundError(f"no ledger records between {since} and {until}")
    rows = []
    counts: dict[str, int] = {}
    for r in records:
        counts[r.kind] = counts.get(r.kind, 0) + 1
        if replay is None:
            result = "not run"
        else:
            try:
                result = replay(r)
            except GovernanceError as exc:
                result = f"error: {exc}"
        rows.append(
            {
                "seq": r.seq,
                "kind": r.kind,
                "subject": r.subject,
                "outcome": r.outcome,
                "recorded_at": r.recorded_at,
                "recorded_by": r.recorded_by,
                "policy_version": r.policy_version,
                "inputs": r.inputs,
                "prev_hash": r.prev_hash,
                "hash": r.hash,
                "replay": result,
            }
        )
    head = records[-1]
    outcomes: dict[str, int] = {}
    for row in rows:
        status = str(row["replay"]).partition(":")[0]
        outcomes[status] = outcomes.get(status, 0) + 1
    replayable = sum(n for status, n in outcomes.items() if status not in ("not run", "not-replayable"))
    policy_version = next((r.policy_version for r in reversed(records) if r.policy_version), "") or ""
    title = f"Audit extract {since.isoformat()} to {until.isoformat()}"
    context = common(title, head, True, policy_version)
    context.update(
        since=since.isoformat(),
        until=until.isoformat(),
        verification=report.as_dict(),
        rows=rows,
        counts=sorted(counts.items()),
        replayed=replay is not None,
        replay_summary={
            "replayed": replayable,
            "match": outcomes.get("match", 0),
            "other": sorted((k, n) for k, n in outcomes.items() if k not in ("match", "not run", "not-replayable")),
            "not_replayable": outcomes.get("not-replayable", 0),
        },
    )
    name = f"audit-{since.isoformat()}-{until.isoformat()}.pdf"
    return PackContent("audit_extract.html", context, records, head, True, policy_version, name)


def records_jsonl(records: Sequence[LedgerRecord]) -> bytes:
    """`records.jsonl`: one record object per line, keys in RECORD_FIELDS order, UTF-8."""
    return "".join(json.dumps(record_object(r), ensure_ascii=False) + "\n" for r in records).encode()


def record_json(record: LedgerRecord) -> bytes:
    """`decision-record.json`: one record object, keys in RECORD_FIELDS order, indented, UTF-8."""
    return (json.dumps(record_object(record), ensure_ascii=False, indent=2) + "\n").encode()
