"""The walk's review steps: the draft's review rules on the recorded facts, its selection, the board's answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from governance.calendar import previous_quarter, quarter_dates
from governance.counterfactual.result import Difference, number
from governance.counterfactual.walk import Walk
from governance.errors import GovernanceError
from governance.ledger import get_snapshot
from governance.money import money
from governance.review.plan import rules_outcome
from governance.wording import reason_in_words
from models.records import LedgerRecord, ReviewedPayload, ReviewProposedPayload, SelectedPayload
from models.status_report import StatusReport

__all__ = ["ReviewWalk"]


class ReviewWalk(Walk):
    """The walk with the review steps: status reports noted, reviews and their selections re-derived."""

    def status_reported(self, record: LedgerRecord) -> None:
        if record.inputs is not None and record.outcome is not None:
            self.reports[(record.subject, record.outcome)] = record.inputs

    def _facts(self, project: Any, quarter: str, depth: int) -> tuple[list[str], dict[str, dict[str, Any]]]:
        from governance.review.facts import quarter_facts

        current = project.facts.model_dump()
        base = {
            k: current[k] for k in ("score", "ecv", "npv", "open_conditions", "overdue_conditions", "state", "bucket")
        }
        quarters, by_quarter = [quarter], {quarter: current}
        while len(quarters) < depth:
            q = previous_quarter(quarters[-1])
            key = self.reports.get((project.id, q))
            report = None if key is None else StatusReport.model_validate(get_snapshot(self.ctx.conn, key))
            due = quarter_dates(q)[1] + dt.timedelta(days=self.policy.review.report_due_days)
            by_quarter[q] = quarter_facts(report, due, base)
            quarters.append(q)
        return quarters, by_quarter

    def review_proposed(self, record: LedgerRecord, selected: LedgerRecord | None) -> None:
        from governance.review.plan import ReviewPlan, apply_selection

        body = record.body_as(ReviewProposedPayload)
        depth = max((r.for_quarters for r in self.policy.review_rules), default=1)
        projects = []
        for p in body.projects:
            quarters, by_quarter = self._facts(p, body.quarter, depth)
            outcome, reasons, fired = rules_outcome(self.policy, p.state, quarters, by_quarter)
            projects.append(
                p.model_copy(
                    update={
                        "rules_outcome": outcome,
                        "recommended": outcome,
                        "reasons": reasons,
                        "rules_fired": fired,
                        "funded": None,
                    }
                )
            )
        plan = ReviewPlan(quarter=body.quarter, as_of=dt.date.fromisoformat(str(body.as_of)), projects=tuple(projects))
        portfolio = self.policy.portfolio
        refused = False
        if selected is not None and selected.inputs is not None and portfolio is not None:
            try:
                plan = apply_selection(plan, self._draft_problem(selected, plan), portfolio.precedence)
            except GovernanceError as error:
                refused = True
                if self.listed(selected):
                    self.refused(selected, "selection", selected.outcome or "", error)
        if selected is not None and self.listed(selected):
            self.count("selections")
            if not refused:
                self._selection(selected, plan.selection)
        for old, new in zip(body.projects, plan.projects, strict=True):
            self.reviewed[(body.quarter, old.id)] = (old.recommended, new.recommended)
        if not self.listed(record):
            return
        for old, new in zip(body.projects, plan.projects, strict=True):
            self.count("reviews")
            if old.recommended == new.recommended:
                continue
            why = self._why_review(old, new)
            self.add(
                Difference(
                    record.seq,
                    "review",
                    old.id,
                    old.recommended,
                    new.recommended,
                    f"{old.recommended}->{new.recommended}",
                    why,
                )
            )

    def _why_review(self, old: Any, new: Any) -> str:
        """Which review rules now fire or no longer do, and what the draft's selection changes."""
        before = {f.rule: f for f in old.rules_fired}
        after = {f.rule: f for f in new.rules_fired}
        drafted = {r.id for r in self.policy.review_rules}
        why = [
            f"review rule {r} now fires: {'; '.join(after[r].evidence)}" for r in sorted(after.keys() - before.keys())
        ]
        why += [
            f"review rule {r} no longer fires" + ("" if r in drafted else " (not in the draft)")
            for r in sorted(before.keys() - after.keys())
        ]
        if new.recommended != new.rules_outcome and old.recommended == old.rules_outcome:
            why.append(new.reasons[-1])  # the selection's word: not funded, or funded over a rule's pause
        elif old.recommended != old.rules_outcome and new.recommended == new.rules_outcome:
            if self.policy.portfolio is None:
                why.append("the draft has no portfolio section: no selection overrides the review rules")
            else:
                why.append(
                    "the draft's selection funds it" if new.funded else "the draft's selection follows the rules"
                )
        return reason_in_words("; ".join(why or new.reasons), self.policy.currency)

    def _draft_problem(self, selected: LedgerRecord, plan: Any) -> Any:
        """The review's selection problem under the draft: the recorded candidates, a project the draft's
        rules stop or complete left out, one they pause forced out (precedence `rules`)."""
        from governance.candidates import build_problem
        from governance.selection import problem_from_snapshot
        from models.selection import BucketBounds

        portfolio = self.policy.portfolio
        assert portfolio is not None and selected.inputs is not None
        recorded = problem_from_snapshot(get_snapshot(self.ctx.conn, selected.inputs))
        outcomes = {p.id: p for p in plan.projects}
        candidates = []
        for c in recorded.candidates:
            project = outcomes.get(c.id)
            if project is not None:
                if project.rules_outcome in ("stop", "complete"):
                    continue
                if project.rules_outcome == "pause" and portfolio.precedence == "rules":
                    c = c.model_copy(
                        update={"force": "out", "force_reason": f"review rule {project.rules_fired[0].rule}: pause"}
                    )
                elif c.force == "out" and (c.force_reason or "").startswith("review rule "):
                    c = c.model_copy(update={"force": None, "force_reason": None})
            candidates.append(c)
        bounds = [BucketBounds(bucket=b.id, min_share=b.min_share, max_share=b.max_share) for b in self.policy.buckets]
        return build_problem(portfolio, bounds, candidates, currency=self.policy.currency, source="portfolio")

    def _portfolio_changes(self, record: LedgerRecord) -> list[str]:
        """The draft's budget, bucket bounds and value measure where they differ from the recorded problem's."""
        from governance.selection import problem_from_snapshot

        portfolio = self.policy.portfolio
        if portfolio is None or record.inputs is None:
            return []
        recorded = problem_from_snapshot(get_snapshot(self.ctx.conn, record.inputs))
        currency = self.policy.currency
        changes = [
            f"budget {period} {money(portfolio.budget.get(period, 0), currency)} under the draft "
            f"(was {money(recorded.budget.get(period, 0), currency)})"
            for period in sorted(set(portfolio.budget) | set(recorded.budget))
            if portfolio.budget.get(period) != recorded.budget.get(period)
        ]
        bounds = {b.id: (b.min_share, b.max_share) for b in self.policy.buckets}
        changes += [
            f"bucket {bucket} shares {'-'.join(map(number, bounds[bucket]))} under the draft "
            f"(was {'-'.join(map(number, recorded.buckets[bucket]))})"
            for bucket in sorted(set(bounds) & set(recorded.buckets))
            if bounds[bucket] != recorded.buckets[bucket]
        ]
        if portfolio.value_measure != recorded.value_measure:
            changes.append(f"value measure {portfolio.value_measure} (was {recorded.value_measure})")
        return changes

    def _selection(self, record: LedgerRecord, draft: SelectedPayload | None) -> None:
        """The review's selection as recorded against the draft's: which status, which candidates."""
        body = record.body_as(SelectedPayload)
        solved = ("optimal", "gap")
        was = f"{len(body.selected)} selected" if body.status in solved else body.status
        if draft is None:
            would_be, why = "none", "the draft has no portfolio section: no selection would run"
        elif draft.status not in solved:
            if body.status == draft.status:
                return
            would_be = draft.status
            why = "; ".join([*self._portfolio_changes(record), f"the selection would be {draft.status}"])
        elif body.status in solved and sorted(draft.selected) == sorted(body.selected):
            return
        else:
            added, dropped = (
                sorted(set(draft.selected) - set(body.selected)),
                sorted(set(body.selected) - set(draft.selected)),
            )
            would_be = f"{len(draft.selected)} selected"
            why = "; ".join(
                [
                    *self._portfolio_changes(record),
                    *(["would select " + ", ".join(added)] if added else []),
                    *(["would leave out " + ", ".join(dropped)] if dropped else []),
                ]
            )
        self.add(Difference(record.seq, "selection", record.subject, was, would_be, "selection", why))

    def reviewed_(self, record: LedgerRecord) -> None:
        body = record.body_as(ReviewedPayload)
        known = self.reviewed.get((body.quarter, record.subject))
        if known is None or known[1] is None or not self.listed(record):
            return
        self.board(record, body.outcome, known[0], known[1], f"the {body.quarter} review")
