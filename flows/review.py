"""The quarterly review flow: ingest, re-score, apply the review rules, re-select, then the board.

Thin orchestration over `governance.reports` and `governance.review`: every step is idempotent,
so a re-run of the same quarter (after a crash, or a resumed deployment run, which starts again
from the top) records nothing twice. As a deployment on a Prefect server the run suspends (no
process kept) until the board answers with a `ReviewConfirmation`; on the embedded server it stops
at "awaiting confirmation" and `governance decide --quarter Q` records the answer. With `answer`
given, the flow records it at once (tests, benchmarks, scripted runs).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from prefect.runtime import deployment as deployment_runtime
from pydantic import ValidationError

from flows.intake import Opaque
from flows.runtime import check_settings, open_engine
from governance import inputs, review
from governance.adoption import current_policy
from governance.authority import Actor
from governance.calendar import last_ended_quarter, today_in
from governance.crashpoints import crash_point
from governance.errors import DecisionRefused, Forbidden, IdentityError, InputRefused, Problem
from governance.reports import ReadReport, file_status_reports, read_status_reports
from models.decision import ReviewAnswer
from models.records import ReviewProposedPayload

__all__ = ["ReviewConfirmation", "ReviewResult", "quarterly_review_flow", "to_answer"]

MAX_ANSWERS = 20


class ReviewConfirmation(RunInput):
    """The board's answer to the whole review, as the chair enters it in the Prefect UI form."""

    decided_by: str
    meeting_date: dt.date
    rationale: str
    overrides: str = ""  # one per line: "P-2026-0007 = stop: the market moved"
    votes: str = ""  # one per line: "ana=accept" (the quorum and voting rule apply as at a gate)


def to_answer(quarter: str, given: ReviewConfirmation) -> ReviewAnswer:
    """The UI answer as the same `ReviewAnswer` the CLI builds (same parser, same checks)."""
    return ReviewAnswer(
        quarter=quarter,
        decided_by=given.decided_by.strip().lower(),
        meeting_date=given.meeting_date,
        rationale=given.rationale,
        overrides=[review.parse_override(line) for line in given.overrides.splitlines() if line.strip()],
        votes=review.parse_review_votes([line for line in given.votes.splitlines() if line.strip()]),
    )


@dataclass
class ReviewResult:
    quarter: str
    state: str  # refused-input | awaiting-confirmation | confirmed | refused
    proposed_seq: int | None = None
    confirmed_seq: int | None = None
    reports: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    projects: list[dict[str, Any]] = field(default_factory=list)
    selection: dict[str, Any] | None = None
    recorded: int = 0
    already: int = 0
    problems: list[Problem] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)


@task(name="check-reports", cache_policy=NO_CACHE, persist_result=False)
def check_reports_task(
    sources: list[str], quarter: str, database_url: str | None, actor: str
) -> Opaque[list[ReadReport]] | list[Problem]:
    store, ledger = open_engine(database_url)
    try:
        reports = read_status_reports(inputs.resolve(store, sources), quarter)
        file_status_reports(store, ledger, reports, actor, dry_run=True)
        return Opaque(reports)
    except InputRefused as refused:
        return list(refused.problems)
    finally:
        store.dispose()


@task(name="file-reports", cache_policy=NO_CACHE, persist_result=False)
def file_reports_task(reports: Opaque[list[ReadReport]], database_url: str | None, actor: str) -> dict[str, int]:
    store, ledger = open_engine(database_url)
    try:
        counts: dict[str, int] = {}
        for filed in file_status_reports(store, ledger, reports.value, actor):
            counts[filed.action] = counts.get(filed.action, 0) + 1
        return counts
    finally:
        store.dispose()


@task(name="propose-review", cache_policy=NO_CACHE, persist_result=False)
def propose_task(quarter: str, database_url: str | None, actor: str) -> review.ProposedReview:
    store, ledger = open_engine(database_url)
    try:
        return review.propose_review(store, ledger, quarter, actor)
    finally:
        store.dispose()


@task(name="confirm-review", cache_policy=NO_CACHE, persist_result=False)
def confirm_task(
    answer: ReviewAnswer, database_url: str | None, actor: str, chunk_size: int
) -> review.ConfirmedReview | str:
    """The recorded result, or why the answer was refused (nothing written)."""
    store, ledger = open_engine(database_url)
    try:
        # The form proves what was entered, not who (see flows.gates.decide_task).
        by = Actor.of(answer.decided_by, via="prefect-form")
        return review.confirm_review(store, ledger, answer, by, chunk_size=chunk_size)
    except (DecisionRefused, Forbidden, IdentityError) as refused:
        return refused.message
    finally:
        store.dispose()


@task(name="stored-answer", cache_policy=NO_CACHE, persist_result=False)
def stored_answer_task(quarter: str, database_url: str | None) -> ReviewAnswer | None:
    store, _ = open_engine(database_url)
    try:
        with store.read() as conn:
            return review.stored_answer(conn, quarter)
    finally:
        store.dispose()


def default_quarter(database_url: str | None) -> str:
    """The quarter that ended last (a run on 2027-01-01 reviews 2026Q4)."""
    store, ledger = open_engine(database_url)
    try:
        with store.read() as conn:
            today = today_in(current_policy(conn).policy, ledger.clock.now())
        return last_ended_quarter(today)
    finally:
        store.dispose()


def _publish(quarter: str, proposal: ReviewProposedPayload) -> None:
    rows = [
        {
            "project": p.id,
            "title": p.title,
            "state": p.state,
            "recommended": p.recommended,
            "funded": "" if p.funded is None else ("yes" if p.funded else "no"),
            "reasons": "; ".join(p.reasons)[:500],
        }
        for p in proposal.projects
    ]
    if rows:
        create_table_artifact(key=f"review-{quarter.lower()}", table=rows, description=f"Quarterly review {quarter}")
    lines = [f"# Quarterly review {quarter}", ""]
    lines += [f"- {outcome}: {n}" for outcome, n in sorted(proposal.counts.items())]
    lines += ["", *(f"- {f}" for f in proposal.findings)]
    if proposal.selection is not None:
        s = proposal.selection
        lines += ["", f"Selection: {s.status}, {s.value_measure} {s.objective} (gap {s.gap})"]
    create_markdown_artifact(key=f"review-{quarter.lower()}-summary", markdown="\n".join(lines))


def _describe(proposed: review.ProposedReview) -> str:
    p = proposed.payload
    lines = [
        f"## Quarterly review {proposed.quarter}: {len(p.projects)} projects",
        *(f"- **{o}**: {n}" for o, n in p.counts.items()),
        *(f"- {f}" for f in p.findings),
        "",
        "Accept every recommendation, except the overrides: one per line as `P-2026-0007 = stop: why`.",
        "",
        "| project | recommended | reasons |",
        "|---|---|---|",
    ]
    lines += [
        f"| {x.id} {x.title} | {x.recommended} | {'; '.join(x.reasons)[:300]} |"
        for x in p.projects
        if x.recommended != "continue"
    ]
    return "\n".join(lines)


@flow(name="quarterly-review", persist_result=False)
def quarterly_review_flow(
    quarter: str | None = None,
    reports: list[str] | None = None,
    actor: str = "scheduler",
    database_url: str | None = None,
    answer: ReviewAnswer | None = None,
    chunk_size: int = 200,
) -> ReviewResult:
    """Review every active and paused project for `quarter` (default: the quarter that ended last).

    `reports`: the quarter's status reports, as input references (`input:<sha256>`, files `governance
    review --reports` stored in the database) or paths on the host that runs the flow; none when they
    were filed before the run.
    """
    check_settings(database_url, deployment_runtime.get_id() is not None)
    quarter = quarter or default_quarter(database_url)
    result = ReviewResult(quarter=quarter, state="awaiting-confirmation")
    if reports:
        checked = check_reports_task(reports, quarter, database_url, actor)
        if not isinstance(checked, Opaque):
            result.state, result.problems = "refused-input", checked
            return result
        items = checked.value
        for start in range(0, len(items), chunk_size):
            counts = file_reports_task(Opaque(items[start : start + chunk_size]), database_url, actor)
            for action, n in counts.items():
                result.reports[action] = result.reports.get(action, 0) + n
    crash_point("after-ingest")
    proposed = propose_task(quarter, database_url, actor)
    crash_point("after-proposal")
    proposal = proposed.payload
    result.proposed_seq = proposed.seq
    # The result is JSON data for the command line (its table and `--json`), as the payload's JSON holds it.
    result.counts = {outcome: n for outcome, n in proposal.counts.items()}
    result.findings = list(proposal.findings)
    result.projects = [p.model_dump() for p in proposal.projects]
    result.selection = None if proposal.selection is None else proposal.selection.model_dump()
    if not proposed.reused:
        _publish(quarter, proposal)
    if proposed.confirmed_seq is not None:
        answer = stored_answer_task(quarter, database_url)  # finish a confirmed review a crash cut short
    if answer is not None:
        outcome = confirm_task(answer, database_url, actor, chunk_size)
        if isinstance(outcome, str):
            result.state, result.refusals = "refused", [outcome]
            return result
        return _confirmed(result, outcome)
    if deployment_runtime.get_id() is None:
        return result  # embedded / ad-hoc: `governance decide --quarter` records the board's answer
    base = _describe(proposed)
    description = base
    for attempt in range(1, MAX_ANSWERS + 1):
        given = suspend_flow_run(
            wait_for_input=ReviewConfirmation.with_initial_data(description=description),
            key=f"review-{quarter.lower()}-a{attempt}",
        )
        try:
            outcome = confirm_task(to_answer(quarter, given), database_url, actor, chunk_size)
        except (DecisionRefused, ValidationError) as invalid:
            outcome = invalid.message if isinstance(invalid, DecisionRefused) else str(invalid)
        if not isinstance(outcome, str):
            return _confirmed(result, outcome)
        result.refusals.append(outcome)
        description = f"**The previous answer was refused:** {outcome}\n\n{base}"
    result.state = "refused"
    return result


def _confirmed(result: ReviewResult, outcome: review.ConfirmedReview) -> ReviewResult:
    result.state = "confirmed"
    result.confirmed_seq = outcome.confirmed_seq
    result.recorded, result.already = outcome.recorded, outcome.already
    return result
