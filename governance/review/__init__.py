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

Modules, by concern (this package is the public surface):

- `facts`: the projects on file, their newest report, re-scoring, and the facts the rules see
  (`FACT_FIELDS`); the rules are worded by `governance.rules` (`explain`).
- `plan`: the plan (`ReviewPlan`, frozen; each project a `ReviewProject` payload model), the rules
  applied (`plan_review`), the selection applied (`apply_selection`, `selection_problem`,
  `current_problem`). How rules and selection combine is in its docstring.
- `records`: the records, built from their payload models and read back through them
  (`propose_review`, `confirm_review`, `answer_quarter`, `review_outcomes`, `pending_reviews`,
  `stored_answer`, `parse_override`).
"""

from __future__ import annotations

from governance.review.facts import FACT_FIELDS
from governance.review.plan import ReviewPlan, apply_selection, current_problem, plan_review, selection_problem
from governance.review.records import (
    ConfirmedReview,
    ProjectOutcome,
    ProposedReview,
    answer_quarter,
    check_answer,
    confirm_review,
    parse_override,
    parse_review_votes,
    pending_reviews,
    propose_review,
    quarter_subject,
    recorded_selection,
    review_outcomes,
    stored_answer,
)

__all__ = [
    "FACT_FIELDS",
    "ConfirmedReview",
    "ProjectOutcome",
    "ProposedReview",
    "ReviewPlan",
    "answer_quarter",
    "apply_selection",
    "check_answer",
    "confirm_review",
    "current_problem",
    "parse_override",
    "parse_review_votes",
    "pending_reviews",
    "plan_review",
    "propose_review",
    "quarter_subject",
    "recorded_selection",
    "review_outcomes",
    "selection_problem",
    "stored_answer",
]
