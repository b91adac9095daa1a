"""What is due or overdue on a day: the facts `governance agenda --due` shows and the due-check flow emits.

Each kind of fact comes from one provider, a function of a `DueContext` returning `DueItem`s; `PROVIDERS`
lists them in the order they are shown. A new kind of fact (say, post-implementation reviews due some
quarters after completion) is one more provider appended to `PROVIDERS`: the command, its `--json`, the
due-check flow's events (`governance.due.<what>`) and their automations pick it up from there.

Every item has a stable `key`: the same fact on another day has the same key (a decision awaiting the
board is keyed by its recommendation record), so whoever is told of it can drop repeats.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, select

from governance.benefits_review import reviews_due
from governance.calendar import last_ended_quarter, quarter_dates, today_in
from governance.clock import parse_utc
from governance.events import RecordEvent, due_event_id, subject_resource
from governance.lifecycle import REVIEWABLE
from governance.review.records import quarter_subject
from governance.views import Agenda, agenda
from models.policy import Policy
from models.records import parse_payload
from models.tables import LedgerRow, ProposalRow

__all__ = [
    "PROVIDERS",
    "DueContext",
    "DueItem",
    "Provider",
    "awaiting_decisions",
    "benefits_reviews",
    "due_event",
    "due_items",
    "missing_status_reports",
    "overdue_conditions",
    "ready_reviews",
]


@dataclass(frozen=True, slots=True)
class DueItem:
    """One thing due on `DueContext.today`: `what` it is, about which `subject`, due `since` when (`days` ago)."""

    what: str  # decision-awaiting | condition-overdue | status-report-missing | review-ready | ...
    key: str  # stable across days: the same fact, the same key
    subject: str  # a proposal or project id, or a quarter's subject (Q-2026Q4)
    title: str
    since: dt.date  # waiting since (a decision), due on (a condition, a report), ready since (a review)
    days: int  # whole days from `since` to today
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "key": self.key,
            "subject": self.subject,
            "title": self.title,
            "since": self.since.isoformat(),
            "days": self.days,
            "detail": self.detail,
        }


@dataclass
class DueContext:
    """What a provider reads: the database, the organisation's date and the policy in force."""

    conn: Connection
    today: dt.date
    policy: Policy

    @cached_property
    def agenda(self) -> Agenda:
        return agenda(self.conn, self.today)

    @cached_property
    def last_quarter(self) -> str:
        return last_ended_quarter(self.today)

    def recorded_on(self, stored: str) -> dt.date:
        """A record's `recorded_at` as the organisation's date."""
        return today_in(self.policy, parse_utc(stored))


Provider = Callable[[DueContext], list[DueItem]]


def awaiting_decisions(ctx: DueContext) -> list[DueItem]:
    """Proposals awaiting the board at a gate, with the days since their recommendation."""
    rows = ctx.conn.execute(
        select(
            ProposalRow.id, ProposalRow.title, LedgerRow.seq, LedgerRow.recorded_at, LedgerRow.payload, LedgerRow.hash
        )
        .join(LedgerRow, LedgerRow.subject == ProposalRow.id)
        .where(ProposalRow.state == "awaiting-decision", LedgerRow.kind == "recommended")
        .order_by(LedgerRow.seq)
    ).all()
    latest = {pid: (title, seq, at, payload, digest) for pid, title, seq, at, payload, digest in rows}
    out = []
    for pid, (title, seq, at, payload, digest) in sorted(latest.items()):
        rec = parse_payload("recommended", payload)
        since = ctx.recorded_on(at)
        out.append(
            DueItem(
                "decision-awaiting",
                f"decision-awaiting:{pid}:{seq}",
                pid,
                title,
                since,
                (ctx.today - since).days,
                {
                    "gate": rec.gate,
                    "recommendation": rec.recommendation.outcome,
                    "record_seq": seq,
                    "record_hash": digest,
                },
            )
        )
    return out


def overdue_conditions(ctx: DueContext) -> list[DueItem]:
    """Open conditions past their due date (the agenda's, with the days overdue)."""
    titles = {w["id"]: w["title"] for w in ctx.agenda.awaiting_decision}
    out = []
    for c in ctx.agenda.open_conditions:
        if not c["overdue"]:
            continue
        due = dt.date.fromisoformat(c["due"])
        title = titles.get(c["proposal"]) or _title(ctx.conn, c["proposal"])
        detail = {"condition": c["id"], "text": c["text"], "owner": c["owner"]}
        out.append(
            DueItem(
                "condition-overdue",
                f"condition-overdue:{c['id']}",
                c["proposal"],
                title,
                due,
                (ctx.today - due).days,
                detail,
            )
        )
    return out


def _reporting(ctx: DueContext) -> tuple[dict[str, str], dict[str, dt.date]]:
    """The active and paused projects (id -> title), and the day each reported for the last quarter."""
    rows = ctx.conn.execute(select(ProposalRow.id, ProposalRow.title).where(ProposalRow.state.in_(sorted(REVIEWABLE))))
    projects: dict[str, str] = {pid: title for pid, title in rows}
    reported: dict[str, dt.date] = {}
    for subject, at in ctx.conn.execute(
        select(LedgerRow.subject, LedgerRow.recorded_at)
        .where(LedgerRow.kind == "status-reported", LedgerRow.outcome == ctx.last_quarter)
        .order_by(LedgerRow.seq)
    ):
        if subject in projects:
            reported.setdefault(subject, ctx.recorded_on(at))
    return projects, reported


def missing_status_reports(ctx: DueContext) -> list[DueItem]:
    """Active and paused projects with no status report for the last quarter once it is due
    (`review.report_due_days` after the quarter ends; due on that day, missing from the day after)."""
    quarter = ctx.last_quarter
    due = quarter_dates(quarter)[1] + dt.timedelta(days=ctx.policy.review.report_due_days)
    if ctx.today <= due:
        return []
    projects, reported = _reporting(ctx)
    return [
        DueItem(
            "status-report-missing",
            f"status-report-missing:{pid}:{quarter}",
            pid,
            title,
            due,
            (ctx.today - due).days,
            {"quarter": quarter},
        )
        for pid, title in sorted(projects.items())
        if pid not in reported
    ]


def ready_reviews(ctx: DueContext) -> list[DueItem]:
    """The last quarter's review, once every active and paused project has reported and no review is recorded."""
    quarter = ctx.last_quarter
    subject = quarter_subject(quarter)
    recorded = ctx.conn.scalar(
        select(LedgerRow.seq)
        .where(LedgerRow.subject == subject, LedgerRow.kind.in_(("review-proposed", "review-confirmed")))
        .limit(1)
    )
    if recorded is not None:
        return []
    projects, reported = _reporting(ctx)
    if not projects or len(reported) < len(projects):
        return []
    since = max(reported.values())
    detail = {"quarter": quarter, "projects": len(projects)}
    return [DueItem("review-ready", f"review-ready:{quarter}", subject, f"Quarterly review {quarter}", since,
                    (ctx.today - since).days, detail)]  # fmt: skip


def benefits_reviews(ctx: DueContext) -> list[DueItem]:
    """Post-implementation reviews due (governance.benefits_review.reviews_due): a completed project's,
    `post_implementation_review.after_quarters` after its completion, due the report days after that
    quarter ends; listed from the quarter's end, overdue after the due day."""
    out = []
    for due in reviews_due(ctx.conn, ctx.policy, ctx.today):
        since = quarter_dates(due.due_quarter)[1]
        detail = {
            "quarter": due.due_quarter,
            "completed_quarter": due.completed_quarter,
            "due_on": due.due_on.isoformat(),
            "overdue": due.overdue,
        }
        key = f"benefits-review-due:{due.project}:{due.due_quarter}"
        out.append(DueItem("benefits-review-due", key, due.project, due.title, since, (ctx.today - since).days, detail))
    return out


def _title(conn: Connection, pid: str) -> str:
    return conn.scalar(select(ProposalRow.title).where(ProposalRow.id == pid)) or ""


# The kinds of due facts, in the order they are shown. Append a provider here to add a kind.
PROVIDERS: list[Provider] = [
    awaiting_decisions,
    overdue_conditions,
    missing_status_reports,
    ready_reviews,
    benefits_reviews,
]


def due_items(conn: Connection, today: dt.date, policy: Policy, agenda_: Agenda | None = None) -> list[DueItem]:
    """Everything due on `today`, provider by provider (`agenda_`: the agenda already read for `today`)."""
    ctx = DueContext(conn, today, policy)
    if agenda_ is not None:
        ctx.__dict__["agenda"] = agenda_  # the cached_property's value: the agenda already read
    return [item for provider in PROVIDERS for item in provider(ctx)]


def due_event(item: DueItem, today: dt.date) -> RecordEvent:
    """The event of a due fact: `governance.due.<what>` about its subject, keyed by its stable key
    (`governance.due.key` on the resource: an automation's `for_each` can keep one firing per fact)."""
    resource = subject_resource(item.subject) | {"governance.due.key": item.key}
    return RecordEvent(
        id=due_event_id(item.key, today),
        event=f"governance.due.{item.what}",
        resource=resource,
        payload=item.as_dict() | {"as_of": today.isoformat()},
        related=[],
    )
