"""What each pack shows, read from the ledger and its snapshots only (so a pack can be made again).

Each `*_content` function returns the template's context, the records the pack covers (embedded
as its attachment) and the record that stamps every page.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from governance.canonical import decimal_text, to_plain
from governance.errors import GovernanceError, NotFoundError
from governance.ledger import (
    ENGINE_VERSION,
    get_snapshot,
    iter_records,
    record_object,
    records_for,
    verify,
)
from governance.packs import charts
from governance.record_layout import RECORD_FIELDS
from governance.store import Store
from models.records import (
    AhpWeightsSource,
    DecidedPayload,
    LedgerRecord,
    RecommendedPayload,
    ReviewConfirmedPayload,
    ReviewedPayload,
    ReviewFactsReported,
    ReviewProposedPayload,
    ScoredPayload,
    SelectedPayload,
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


@dataclass(frozen=True, slots=True)
class PackContent:
    template: str
    context: dict[str, Any]
    records: list[LedgerRecord]
    stamp: LedgerRecord  # its hash (one record) or SEQ:HASH (many) is on every page
    many: bool
    policy_version: str
    file_name: str


def _w3c(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _common(title: str, stamp: LedgerRecord, many: bool, policy_version: str, running: str = "") -> dict[str, Any]:
    line1 = f"Ledger head {stamp.seq}:{stamp.hash}" if many else f"Record {stamp.seq} sha256 {stamp.hash}"
    return {
        "title": title,
        "running_title": running or title,
        "author": f"{stamp.recorded_by} (portfolio-governance {stamp.engine_version})",
        "created": _w3c(stamp.recorded_at),
        "generator": f"portfolio-governance {ENGINE_VERSION}",
        "stamp_line1": line1,
        "stamp_policy": f"Policy {policy_version}",
        "stamp_record": record_object(stamp),
    }


def _pairs(mapping: dict[str, Any]) -> list[tuple[str, Any]]:
    return sorted(mapping.items())


# -- gate packs ------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A payload's part as its stored JSON values (decimals as their stored text): what a template prints."""
    return to_plain(value)


def _scaled(value: Decimal | None) -> str | None:
    """A `ScaledDecimal` as its stored text (its scale kept)."""
    return None if value is None else str(value)


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
    context = _common(title, main, False, policy_version, running)
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
            "criteria": [dict(_plain(c), ratings=_pairs(_plain(c.ratings))) for c in card.criteria],
            "must_meet": [dict(_plain(m), by=_pairs(m.by)) for m in card.must_meet],
            "scored_seq": scored.seq,
            "scored_hash": scored.hash,
        },
        financials=dict(
            _plain(fin), flows=list(zip(fin.periods, [decimal_text(c) for c in fin.cash_flows], strict=False))
        ),
        recommendation={
            "outcome": rec.recommendation.outcome,
            "reasons": list(rec.recommendation.reasons),
            "score": decimal_text(rec.score),
            "ecv": decimal_text(rec.ecv),
            "open_conditions": _plain(rec.open_conditions),
            "seq": recommended.seq,
        },
        decision=None
        if decided_body is None
        else dict(
            _plain(decided_body),
            recused=_pairs(decided_body.recused),
            superseded_by=[r.seq for r in superseded],
        ),
        trail=[r for r in history if r.seq <= main.seq],
    )
    name = f"{proposal_id}-gate{gate}-{'pre-read' if pre_read else 'decision'}.pdf"
    return PackContent("gate_pack.html", context, [main], main, False, policy_version, name)


# -- quarterly board pack --------------------------------------------------------------------------


def _amount(costs: Sequence[dict[str, Any]]) -> Decimal:
    return sum((Decimal(str(c["amount"])) for c in costs), Decimal(0))


def _new_bucket(name: str) -> dict[str, Any]:
    return {"bucket": name, "projects": 0, "ecv": Decimal(0), "outcomes": {}, "spend": None}


def quarter_content(conn: Connection, quarter: str, *, as_of: int | None = None) -> PackContent:
    """The quarterly board pack from the quarter's review-proposed, selected, review-confirmed, reviewed.

    `as_of` (a sequence number): the pack as it was when that record was the ledger's newest (see gate_content).
    """
    subject = f"Q-{quarter}"
    history = [r for r in records_for(conn, subject) if as_of is None or r.seq <= as_of]
    proposed_all = [r for r in history if r.kind == "review-proposed"]
    if not proposed_all:
        raise NotFoundError(f"no review proposed for {quarter}: run `governance review --quarter {quarter}`")
    proposed = proposed_all[-1]
    selected = next((r for r in reversed(history) if r.kind == "selected" and r.seq < proposed.seq), None)
    confirmed = next(
        (
            r
            for r in history
            if r.kind == "review-confirmed" and r.body_as(ReviewConfirmedPayload).proposed_seq == proposed.seq
        ),
        None,
    )
    reviewed: list[LedgerRecord] = []
    if confirmed is not None:
        reviewed = [
            r
            for r in iter_records(conn, since_seq=confirmed.seq + 1)
            if r.kind == "reviewed"
            and (as_of is None or r.seq <= as_of)
            and r.body_as(ReviewedPayload).confirmed_seq == confirmed.seq
        ]
    plan = proposed.body_as(ReviewProposedPayload)
    sel = selected.body_as(SelectedPayload) if selected is not None else None
    problem = get_snapshot(conn, selected.inputs) if selected is not None and selected.inputs else {}
    candidates = {c["id"]: c for c in problem.get("candidates", [])}
    by_subject = {r.subject: r for r in reviewed}
    outcomes = {r.subject: r.body_as(ReviewedPayload) for r in reviewed}
    chosen = set(sel.selected) if sel else set()
    left_out = {item.id: list(item.reasons) for item in sel.left_out} if sel else {}

    projects = []
    buckets: dict[str, dict[str, Any]] = {}
    for p in plan.projects:
        done = outcomes.get(p.id)
        cand = candidates.get(p.id)
        facts = p.facts
        row = {
            "id": p.id,
            "title": p.title,
            "reference": p.reference,
            "bucket": p.bucket,
            "state": p.state,
            "recommended": p.recommended,
            "outcome": done.outcome if done else None,
            "overridden": bool(done and done.overridden),
            "rationale": done.rationale if done else None,
            "reasons": list(p.reasons),
            "findings": list(p.findings),
            "funded": p.funded,
            "facts": _pairs(_plain(facts)),
            "cost": _amount(cand["costs"]) if cand else None,
            "ecv": _scaled(facts.ecv),
            "score": _scaled(facts.score),
            "risk": facts.risk_level if isinstance(facts, ReviewFactsReported) else "no report",
            "left_out": left_out.get(p.id, []),
            "record": {"seq": by_subject[p.id].seq, "hash": by_subject[p.id].hash} if done else None,
        }
        projects.append(row)
        b = buckets.setdefault(p.bucket, _new_bucket(p.bucket))
        b["projects"] += 1
        b["ecv"] += facts.ecv
        final = row["outcome"] or row["recommended"]
        b["outcomes"][final] = b["outcomes"].get(final, 0) + 1
    spend_rows = sel.spend_by_bucket if sel else []
    for s in spend_rows:
        buckets.setdefault(s.bucket, _new_bucket(s.bucket))["spend"] = _scaled(s.spend)
    outcome_names = ("continue", "resume", "pause", "stop", "complete")

    frontier = []
    bubbles = []
    bars = []
    if sel:
        budget_total = sum((Decimal(str(v)) for v in problem.get("budget", {}).values()), Decimal(0))
        for point in sel.frontier:
            frontier.append(
                charts.FrontierPoint(budget=point.budget, value=point.value, chosen=point.budget == budget_total)
            )
        risk_of = {p.id: p.facts.risk_rank if isinstance(p.facts, ReviewFactsReported) else 0 for p in plan.projects}
        measure = sel.value_measure
        for cid in sorted(candidates):
            c = candidates[cid]
            bubbles.append(
                charts.Bubble(
                    label=cid,
                    risk=risk_of.get(cid, 0),
                    value=Decimal(str(c.get(measure) or c.get("ecv") or 0)),
                    cost=_amount(c["costs"]),
                    selected=cid in chosen,
                )
            )
        for s in spend_rows:
            bars.append(charts.Bar(label=s.bucket, spend=s.spend, minimum=s.minimum, maximum=s.maximum))
    covered = sorted([r for r in (selected, proposed, confirmed) if r is not None] + reviewed, key=lambda r: r.seq)
    head = covered[-1]
    policy_version = proposed.policy_version or ""
    title = f"Quarterly board pack {quarter}"
    context = _common(title, head, True, policy_version)
    context.update(
        quarter=quarter,
        plan={
            "as_of": plan.as_of.isoformat(),
            "policy": plan.policy,
            "counts": dict(plan.counts),
            "findings": list(plan.findings),
        },
        confirmed=None
        if confirmed is None
        else dict(_plain(confirmed.body_as(ReviewConfirmedPayload).answer), seq=confirmed.seq),
        reviewed_count=len(reviewed),
        projects=projects,
        buckets=[
            dict(b, outcomes=[(o, b["outcomes"].get(o, 0)) for o in outcome_names]) for _, b in sorted(buckets.items())
        ],
        outcome_names=outcome_names,
        selection=None
        if sel is None
        else {
            "status": sel.status,
            "value_measure": sel.value_measure,
            "objective": _scaled(sel.objective),
            "bound": _scaled(sel.bound),
            "gap": _scaled(sel.gap),
            "currency": sel.currency,
            "notes": list(sel.notes),
            "next_slice": _plain(sel.next_slice),
            "spend_by_bucket": _plain(sel.spend_by_bucket),
            "spend_by_period": _plain(sel.spend_by_period),
            "greedy": _plain(sel.greedy),
            "selected": list(sel.selected),
        }
        | {"seq": selected.seq if selected else None, "left_out": sorted(left_out.items())},
        frontier_svg=charts.frontier_chart(frontier) if sel else None,
        bubble_svg=charts.bubble_chart(bubbles) if sel else None,
        bucket_svg=charts.bucket_chart(bars) if sel else None,
        proposed_seq=proposed.seq,
        records=[
            {"seq": r.seq, "kind": r.kind, "subject": r.subject, "outcome": r.outcome, "hash": r.hash} for r in covered
        ],
    )
    return PackContent("board_pack.html", context, covered, head, True, policy_version, f"board-pack-{quarter}.pdf")


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
    policy_version = next((r.policy_version for r in reversed(records) if r.policy_version), "") or ""
    title = f"Audit extract {since.isoformat()} to {until.isoformat()}"
    context = _common(title, head, True, policy_version)
    context.update(
        since=since.isoformat(),
        until=until.isoformat(),
        verification=report.as_dict(),
        rows=rows,
        counts=sorted(counts.items()),
        replayed=replay is not None,
    )
    name = f"audit-{since.isoformat()}-{until.isoformat()}.pdf"
    return PackContent("audit_extract.html", context, records, head, True, policy_version, name)


def records_jsonl(records: Sequence[LedgerRecord]) -> bytes:
    """`records.jsonl`: one record object per line, keys in RECORD_FIELDS order, UTF-8."""
    return "".join(json.dumps(record_object(r), ensure_ascii=False) + "\n" for r in records).encode()


def record_json(record: LedgerRecord) -> bytes:
    """`decision-record.json`: one record object, keys in RECORD_FIELDS order, indented, UTF-8."""
    return (json.dumps(record_object(record), ensure_ascii=False, indent=2) + "\n").encode()
