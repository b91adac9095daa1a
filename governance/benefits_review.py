"""Post-implementation reviews: the last gate, `after_quarters` after a project completes.

The project's benefits owner reports what its benefits came to (models.benefits.BenefitsReview, a YAML or
JSON file per project). Each is recorded as a `benefits-reviewed` record about the project with the file's
canonical content as its inputs snapshot and the comparison with the baseline (governance.benefits) in its
payload; the outcome (`realised`, `partly-realised`, `not-realised`, or `not-due` while nothing was
promised yet) follows the policy's `post_implementation_review` thresholds. Filing the same file again
records nothing; a changed file for the same project and quarter is recorded as a new version.

Who may record one: the `review-benefits` action (default: the board and the portfolio office).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from governance.adoption import current_policy
from governance.authority import Actor, authorise
from governance.benefits import promised_to, quarter_end, quarters_after, realisation
from governance.calendar import last_ended_quarter, today_in
from governance.canonical import canonical_text, sha256_hex
from governance.errors import InputRefused, Problem
from governance.ledger import Canonical, Ledger, NewRecord
from governance.reports import projects_of
from governance.sources import Source, expand_paths, read_records, validated
from governance.store import Store
from models.benefits import BenefitsReview
from models.policy import Policy, PostImplementationReview
from models.records import BenefitsReviewedPayload, SourceRef, parse_payload
from models.tables import LedgerRow

__all__ = [
    "DueReview",
    "FiledReview",
    "file_benefits_reviews",
    "outcome_of",
    "read_benefits_reviews",
    "reviews_due",
    "rules_of",
]

_DEFAULT = PostImplementationReview()


@dataclass(frozen=True, slots=True)
class ReadReview:
    file: str
    label: str
    review: BenefitsReview
    content_hash: str
    content: str


@dataclass(frozen=True, slots=True)
class FiledReview:
    project_id: str
    quarter: str
    action: str  # reviewed | revised | unchanged
    outcome: str
    ratio: Decimal | None
    seq: int | None


@dataclass(frozen=True, slots=True)
class DueReview:
    """A completed project whose post-implementation review is due (or overdue) and not yet recorded."""

    project: str
    title: str
    completed_quarter: str
    due_quarter: str  # the review looks back on this quarter
    due_on: dt.date  # the day after that quarter ends plus the policy's report days
    overdue: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "title": self.title,
            "completed_quarter": self.completed_quarter,
            "due_quarter": self.due_quarter,
            "due_on": self.due_on.isoformat(),
            "overdue": self.overdue,
        }


def rules_of(policy: Policy) -> PostImplementationReview:
    """The policy's post-implementation review rules (the defaults when it has none)."""
    return policy.post_implementation_review or _DEFAULT


def read_benefits_reviews(paths: Sequence[Source]) -> list[ReadReview]:
    """Read and validate review files; refuse them all on any problem (nothing is recorded)."""
    files, problems = expand_paths(paths)
    out: list[ReadReview] = []
    seen: dict[str, str] = {}
    for path in files:
        records, read_problems = read_records(path, csv_reader=_no_csv)
        problems.extend(read_problems)
        for record, review in validated(records, BenefitsReview, problems):
            if review is None:
                continue
            if review.project in seen:
                problems.append(
                    Problem(
                        record.file,
                        record.label,
                        "project",
                        "duplicate-in-batch",
                        f"{review.project} is already reviewed in {seen[review.project]}",
                    )
                )
                continue
            seen[review.project] = f"{record.file} {record.label}"
            content = canonical_text(review)
            out.append(ReadReview(record.file, record.label, review, sha256_hex(content), content))
    if not files and not problems:
        problems.append(Problem("", "", "", "file-not-found", "no post-implementation reviews given"))
    if problems:
        raise InputRefused(problems)
    return out


def _no_csv(name: str, text: str) -> tuple[list[Any], list[Problem]]:
    del text
    return [], [Problem(name, "", "", "unsupported-format", "a post-implementation review is a YAML or JSON file")]


def outcome_of(ratio: Decimal | None, rules: PostImplementationReview) -> str:
    """The review's outcome from realised over promised to date."""
    if ratio is None:
        return "not-due"
    if ratio >= rules.realised_at:
        return "realised"
    return "partly-realised" if ratio >= rules.partly_at else "not-realised"


def _latest(conn: Connection, pid: str, quarter: str) -> tuple[int, BenefitsReviewedPayload] | None:
    row = conn.execute(
        select(LedgerRow.seq, LedgerRow.payload)
        .where(LedgerRow.subject == pid, LedgerRow.kind == "benefits-reviewed")
        .order_by(LedgerRow.seq.desc())
    ).all()
    for seq, payload in row:
        body = parse_payload("benefits-reviewed", payload)
        if isinstance(body, BenefitsReviewedPayload) and body.quarter == quarter:
            return seq, body
    return None


def file_benefits_reviews(
    store: Store, ledger: Ledger, reviews: Sequence[ReadReview], actor: Actor, *, dry_run: bool = False
) -> list[FiledReview]:
    """Record the reviews in one transaction; the whole batch is refused if one cannot be recorded."""
    with store.write() as conn:
        loaded = current_policy(conn)
        acting = authorise(loaded.policy, actor, "review-benefits")
        rules = rules_of(loaded.policy)
        targets = [
            (item, str(row.id))
            for item, row in projects_of(
                conn,
                reviews,
                lambda item: item.review.project,
                ("completed",),
                lambda row: (
                    f"{row.id} is {row.state}: a post-implementation review is of a completed project "
                    "(an active project reports realised benefits in its status report)"
                ),
            )
        ]
        problems: list[Problem] = []
        today = today_in(loaded.policy, ledger.clock.now())
        found = {b.project: b for b in realisation(conn, loaded.policy, today, [t[1] for t in targets])}
        for item, pid in targets:
            benefits = found.get(pid)
            if benefits is None or benefits.completed_quarter is None:
                problems.append(
                    Problem(item.file, item.label, "project", "inconsistent", f"{pid} has no go or completion on file")
                )
            elif item.review.quarter < benefits.completed_quarter:
                problems.append(
                    Problem(
                        item.file,
                        item.label,
                        "quarter",
                        "wrong-quarter",
                        f"{pid} completed in {benefits.completed_quarter}; "
                        f"the review of {item.review.quarter} is before it",
                    )
                )
        if problems:
            raise InputRefused(problems)
        out: list[FiledReview] = []
        for item, pid in targets:
            benefits = found[pid]
            assert benefits.completed_quarter is not None  # checked above
            day = quarter_end(item.review.quarter)
            promised = promised_to(benefits.promised, day, loaded.policy)
            realised = sum(item.review.benefits_realised.values(), Decimal(0)).quantize(Decimal("0.01"))
            ratio = (realised / promised).quantize(Decimal("0.001")) if promised else None
            outcome = outcome_of(ratio, rules)
            previous = _latest(conn, pid, item.review.quarter)
            if previous is not None and previous[1].content_hash == item.content_hash:
                out.append(FiledReview(pid, item.review.quarter, "unchanged", previous[1].outcome, ratio, previous[0]))
                continue
            version = 1 if previous is None else previous[1].version + 1
            if dry_run:
                out.append(FiledReview(pid, item.review.quarter, "would record", outcome, ratio, None))
                continue
            record = ledger.append_for_proposal(
                conn,
                NewRecord(
                    kind="benefits-reviewed",
                    subject=pid,
                    outcome=outcome,
                    policy_version=loaded.version,
                    payload=BenefitsReviewedPayload(
                        quarter=item.review.quarter,
                        reviewed_on=item.review.reviewed_on,
                        owner=item.review.owner,
                        content_hash=item.content_hash,
                        version=version,
                        baseline_seq=benefits.baseline_seq,
                        baseline_gate=benefits.baseline_gate,
                        promised_total=benefits.promised_total,
                        promised_to_date=promised,
                        realised_to_date=realised,
                        still_expected=sum(item.review.benefits_forecast.values(), Decimal(0)),
                        ratio=ratio,
                        outcome=outcome,
                        completed_quarter=benefits.completed_quarter,
                        source=SourceRef(file=Path(item.file).name, record=item.label),
                    ),
                    inputs=Canonical(item.content),
                ),
                acting.recorded_by,
            )
            action = "reviewed" if version == 1 else "revised"
            out.append(FiledReview(pid, item.review.quarter, action, outcome, ratio, record.seq))
        return out


def reviews_due(conn: Connection, policy: Policy, today: dt.date) -> list[DueReview]:
    """Completed projects whose post-implementation review is due by `today` and not recorded: the review
    looks back on the quarter `after_quarters` after the completion's, and is due the policy's
    `review.report_due_days` after that quarter ends (overdue after that day)."""
    rules = rules_of(policy)
    last = last_ended_quarter(today)
    out: list[DueReview] = []
    for item in realisation(conn, policy, today):
        if item.completed_quarter is None or item.state != "completed" or item.review_seq is not None:
            continue
        due_quarter = quarters_after(item.completed_quarter, rules.after_quarters)
        if due_quarter > last:
            continue
        due_on = quarter_end(due_quarter) + dt.timedelta(days=policy.review.report_due_days)
        out.append(DueReview(item.project, item.title, item.completed_quarter, due_quarter, due_on, today > due_on))
    return out
