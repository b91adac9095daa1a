"""A spread intake's parts: a submission's files read, validated and screened in other processes.

`prepare_part` reads, validates and screens some of a submission's files (on any worker) and stores the
part: one snapshot of `Prepared` items, plus the proposals' contents, the snapshots their records will
name. `load_parts` checks the parts as one submission, as `check_submission` checks one read here, and
gives the `Prepared` items that `governance.intake.file_proposals` files in order: the same ledger as when
one process does everything.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from governance.adoption import current_policy
from governance.canonical import canonical_text, sha256_hex
from governance.dependencies import on_file_dependencies
from governance.errors import NotFoundError, Problem, StoreError
from governance.intake import (
    Candidate,
    Prepared,
    _read_candidates,
    _screening_payload,
    _whole,
    known_references,
    policy_changed,
    screen,
)
from governance.ledger import get_snapshot, put_snapshots
from governance.policy import LoadedPolicy
from governance.sources import Source
from governance.store import Store

__all__ = ["PART_FORMAT", "load_parts", "prepare_part"]

PART_FORMAT = "intake-part/1"


def prepare_part(store: Store, paths: Sequence[Source], problems: Sequence[Problem] = ()) -> str:
    """Read, validate and screen one part of a spread submission; store it; the key of its snapshot.

    The part's proposals' contents are stored as the snapshots their records will name; the part itself
    is one snapshot: `{"format", "policy_version", "files", "problems", "prepared"}`. A part with problems
    is stored too, without its contents (nothing is filed from it): the run that files lists every part's
    problems and the whole submission's at once, as `check_submission` lists them.
    `problems`: found before reading (an input that could not be resolved).
    """
    store.require_schema()
    with store.read() as conn:
        loaded = current_policy(conn)
    files, candidates, found = _read_candidates(paths, loaded.policy) if not problems else ([], [], [])
    found = [*problems, *found]
    prepared = [_prepare(c, loaded) for c in candidates]  # with problems too: the whole submission's checks
    part = {
        "format": PART_FORMAT,
        "policy_version": loaded.version,
        "files": len(files),
        "problems": [[p.file, p.record, p.field, p.code, p.message] for p in found],
        "prepared": [p.to_json() for p in prepared],
    }
    text = canonical_text(part)
    key = sha256_hex(text)
    with store.write() as conn:
        put_snapshots(conn, {c.content_hash: c.content for c in candidates} if not found else {})
        put_snapshots(conn, {key: text})
    return key


def _prepare(c: Candidate, loaded: LoadedPolicy) -> Prepared:
    p = c.proposal
    result = screen(p, loaded.policy, json.loads(c.content))
    payload = _screening_payload(c.content_hash, result)
    return Prepared(c.file, c.label, p.reference, p.title, p.bucket, p.sponsor, p.submitter, list(p.depends_on),
                    list(p.excludes), c.content_hash, loaded.version, result.passed, result.failed_rules,
                    canonical_text(payload))  # fmt: skip


def load_parts(store: Store, keys: Sequence[str]) -> list[Prepared]:
    """The parts of a spread submission, checked as a whole (as `check_submission` checks one), in order.

    Raises:
        InputRefused: with every part's problems, and those of the submission as a whole.
        StoreError: a part is missing or not a part; the policy changed since a part was screened.
    """
    store.require_schema()
    problems: list[Problem] = []
    items: list[Prepared] = []
    files = 0
    with store.read() as conn:
        loaded = current_policy(conn)
        known = known_references(conn)
        for key in keys:
            try:
                part = get_snapshot(conn, key)
            except NotFoundError:
                raise StoreError(f"no stored intake part {key}") from None
            if not isinstance(part, dict) or part.get("format") != PART_FORMAT:
                raise StoreError(f"snapshot {key} is not an intake part")
            if part["policy_version"] != loaded.version:
                raise policy_changed(loaded, f"part {key[:12]}", part["policy_version"])
            files += part["files"]
            problems.extend(Problem(*p) for p in part["problems"])
            items.extend(Prepared.from_json(p, loaded.version) for p in part["prepared"])
        return _whole(items, files > 0, problems, known, on_file_dependencies(conn))
