"""Counterfactual replay: what the automatic steps of the past would have said under a draft policy.

Every automatic step is re-derived from its stored input snapshot, as `governance.replay` does, but
under the draft instead of the policy version the record names; nothing is recorded. Kinds:

    screening        screened / screened-out: the draft's must-meet screening of the filed content
    scores           scored: the score card from the same assessments under the draft's weights
    recommendations  recommended: the gate rule on the draft's card, with the draft's thresholds
    reviews          review-proposed: the draft's review rules on the facts the review recorded
    selections       selected: the review's selection under the draft's budget, buckets and rules

Board decisions are not re-made: a `decided` or `reviewed` record whose outcome matched the
recommendation as recorded but not the draft's (or the other way round) is marked (kind `board`).
A change is named in words: the rule, weight or threshold that makes the difference.

Where a multi-quarter review rule looks at an earlier quarter, that quarter's facts are the status
report on file at the time of the review (as `plan_review` read them), with the quarter's base facts
(score, value, conditions) of the review itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator, Iterator, Sequence
from itertools import islice

from sqlalchemy import Connection

from governance.counterfactual.result import KINDS, RECORD_KINDS, Counterfactual, Difference
from governance.counterfactual.reviews import ReviewWalk
from governance.errors import NotFoundError
from governance.ledger import iter_records
from governance.policy import LoadedPolicy
from governance.store import Store
from models.records import LedgerRecord, RecordPayloadError

__all__ = ["KINDS", "Counterfactual", "Difference", "counterfactual_replay", "record_batches"]

_WALKED = (
    "screened",
    "screened-out",
    "scored",
    "recommended",
    "decided",
    "status-reported",
    "selected",
    "review-proposed",
    "reviewed",
)


def counterfactual_replay(
    store: Store, draft: LoadedPolicy, *, since: dt.date | None = None, kinds: Sequence[str] = KINDS
) -> Counterfactual:
    """Re-derive the automatic steps of the past under `draft` and list what would differ (reads only).

    Args:
        store: the governance database.
        draft: the draft policy (`load_policy(path)`: its errors are `policy check`'s).
        since: only records made on or after this day (UTC) are listed; earlier ones still feed later ones.
        kinds: which of `KINDS` to list; board decisions are marked with the recommendations and reviews.
    """
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise NotFoundError(f"unknown kind(s) {', '.join(unknown)}: choose from {', '.join(KINDS)}")
    with store.read() as conn:
        walk = ReviewWalk(conn, draft, [k for k in KINDS if k in kinds], since)
        pending: LedgerRecord | None = None  # a review's `selected` record, written just before it
        for batch in record_batches(conn):
            walk.ctx.prefetch(r.inputs for r in batch if r.inputs is not None and r.kind in _PREFETCHED)
            for record in batch:
                kind = record.kind
                try:
                    _step(walk, record, kind, pending)
                except (NotFoundError, RecordPayloadError) as error:
                    walk.refused(record, RECORD_KINDS.get(kind, kind), record.outcome or "", error)
                pending = record if kind == "selected" else None
            walk.ctx.forget()
        return walk.result


_PREFETCHED = ("screened", "screened-out", "scored", "recommended")


def record_batches(conn: Connection, batch: int = 2000) -> Iterator[list[LedgerRecord]]:
    """The records a counterfactual walks, in ledger order, a batch at a time (each batch read whole before
    its records are walked: walking reads snapshots on the same connection)."""
    start = 1
    while True:
        records = iter_records(conn, since_seq=start, batch=batch)
        chunk = list(islice(records, batch))
        if isinstance(records, Generator):
            records.close()  # ends the query: the next batch starts a new one
        if not chunk:
            return
        yield [r for r in chunk if r.kind in _WALKED]
        start = chunk[-1].seq + 1


def _step(walk: ReviewWalk, record: LedgerRecord, kind: str, pending: LedgerRecord | None) -> None:
    if kind in ("screened", "screened-out"):
        if walk.listed(record):
            walk.screened(record)
    elif kind == "scored":
        walk.scored(record)
    elif kind == "recommended":
        walk.recommended_(record)
    elif kind == "decided":
        walk.decided(record)
    elif kind == "status-reported":
        walk.status_reported(record)
    elif kind == "review-proposed":
        walk.review_proposed(record, pending)
    elif kind == "reviewed":
        walk.reviewed_(record)
