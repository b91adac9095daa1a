"""Intake: validate a submission as a whole, then file it in chunks.

`validate_submission` reads every file and refuses the whole submission, with every problem
named by file, record and field, before anything is written. `file_proposals` files one chunk in
one write transaction: a new reference is filed and screened, an unchanged one is skipped (the
content hash matches), a changed one is amended and screened again.

A large submission can be spread (governance.intake_parts): parts of its files are read, validated
and screened in other processes (on any worker), each part stored as one snapshot of `Prepared` items with
the proposals' contents; the run that files checks the submission as a whole from those parts and files it
in the same order and chunks, so the ledger is the same as when one process does everything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, func, insert, select, update

from governance.adoption import current_policy
from governance.authority import Actor, authorise
from governance.batch import OnFile, check_cycles, check_references, dedupe, refiling_refusal
from governance.canonical import canonical_text, sha256_hex
from governance.dependencies import OnFileDependencies, on_file_dependencies
from governance.errors import (
    IdentityError,
    InputRefused,
    NotFoundError,
    Problem,
    StoreError,
    TransitionError,
)
from governance.ledger import Canonical, Ledger, NewRecord, Stored, get_snapshot
from governance.lifecycle import check_transition
from governance.people import Directory
from governance.policy import LoadedPolicy
from governance.rules import evaluate
from governance.sources import Source, expand_paths, read_records, validated
from governance.store import Store
from models.policy import Policy
from models.proposal import Proposal
from models.records import (
    AmendedPayload,
    FiledPayload,
    RuleResult,
    ScreenedOutPayload,
    ScreenedPayload,
    SourceRef,
    WithdrawnPayload,
)
from models.tables import ProposalRow, SnapshotRow

__all__ = [
    "Candidate",
    "Filing",
    "OnFile",
    "Prepared",
    "ScreeningResult",
    "check_against_policy",
    "check_submission",
    "file_proposals",
    "find_proposal",
    "known_references",
    "policy_changed",
    "proposal_facts",
    "refiling_refusal",
    "screen",
    "validate_submission",
    "withdraw",
]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A validated proposal and where it came from."""

    file: str
    label: str
    proposal: Proposal
    content_hash: str
    content: str  # canonical JSON of the proposal; its SHA-256 is content_hash

    @property
    def reference(self) -> str:
        return self.proposal.reference

    @property
    def depends_on(self) -> list[str]:
        return self.proposal.depends_on

    @property
    def excludes(self) -> list[str]:
        return self.proposal.excludes


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    passed: bool
    rules: list[RuleResult]

    @property
    def failed_rules(self) -> list[str]:
        return [r.description for r in self.rules if not r.passed]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A validated and screened proposal, reduced to what filing needs: what a part of a spread intake hands
    to the run that files. Its content is a stored snapshot (`content_hash`); its screening record's payload
    is ready (`screening`: the canonical text of its ScreenedPayload or ScreenedOutPayload)."""

    file: str
    label: str
    reference: str
    title: str
    bucket: str
    sponsor: str
    submitter: str
    depends_on: list[str]
    excludes: list[str]
    content_hash: str
    policy_version: str  # the policy it was screened under
    passed: bool
    failed_rules: list[str]
    screening: str

    def to_json(self) -> list[Any]:
        head = [self.file, self.label, self.reference, self.title, self.bucket, self.sponsor, self.submitter]
        tail = [self.content_hash, self.passed, self.failed_rules, self.screening]
        return [*head, self.depends_on, self.excludes, *tail]

    @classmethod
    def from_json(cls, data: list[Any], policy_version: str) -> Prepared:
        file, label, reference, title, bucket, sponsor, submitter = data[:7]
        depends_on, excludes, content_hash, passed, failed_rules, screening = data[7:]
        return cls(file, label, reference, title, bucket, sponsor, submitter, depends_on, excludes, content_hash,
                   policy_version, bool(passed), failed_rules, screening)  # fmt: skip


_Item = Candidate | Prepared
ItemT = TypeVar("ItemT", Candidate, Prepared)


@dataclass(frozen=True, slots=True)
class Filing:
    """What happened to one proposal of a submission."""

    reference: str
    proposal_id: str
    action: str  # filed | amended | unchanged
    state: str
    reasons: list[str] = field(default_factory=list)


def validate_submission(
    paths: Sequence[Source],
    policy: Policy,
    known: Mapping[str, OnFile] | None = None,
    on_file: OnFileDependencies | None = None,
) -> list[Candidate]:
    """Read and validate every file of a submission; refuse it whole on any problem.

    Args:
        paths: files and folders as the submitter gave them.
        policy: the adopted policy (buckets and objectives are checked against it).
        known: reference -> the proposals already in the store.
        on_file: the stored dependencies of proposals on file (for loops through them), if any.

    Raises:
        InputRefused: with every problem, by file, record and field.
    """
    files, candidates, problems = _read_candidates(paths, policy)
    return _whole(candidates, bool(files), problems, known or {}, on_file)


def _read_candidates(paths: Sequence[Source], policy: Policy) -> tuple[list[Any], list[Candidate], list[Problem]]:
    """Every file read and every record validated, on its own; the problems found so far."""
    files, problems = expand_paths(paths)
    candidates: list[Candidate] = []
    for path in files:
        records, read_problems = read_records(path)
        problems.extend(read_problems)
        for record, proposal in validated(records, Proposal, problems):
            if proposal is None:
                problems.extend(_raw_policy_problems(record.data, policy, record.file, record.label))
                continue
            content = canonical_text(proposal)
            candidates.append(Candidate(record.file, record.label, proposal, sha256_hex(content), content))
    problems.extend(check_against_policy(candidates, policy))
    return files, candidates, problems


def _whole(
    items: list[ItemT],
    any_files: bool,
    problems: list[Problem],
    known: Mapping[str, OnFile],
    on_file: OnFileDependencies | None = None,
) -> list[ItemT]:
    """The checks on a submission as a whole (duplicates, references, states, loops); raises with every
    problem. Whatever filing would refuse is refused here, by the same rules (`refiling_refusal`)."""
    unique, batch_problems = dedupe(items)
    problems.extend(batch_problems)
    problems.extend(check_references(unique, known))
    problems.extend(check_cycles(unique, on_file))
    if not any_files and not problems:
        problems.append(Problem("", "", "", "file-not-found", "nothing to submit"))
    if problems:
        raise InputRefused(problems)
    return unique


def check_against_policy(candidates: list[Candidate], policy: Policy) -> list[Problem]:
    buckets, objectives = policy.bucket_ids(), policy.objective_ids()
    directory = Directory.of(policy)
    problems = []
    for c in candidates:
        for name in ("submitter", "sponsor"):
            try:
                directory.resolve(getattr(c.proposal, name), what=name)
            except IdentityError as exc:
                problems.append(Problem(c.file, c.label, name, "ambiguous-person", exc.message))
        if c.proposal.bucket not in buckets:
            problems.append(
                Problem(
                    c.file,
                    c.label,
                    "bucket",
                    "unknown-bucket",
                    f"unknown bucket {c.proposal.bucket!r}; the policy has: {', '.join(sorted(buckets))}",
                )
            )
        for i, objective in enumerate(c.proposal.objectives):
            if objectives and objective not in objectives:
                problems.append(
                    Problem(
                        c.file,
                        c.label,
                        f"objectives[{i}]",
                        "unknown-objective",
                        f"unknown objective {objective!r}; the policy has: {', '.join(sorted(objectives))}",
                    )
                )
    return problems


def check_submission(store: Store, paths: Sequence[Source]) -> list[Candidate]:
    """Validate a submission against the adopted policy and the proposals on file; nothing is written.

    Raises:
        StoreError: the database is not initialised.
        InputRefused: with every problem, by file, record and field.
    """
    store.require_schema()
    with store.read() as conn:
        policy = current_policy(conn)
        known = known_references(conn)
        return validate_submission(paths, policy.policy, known, on_file_dependencies(conn))


def _screening_payload(content_hash: str, result: ScreeningResult) -> ScreenedPayload | ScreenedOutPayload:
    screening = ScreenedPayload if result.passed else ScreenedOutPayload
    return screening(content_hash=content_hash, rules=result.rules)


def _raw_policy_problems(data: Any, policy: Policy, file: str, label: str) -> list[Problem]:
    """Policy checks on a record that failed validation, so one pass lists every problem."""
    if not isinstance(data, dict):
        return []
    bucket = data.get("bucket")
    if isinstance(bucket, str) and bucket and bucket not in policy.bucket_ids():
        return [
            Problem(
                file,
                label,
                "bucket",
                "unknown-bucket",
                f"unknown bucket {bucket!r}; the policy has: {', '.join(sorted(policy.bucket_ids()))}",
            )
        ]
    return []


def proposal_facts(proposal: Proposal, content: dict[str, Any] | None = None) -> dict[str, Any]:
    """The proposal's fields (as in its canonical JSON) plus derived figures that rules may name."""
    facts: dict[str, Any] = dict(content) if content is not None else json.loads(canonical_text(proposal))
    development, launch = proposal.total_development, proposal.total_launch
    facts.update(
        total_development=development,
        total_launch=launch,
        total_cost=development + launch,
        total_benefit=sum((b.amount for b in proposal.benefits), Decimal(0)),
        duration_days=(proposal.end_date - proposal.start_date).days,
        max_risk=max((r.likelihood * r.impact for r in proposal.risks), default=0),
        risk_count=len(proposal.risks),
        objective_count=len(proposal.objectives),
        period_count=len(proposal.costs),
    )
    return facts


def screen(proposal: Proposal, policy: Policy, content: dict[str, Any] | None = None) -> ScreeningResult:
    """Apply the policy's must-meet screening rules (`content`: the proposal's canonical JSON, if at hand)."""
    facts = proposal_facts(proposal, content)
    results = []
    for rule in policy.screening:
        passed, because = evaluate(rule.require, facts)
        results.append(RuleResult(id=rule.id, description=rule.description, passed=passed, because=because))
    return ScreeningResult(passed=all(r.passed for r in results), rules=results)


# -- the store side ---------------------------------------------------------------------------


def known_references(conn: Connection) -> dict[str, OnFile]:
    rows = conn.execute(select(ProposalRow.reference, ProposalRow.state, ProposalRow.content_hash))
    return {ref: OnFile(state, content_hash) for ref, state, content_hash in rows}


def _next_ids(conn: Connection, year: int, count: int) -> list[str]:
    prefix = f"P-{year}-"
    # Ids are zero-padded to four digits and grow past them (P-2026-10000): order by length first.
    last = conn.scalar(
        select(ProposalRow.id)
        .where(ProposalRow.id.like(prefix + "%"))
        .order_by(func.length(ProposalRow.id).desc(), ProposalRow.id.desc())
        .limit(1)
    )
    start = int(last.removeprefix(prefix)) + 1 if last else 1
    return [f"{prefix}{n:04d}" for n in range(start, start + count)]


def _changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def file_proposals(store: Store, ledger: Ledger, candidates: Sequence[_Item], actor: str) -> list[Filing]:
    """File one chunk of validated proposals in one write transaction (one ledger append for the chunk).

    `Prepared` items (a spread intake's) were screened already and their contents stored: the policy must
    be the one they were screened under, and their snapshots there.

    Raises:
        StoreError: a prepared item's policy is no longer the adopted one, or its content is not stored.
    """
    with store.write() as conn:
        loaded = current_policy(conn)
        _check_prepared(conn, loaded, [c for c in candidates if isinstance(c, Prepared)])
        refs = [c.reference for c in candidates]
        rows = {
            r.reference: r
            for start in range(0, len(refs), 500)
            for r in conn.execute(select(ProposalRow).where(ProposalRow.reference.in_(refs[start : start + 500])))
        }
        new_count = sum(1 for r in refs if r not in rows)
        fresh_ids = iter(_next_ids(conn, ledger.clock.now().year, new_count)) if new_count else iter(())
        planned = [_plan_one(conn, loaded, c, rows.get(c.reference), fresh_ids) for c in candidates]
        records = ledger.append(conn, [r for plan in planned for r in plan.records], actor)
        position = 0
        inserts: list[dict[str, Any]] = []
        for plan in planned:
            if not plan.records:
                continue
            first, last = records[position], records[position + len(plan.records) - 1]
            position += len(plan.records)
            values = dict(plan.values, last_seq=last.seq)
            if plan.filing.action == "filed":
                inserts.append(dict(values, id=plan.filing.proposal_id, filed_seq=first.seq))
            else:
                conn.execute(update(ProposalRow).where(ProposalRow.id == plan.filing.proposal_id).values(**values))
        if inserts:
            conn.execute(insert(ProposalRow), inserts)
        return [plan.filing for plan in planned]


def _check_prepared(conn: Connection, loaded: LoadedPolicy, prepared: list[Prepared]) -> None:
    if not prepared:
        return
    stale = next((p for p in prepared if p.policy_version != loaded.version), None)
    if stale is not None:
        raise policy_changed(loaded, stale.reference, stale.policy_version)
    keys = sorted({p.content_hash for p in prepared})
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        found.update(conn.scalars(select(SnapshotRow.key).where(SnapshotRow.key.in_(keys[start : start + 500]))))
    missing = [p for p in prepared if p.content_hash not in found]
    if missing:
        raise StoreError(f"{len(missing)} prepared proposal(s) without stored content, first {missing[0].reference}")


def policy_changed(loaded: LoadedPolicy, what: str, screened_under: str) -> StoreError:
    """A spread intake's part, or item, screened under a policy that is no longer the adopted one."""
    return StoreError(
        f"the policy changed (now {loaded.short_version}) after {what} was screened under "
        f"{screened_under[:12]}: submit again"
    )


@dataclass(frozen=True, slots=True)
class _Plan:
    filing: Filing
    records: list[NewRecord]
    values: dict[str, Any]


def _plan_one(conn: Connection, loaded: LoadedPolicy, c: _Item, row: Any, fresh_ids: Any) -> _Plan:
    p = c.proposal if isinstance(c, Candidate) else c
    if row is not None:
        refusal = refiling_refusal(OnFile(row.state, row.content_hash), c.content_hash)
        if refusal is not None:
            raise TransitionError(f"{row.id} ({p.reference}) {refusal[1]}")
        if row.content_hash == c.content_hash:
            return _Plan(Filing(p.reference, row.id, "unchanged", row.state), [], {})
    source = SourceRef(file=Path(c.file).name, record=c.label)
    if isinstance(c, Candidate):
        content: dict[str, Any] | None = json.loads(c.content)
        inputs: Canonical | Stored = Canonical(c.content)  # already canonical: not serialised again
        result = screen(c.proposal, loaded.policy, content)
        passed, reasons = result.passed, result.failed_rules
        screening: Any = _screening_payload(c.content_hash, result)
    else:  # stored and screened by its part
        content, inputs, passed, reasons = None, Stored(c.content_hash), c.passed, c.failed_rules
        screening = Canonical(c.screening)
    if row is None:
        pid = next(fresh_ids)
        version = 1
        first = NewRecord(
            kind="filed",
            subject=pid,
            payload=FiledPayload(
                reference=p.reference, title=p.title, content_hash=c.content_hash, version=1, source=source
            ),
            inputs=inputs,
        )
    else:
        pid = row.id
        version = row.version + 1
        first = NewRecord(
            kind="amended",
            subject=pid,
            payload=AmendedPayload(
                reference=p.reference,
                content_hash=c.content_hash,
                previous_hash=row.content_hash,
                version=version,
                changed=_changed_fields(
                    _previous_content(conn, row.snapshot),
                    content if content is not None else _previous_content(conn, c.content_hash),
                ),
                source=source,
            ),
            inputs=inputs,
        )
    kind = "screened" if passed else "screened-out"
    second = NewRecord(
        kind=kind,
        subject=pid,
        outcome="pass" if passed else "fail",
        policy_version=loaded.version,
        payload=screening,
        inputs=inputs,
    )
    values = {
        "reference": p.reference,
        "title": p.title,
        "bucket": p.bucket,
        "state": kind,
        "sponsor": p.sponsor,
        "submitter": p.submitter,
        "content_hash": c.content_hash,
        "snapshot": c.content_hash,
        "version": version,
    }
    filing = Filing(p.reference, pid, "filed" if row is None else "amended", kind, reasons)
    return _Plan(filing, [first, second], values)


def _previous_content(conn: Connection, key: str) -> dict[str, Any]:
    data = get_snapshot(conn, key)
    return data if isinstance(data, dict) else {}


def find_proposal(conn: Connection, ident: str) -> Row[Any]:
    """A proposal by id (P-2026-0007) or by the submitter's reference."""
    column = ProposalRow.id if ident.startswith("P-") and ident[2:6].isdigit() else ProposalRow.reference
    row = conn.execute(select(ProposalRow).where(column == ident)).first()
    if row is None:
        row = conn.execute(select(ProposalRow).where(ProposalRow.reference == ident)).first()
    if row is None:
        raise NotFoundError(f"no proposal {ident!r} (give its id, like P-2026-0001, or its reference)")
    return row


def withdraw(store: Store, ledger: Ledger, ident: str, actor: Actor, reason: str) -> Filing:
    """Withdraw a proposal before its decision; the withdrawal is a ledger record.

    Raises Forbidden unless the role matrix lets the actor withdraw it (by default: its submitter or
    sponsor, or the chair).
    """
    with store.write() as conn:
        row = find_proposal(conn, ident)
        check_transition(row.id, row.state, "withdrawn")
        policy = current_policy(conn).policy
        acting = authorise(policy, actor, "withdraw", submitters=Directory.of(policy).ids(row.submitter, row.sponsor))
        ledger.append_for_proposal(
            conn,
            NewRecord(
                kind="withdrawn",
                subject=row.id,
                outcome="withdrawn",
                payload=WithdrawnPayload(reference=row.reference, reason=reason, content_hash=row.content_hash),
            ),
            acting.recorded_by,
            state="withdrawn",
        )
        return Filing(row.reference, row.id, "withdrawn", "withdrawn", [reason])
