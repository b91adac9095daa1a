"""The quarterly portfolio review: continue / pause / resume / stop / complete, with reasons.

Three steps, each its own records, so a run that crashes anywhere can be run again and finishes
without recording anything twice:

1. `file_status_reports` (governance.reports): the quarter's reports, one `status-reported` each.
2. `propose_review`: every active and paused project's facts (earned value from its newest
   report, its score and ECV re-computed on what is still to come, open conditions), the
   policy's review rules applied, the portfolio re-selected (governance.selection), and the
   recommendations recorded as one `review-proposed` record beside the `selected` record. Running
   it again with the same inputs records nothing new (the inputs snapshot is content-addressed).
3. `confirm_review`: the board's one answer (accept all but listed overrides) as a
   `review-confirmed` record under the unique key `review:2026Q4`, then one `reviewed` record per
   project (state change) under `review:2026Q4:P-...`, in chunks; a re-run skips the keys written.

Crash points (`governance.crashpoints`): after-ingest, after-proposal, after-confirmation,
mid-outcomes (after the first chunk of outcomes), after-outcomes.

How rules and selection combine (the policy's `portfolio.precedence`, default `rules`): a stop,
pause or complete from the rules stands; a project the rules would continue (or resume) but the
selection leaves unfunded is recommended for pause, "not funded within budget". With precedence
`selection`, a project paused by a rule but funded by the selection continues (stop and complete
always stand).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, insert, select

from governance.adoption import current_policy
from governance.board import invalid
from governance.calendar import fiscal_period, last_ended_quarter, previous_quarter, quarter_dates, today_in
from governance.canonical import canonical_text, sha256_hex, to_plain
from governance.crashpoints import crash_point
from governance.errors import ConfigError, ConflictError, DecisionRefused, InputRefused, NotFoundError
from governance.financials import financials
from governance.gates import open_conditions
from governance.ledger import Ledger, NewRecord, latest_record
from governance.lifecycle import REVIEW_STATE, REVIEWABLE, check_transition
from governance.policy import LoadedPolicy
from governance.reports import earned_value_indices, latest_reports
from governance.rules import evaluate, lookup
from governance.scoring import RatedAssessment, score_proposal
from governance.store import Store
from models.assessment import Assessment
from models.decision import REVIEW_OUTCOMES, ReviewAnswer, ReviewOverride
from models.policy import AllOf, AnyOf, Comparison, Condition, NotOf
from models.proposal import BenefitFlow, PeriodCost, Proposal
from models.selection import SelectionProblem
from models.status_report import RISK_LEVELS, StatusReport
from models.tables import DecisionKeyRow, LedgerRow, ProposalRow, SnapshotRow

__all__ = [
    "FACT_FIELDS",
    "ConfirmedReview",
    "ProposedReview",
    "ReviewPlan",
    "answer_quarter",
    "apply_selection",
    "confirm_review",
    "current_problem",
    "parse_override",
    "pending_reviews",
    "plan_review",
    "propose_review",
    "quarter_subject",
    "review_outcomes",
    "selection_problem",
    "stored_answer",
]

# What a review rule may name (per project, per quarter).
FACT_FIELDS: dict[str, str] = {
    "cpi": "cost performance index EV / AC (absent before any spend)",
    "spi": "schedule performance index EV / PV (absent before any planned work)",
    "actual_cost": "AC, cumulative",
    "planned_value": "PV, cumulative",
    "earned_value": "EV, cumulative",
    "percent_complete": "0-100",
    "risk_level": "low | medium | high | critical",
    "risk_rank": "1 (low) .. 4 (critical)",
    "milestones_hit": "count this quarter",
    "milestones_missed": "count this quarter",
    "report_missing": "true when the project sent no report for the quarter",
    "report_late_days": "days after the due date the report came (0 when on time)",
    "score": "the score card's total, re-computed under the current policy",
    "ecv": "expected commercial value of what is still to come",
    "npv": "net present value of what is still to come",
    "open_conditions": "count of open gate conditions",
    "overdue_conditions": "count of open gate conditions past due",
    "state": "active | paused",
    "bucket": "strategic bucket id",
}
_PRECEDENCE = {"complete": 0, "stop": 1, "pause": 2}


def quarter_subject(quarter: str) -> str:
    return f"Q-{quarter}"


@dataclass(frozen=True, slots=True)
class _Project:
    row: Any
    proposal: Proposal
    score: Decimal | None
    score_note: str | None
    open_conditions: int
    overdue_conditions: int


def _snapshots(conn: Connection, keys: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    wanted = sorted(set(keys))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        out.update(
            (k, c)
            for k, c in conn.execute(select(SnapshotRow.key, SnapshotRow.content).where(SnapshotRow.key.in_(chunk)))
        )
    return out


def _latest_value_records(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[str, tuple[int, str, str]]]:
    """Each project's newest `scored` record, or else its `migrated` record: (kind, (seq, payload, version))."""
    out: dict[str, tuple[str, tuple[int, str, str]]] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        rows = conn.execute(
            select(LedgerRow.subject, LedgerRow.kind, LedgerRow.seq, LedgerRow.payload, LedgerRow.policy_version)
            .where(LedgerRow.subject.in_(chunk), LedgerRow.kind.in_(("scored", "migrated")))
            .order_by(LedgerRow.seq)
        )
        for subject, kind, seq, payload, version in rows:
            if kind == "scored" or subject not in out or out[subject][0] != "scored":
                out[subject] = (kind, (seq, payload, version or ""))
    return out


def _rescore(conn: Connection, loaded: LoadedPolicy, pid: str, seq: int, payload: str, version: str) -> Any:
    """The score card's total, re-computed from its stored assessments when the policy changed since."""
    card = json.loads(payload)
    if version == loaded.version:
        return Decimal(str(card["total"])), None
    inputs_key = conn.scalar(select(LedgerRow.inputs).where(LedgerRow.seq == seq))
    content = conn.scalar(select(SnapshotRow.content).where(SnapshotRow.key == inputs_key))
    data = json.loads(content or "{}")
    items = [RatedAssessment("ledger", f"record {seq}", Assessment.model_validate(a)) for a in data["assessments"]]
    proposal = Proposal.model_validate(data["proposal"])
    try:
        rescored = score_proposal(
            loaded.policy, pid, int(card["gate"]), items, financials(proposal, loaded.policy.discount_rate)
        )
    except InputRefused as refused:
        reason = "; ".join(p.message for p in refused.problems[:3])
        return Decimal(str(card["total"])), f"score not re-computed under the current policy ({reason})"
    return rescored.total, None


def _remaining(proposal: Proposal, report: StatusReport | None, first_period: str) -> Proposal:
    """The proposal's cash flows from `first_period` on: sunk costs do not count in a continue/stop call."""
    forecast = report.cost_forecast if report is not None and report.cost_forecast else None
    launch = {c.period: c.launch for c in proposal.costs}
    planned_dev = {c.period: c.development for c in proposal.costs}
    periods = sorted(
        {p for p in (forecast or planned_dev) if p >= first_period} | {p for p in launch if p >= first_period}
    )
    costs = [
        PeriodCost(
            period=p,
            development=(forecast.get(p, Decimal(0)) if forecast is not None else planned_dev.get(p, Decimal(0))),
            launch=launch.get(p, Decimal(0)),
        )
        for p in periods
    ]
    if report is not None and report.benefits_forecast:
        benefit_items = sorted(report.benefits_forecast.items())
    else:
        benefit_items = [(b.period, b.amount) for b in proposal.benefits]
    benefits = [BenefitFlow(period=p, amount=a) for p, a in benefit_items if p >= first_period]
    if not costs:
        costs = [PeriodCost(period=first_period, development=Decimal(0))]
    return proposal.model_copy(update={"costs": costs, "benefits": benefits})


def _facts(report: StatusReport | None, due: dt.date, base: dict[str, Any]) -> dict[str, Any]:
    facts = dict(base)
    if report is None:
        facts.update(report_missing=True, report_late_days=None)
        return facts
    cpi, spi = earned_value_indices(report)
    facts.update(
        cpi=cpi,
        spi=spi,
        actual_cost=report.actual_cost,
        planned_value=report.planned_value,
        earned_value=report.earned_value,
        percent_complete=report.percent_complete,
        risk_level=report.risk_level,
        risk_rank=RISK_LEVELS.index(report.risk_level) + 1,
        milestones_hit=len(report.milestones_hit),
        milestones_missed=len(report.milestones_missed),
        report_missing=False,
        report_late_days=max((report.submitted_on - due).days, 0),
    )
    return facts


_SYMBOL = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "in": "in", "not_in": "not in"}


def _text(value: Any) -> str:
    if value is None:
        return "absent"
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def explain(condition: Condition, facts: dict[str, Any]) -> str:
    """A rule with the numbers it was decided on: `cpi 0.71 < 0.8`, `ecv -2573753.09 < 0 and risk_level ...`."""
    if isinstance(condition, Comparison):
        actual = lookup(facts, condition.field)
        if condition.op in ("present", "absent"):
            return f"{condition.field} {'is ' + _text(actual) if actual is not None else 'absent'}"
        expected = lookup(facts, condition.other) if condition.other else condition.value
        right = f"{condition.other} {_text(expected)}" if condition.other else _text(expected)
        return f"{condition.field} {_text(actual)} {_SYMBOL[condition.op]} {right}"
    if isinstance(condition, AllOf):
        return " and ".join(explain(c, facts) for c in condition.all)
    if isinstance(condition, AnyOf):
        held = [c for c in condition.any if evaluate(c, facts)[0]]
        return " or ".join(explain(c, facts) for c in (held or condition.any))
    assert isinstance(condition, NotOf)
    return f"not ({explain(condition.not_, facts)})"


def _shown(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value


@dataclass
class ReviewPlan:
    """What `propose_review` records: per project, the facts, the rules that fired, the recommendation."""

    quarter: str
    as_of: dt.date
    projects: list[dict[str, Any]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    selection: dict[str, Any] | None = None
    selection_problem: dict[str, Any] | None = None
    problem: SelectionProblem | None = None


def _load_projects(conn: Connection, loaded: LoadedPolicy, today: dt.date) -> list[_Project]:
    rows = list(
        conn.execute(select(ProposalRow).where(ProposalRow.state.in_(sorted(REVIEWABLE))).order_by(ProposalRow.id))
    )
    contents = _snapshots(conn, [r.snapshot for r in rows])
    values = _latest_value_records(conn, [r.id for r in rows])
    out = []
    for row in rows:
        proposal = Proposal.model_validate_json(contents[row.snapshot])
        score: Decimal | None = None
        note: str | None = None
        kind, data = values.get(row.id, ("", (0, "{}", "")))
        if kind == "scored":
            score, note = _rescore(conn, loaded, row.id, *data)
        elif kind == "migrated":
            raw = json.loads(data[1]).get("score")
            score = None if raw is None else Decimal(str(raw))
        conditions = open_conditions(conn, row.id)
        overdue = sum(1 for c in conditions if dt.date.fromisoformat(str(c["due"])) < today)
        out.append(_Project(row, proposal, score, note, len(conditions), overdue))
    return out


def plan_review(
    conn: Connection, loaded: LoadedPolicy, quarter: str, today: dt.date, *, solve: bool = True
) -> ReviewPlan:
    """Apply the review rules and the selection to every active and paused project (reads only)."""
    policy = loaded.policy
    depth = max((r.for_quarters for r in policy.review_rules), default=1)
    quarters = [quarter]
    while len(quarters) < depth:
        quarters.append(previous_quarter(quarters[-1]))
    reports = latest_reports(conn, quarters)
    _, quarter_end = quarter_dates(quarter)
    first_period = fiscal_period(quarter_end + dt.timedelta(days=1), policy)
    plan = ReviewPlan(quarter=quarter, as_of=today)
    projects = _load_projects(conn, loaded, today)
    per_project: list[dict[str, Any]] = []
    remaining: dict[str, Proposal] = {}
    for project in projects:
        row = project.row
        current = reports.get((row.id, quarter))
        ahead = _remaining(project.proposal, current, first_period)
        remaining[row.id] = ahead
        fin = financials(ahead, policy.discount_rate)
        base = {
            "score": project.score,
            "ecv": fin.ecv,
            "npv": fin.npv,
            "open_conditions": project.open_conditions,
            "overdue_conditions": project.overdue_conditions,
            "state": row.state,
            "bucket": row.bucket,
        }
        facts_by_quarter = {
            q: _facts(
                reports.get((row.id, q)), quarter_dates(q)[1] + dt.timedelta(days=policy.review.report_due_days), base
            )
            for q in quarters
        }
        findings: list[str] = []
        if project.score_note:
            findings.append(project.score_note)
        now = facts_by_quarter[quarter]
        if now["report_missing"]:
            findings.append(f"no status report for {quarter}")
        elif now["report_late_days"]:
            findings.append(f"status report for {quarter} came {now['report_late_days']} day(s) after its due date")
        fired = []
        for rule in policy.review_rules:
            evidence = []
            held = True
            for q in quarters[: rule.for_quarters]:
                ok, _ = evaluate(rule.when, facts_by_quarter[q])
                evidence.append(f"{explain(rule.when, facts_by_quarter[q])} ({q})")
                if not ok:
                    held = False
                    break
            if held:
                span = f" for {rule.for_quarters} quarters" if rule.for_quarters > 1 else ""
                fired.append(
                    {
                        "rule": rule.id,
                        "outcome": rule.outcome,
                        "reason": f"{rule.reason}{span}",
                        "evidence": evidence,
                    }
                )
        fired.sort(key=lambda f: (_PRECEDENCE[str(f["outcome"])], str(f["rule"])))
        if fired:
            outcome = fired[0]["outcome"]
            reasons = [f"{f['rule']}: {f['reason']}: {'; '.join(f['evidence'])}" for f in fired]
        else:
            outcome = "resume" if row.state == "paused" else "continue"
            reasons = ["no review rule fired"]
        per_project.append(
            {
                "id": row.id,
                "reference": row.reference,
                "title": row.title,
                "bucket": row.bucket,
                "state": row.state,
                "rules_outcome": outcome,
                "recommended": outcome,
                "reasons": reasons,
                "rules_fired": fired,
                "findings": findings,
                "facts": {k: _shown(v) for k, v in sorted(now.items())},
                "funded": None,
            }
        )
    plan.projects = per_project
    missing = sum(1 for p in per_project if p["facts"]["report_missing"])
    late = sum(1 for p in per_project if p["facts"].get("report_late_days"))
    if missing:
        plan.findings.append(f"{missing} project(s) sent no status report for {quarter}")
    if late:
        plan.findings.append(f"{late} project(s) reported late")
    if policy.portfolio is not None:
        plan.problem = _build_problem(conn, loaded, plan, remaining, first_period)
        if solve:
            apply_selection(plan, plan.problem, policy.portfolio.precedence)
    else:
        plan.findings.append("the policy has no portfolio section: no selection was run")
    return plan


def _build_problem(
    conn: Connection, loaded: LoadedPolicy, plan: ReviewPlan, remaining: dict[str, Proposal], first_period: str
) -> SelectionProblem:
    from governance.portfolio import pipeline_candidates, problem_for_policy, project_candidate

    policy = loaded.policy
    assert policy.portfolio is not None
    candidates = []
    for p in plan.projects:
        if p["rules_outcome"] in ("stop", "complete"):
            continue
        force_out = None
        if p["rules_outcome"] == "pause" and policy.portfolio.precedence == "rules":
            force_out = f"review rule {p['rules_fired'][0]['rule']}: pause"
        candidates.append(project_candidate(p, remaining[p["id"]], force_out))
    candidates += pipeline_candidates(conn, policy, first_period, exclude={p["id"] for p in plan.projects})
    return problem_for_policy(policy, candidates, conn)


def apply_selection(plan: ReviewPlan, problem: SelectionProblem, precedence: str) -> None:
    """Solve `problem` into `plan` (its `selection` and `selection_problem`) and set each project's
    `funded`; a continuing project left out is recommended for pause "not funded within budget", and
    a rule's pause gives way to the selection when `precedence` is "selection"."""
    from governance.portfolio import problem_json
    from governance.selection import solve

    result = solve(problem)
    plan.selection_problem = json.loads(canonical_text(problem_json(problem)))
    plan.selection = json.loads(canonical_text(result.model_dump(mode="json")))
    if result.status not in ("optimal", "gap"):
        plan.findings.append(
            f"portfolio selection is {result.status}; the recommendations stand on the review rules alone"
            + (". Conflicting: " + "; ".join(result.conflicts) if result.conflicts else "")
        )
        return
    chosen = set(result.selected)
    left_out = {item.id: item.reasons for item in result.left_out}
    for p in plan.projects:
        if p["rules_outcome"] in ("stop", "complete"):
            continue
        funded = p["id"] in chosen
        p["funded"] = funded
        if p["rules_outcome"] == "pause":
            if funded and precedence == "selection":
                p["recommended"] = "continue" if p["state"] == "active" else "resume"
                p["reasons"] = [
                    *p["reasons"],
                    "the selection funds it and the policy gives the selection precedence over the review rules",
                ]
            continue
        if not funded:
            p["recommended"] = "pause"
            why = "; ".join(left_out.get(p["id"], []))
            p["reasons"] = ["not funded within budget" + (f" ({why})" if why else "")]


def selection_problem(conn: Connection, loaded: LoadedPolicy, quarter: str, today: dt.date) -> SelectionProblem:
    """The selection a review of `quarter` would solve now (for `governance select`: nothing recorded)."""
    plan = plan_review(conn, loaded, quarter, today, solve=False)
    assert plan.problem is not None
    return plan.problem


def current_problem(store: Store, ledger: Ledger) -> SelectionProblem:
    """The selection a review of the quarter that ended last would solve now (`governance select`)."""
    with store.read() as conn:
        loaded = current_policy(conn)
        if loaded.policy.portfolio is None:
            raise ConfigError("the adopted policy has no portfolio section: give --candidates FILE")
        today = today_in(loaded.policy, ledger.clock.now())
        return selection_problem(conn, loaded, last_ended_quarter(today), today)


def _plan_payload(plan: ReviewPlan, loaded: LoadedPolicy) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for p in plan.projects:
        counts[p["recommended"]] = counts.get(p["recommended"], 0) + 1
    selection = plan.selection
    return {
        "quarter": plan.quarter,
        "as_of": plan.as_of,
        "policy": loaded.policy.name,
        "counts": dict(sorted(counts.items())),
        "findings": plan.findings,
        "projects": plan.projects,
        "selection": None
        if selection is None
        else {k: selection.get(k) for k in ("status", "value_measure", "objective", "bound", "gap", "selected")},
    }


@dataclass(frozen=True, slots=True)
class ProposedReview:
    quarter: str
    seq: int
    payload: dict[str, Any]
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
            return ProposedReview(quarter, existing.seq, existing.payload, True, confirmed.seq)
        today = today_in(loaded.policy, ledger.clock.now())
        plan = plan_review(conn, loaded, quarter, today)
        payload = _plan_payload(plan, loaded)
        inputs = {
            "quarter": quarter,
            "policy_version": loaded.version,
            "projects": [{"id": p["id"], "facts": p["facts"], "state": p["state"]} for p in plan.projects],
            "selection_problem": plan.selection_problem,
        }
        inputs_key = sha256_hex(canonical_text(inputs))
        if existing is not None and existing.inputs == inputs_key:
            return ProposedReview(quarter, existing.seq, existing.payload, True, None)
        records = []
        if plan.selection is not None:
            records.append(
                NewRecord(
                    kind="selected",
                    subject=subject,
                    outcome=str(plan.selection["status"]),
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
        return ProposedReview(quarter, written[-1].seq, written[-1].payload, False, None)


def pending_reviews(conn: Connection) -> list[dict[str, Any]]:
    """Quarters whose newest review proposal the board has not confirmed yet (for the agenda)."""
    proposed: dict[str, tuple[int, dict[str, Any]]] = {}
    confirmed: set[str] = set()
    for subject, kind, seq, payload in conn.execute(
        select(LedgerRow.subject, LedgerRow.kind, LedgerRow.seq, LedgerRow.payload)
        .where(LedgerRow.kind.in_(("review-proposed", "review-confirmed")))
        .order_by(LedgerRow.seq)
    ):
        if kind == "review-confirmed":
            confirmed.add(subject)
        else:
            proposed[subject] = (seq, json.loads(payload))
    return [
        {"quarter": data["quarter"], "seq": seq, "counts": data["counts"], "findings": data["findings"]}
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
    return None if confirmed is None else ReviewAnswer.model_validate(confirmed.payload["answer"])


def review_outcomes(proposed: dict[str, Any], answer: ReviewAnswer) -> list[dict[str, Any]]:
    """Each project's confirmed outcome: the recommendation, or the board's override with its rationale."""
    projects = {p["id"]: p for p in proposed["projects"]}
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
        outcome = override.outcome if override else p["recommended"]
        if (p["state"] == "paused" and outcome == "continue") or (p["state"] == "active" and outcome == "resume"):
            raise DecisionRefused(
                f"{pid} is {p['state']}: use {'resume' if p['state'] == 'paused' else 'continue'}, not {outcome}"
            )
        out.append(
            {
                "id": pid,
                "outcome": outcome,
                "recommended": p["recommended"],
                "overridden": override is not None and override.outcome != p["recommended"],
                "reasons": p["reasons"],
                "rationale": override.rationale if override else answer.rationale,
                "state_before": p["state"],
                "state_after": REVIEW_STATE[outcome],
            }
        )
    return out


@dataclass
class ConfirmedReview:
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
    actor: str,
    *,
    chunk_size: int = 200,
) -> ConfirmedReview:
    """The board's one answer as the command line gives it (override lines), checked whole, then recorded.

    The meeting date defaults to today in the policy's time zone. Raises as `confirm_review` does.
    """
    with store.read() as conn:
        policy = current_policy(conn).policy
    try:
        answer = ReviewAnswer(
            quarter=quarter,
            decided_by=decided_by.strip().lower(),
            meeting_date=meeting_date or today_in(policy, ledger.clock.now()),
            rationale=rationale,
            overrides=[parse_override(o) for o in overrides],
        )
    except ValidationError as exc:
        raise invalid(exc, "answer") from None
    return confirm_review(store, ledger, answer, actor, chunk_size=chunk_size)


def confirm_review(
    store: Store,
    ledger: Ledger,
    answer: ReviewAnswer,
    actor: str,
    *,
    chunk_size: int = 200,
    on_chunk: Callable[[int, int], None] | None = None,
) -> ConfirmedReview:
    """Record the board's answer, then each project's outcome (chunked; a re-run finishes the rest).

    Raises:
        NotFoundError: no review was proposed for the quarter.
        DecisionRefused: the answer is not from a board member, or an override is invalid.
        ConflictError: the quarter was already confirmed with a different answer.
    """
    subject = quarter_subject(answer.quarter)
    key = f"review:{answer.quarter}"
    answer_plain = to_plain(answer)
    with store.write() as conn:
        loaded = current_policy(conn)
        proposed = latest_record(conn, subject, "review-proposed")
        if proposed is None:
            raise NotFoundError(
                f"no review proposed for {answer.quarter}: run `governance review --quarter {answer.quarter}`"
            )
        confirmed = latest_record(conn, subject, "review-confirmed")
        if confirmed is not None:
            if confirmed.payload["answer"] != json.loads(canonical_text(answer_plain)):
                raise ConflictError(
                    f"the {answer.quarter} review was already confirmed (record {confirmed.seq}) with another answer; "
                    "nothing was recorded"
                )
            outcomes = confirmed.payload["outcomes"]
        else:
            roster = {m.name for m in loaded.policy.board.members}
            if answer.decided_by not in roster:
                raise DecisionRefused(
                    f"not on the board roster: {answer.decided_by} (members: {', '.join(sorted(roster))})"
                )
            outcomes = review_outcomes(proposed.payload, answer)
            confirmed = ledger.append(
                conn,
                [
                    NewRecord(
                        kind="review-confirmed",
                        subject=subject,
                        outcome=answer.quarter,
                        policy_version=loaded.version,
                        payload={
                            "quarter": answer.quarter,
                            "proposed_seq": proposed.seq,
                            "answer": answer_plain,
                            "outcomes": [
                                {k: o[k] for k in ("id", "outcome", "recommended", "overridden")} for o in outcomes
                            ],
                        },
                        inputs={"answer": answer_plain, "proposed": proposed.payload},
                    )
                ],
                actor,
            )[0]
            conn.execute(insert(DecisionKeyRow).values(key=key, seq=confirmed.seq))
            outcomes = confirmed.payload["outcomes"]
    crash_point("after-confirmation")
    details = {o["id"]: o for o in review_outcomes(proposed.payload, answer)}
    result = ConfirmedReview(answer.quarter, confirmed.seq)
    for start in range(0, len(outcomes), chunk_size):
        chunk = outcomes[start : start + chunk_size]
        with store.write() as conn:
            keys = [f"{key}:{o['id']}" for o in chunk]
            done = set(conn.scalars(select(DecisionKeyRow.key).where(DecisionKeyRow.key.in_(keys))))
            for o in chunk:
                if f"{key}:{o['id']}" in done:
                    result.already += 1
                    continue
                detail = details[o["id"]]
                row = conn.execute(select(ProposalRow.state).where(ProposalRow.id == o["id"])).one()
                check_transition(o["id"], row.state, "reviewed")
                record = ledger.append_for_proposal(
                    conn,
                    NewRecord(
                        kind="reviewed",
                        subject=o["id"],
                        outcome=o["outcome"],
                        policy_version=loaded.version,
                        payload={
                            "quarter": answer.quarter,
                            "outcome": o["outcome"],
                            "recommended": o["recommended"],
                            "overridden": o["overridden"],
                            "reasons": detail["reasons"],
                            "rationale": detail["rationale"],
                            "decided_by": answer.decided_by,
                            "meeting_date": answer.meeting_date,
                            "confirmed_seq": confirmed.seq,
                            "state_after": detail["state_after"],
                        },
                    ),
                    actor,
                    state=detail["state_after"],
                )
                conn.execute(insert(DecisionKeyRow).values(key=f"{key}:{o['id']}", seq=record.seq))
                result.recorded += 1
                result.outcomes[o["outcome"]] = result.outcomes.get(o["outcome"], 0) + 1
        if on_chunk is not None:
            on_chunk(start + len(chunk), len(outcomes))
        if start == 0 and len(outcomes) > chunk_size:
            crash_point("mid-outcomes")
    crash_point("after-outcomes")
    return result
