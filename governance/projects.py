"""Importing projects that were already running when the engine was adopted.

`governance import projects FILE` reads migrated projects (a proposal's fields plus `approved_on`,
`status` and an optional `score`), refuses the whole file on any problem, and records one
`migrated` record each, so that the first quarterly review has a real portfolio. Importing the
same file again files nothing; a reference already on file under other content is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from governance.adoption import current_policy
from governance.batch import check_cycles
from governance.canonical import canonical_text, sha256_hex
from governance.dependencies import on_file_dependencies
from governance.errors import InputRefused, Problem
from governance.intake import Candidate, _next_ids, check_against_policy
from governance.ledger import Canonical, Ledger, NewRecord
from governance.sources import Source, SourceRecord, expand_paths, read_records, validated
from governance.store import Store
from models.proposal import Proposal
from models.records import MigratedPayload, SourceRef
from models.status_report import MigratedProject
from models.tables import ProposalRow

__all__ = ["Imported", "import_projects", "projects_from_records", "read_projects"]

_EXTRA = ("approved_on", "status", "score")


@dataclass(frozen=True, slots=True)
class Imported:
    reference: str
    project_id: str
    action: str  # migrated | unchanged
    state: str


def read_projects(paths: Sequence[Source]) -> list[tuple[Candidate, MigratedProject]]:
    """Read and validate migrated-project files (YAML or JSON); refuse them whole on any problem."""
    files, problems = expand_paths(paths)
    records: list[SourceRecord] = []
    for path in files:
        if path.suffix.lower() == ".csv":
            message = "projects are imported from YAML or JSON, or from a register with --map MAP.yaml"
            problems.append(Problem(str(path), "", "", "unsupported-format", message))
            continue
        read, read_problems = read_records(path)
        records += read
        problems.extend(read_problems)
    if not files and not problems:
        problems.append(Problem("", "", "", "file-not-found", "nothing to import"))
    return projects_from_records(records, problems)


def projects_from_records(
    records: Sequence[SourceRecord], problems: list[Problem] | None = None
) -> list[tuple[Candidate, MigratedProject]]:
    """Validate records read from any format (the engine's own, or a register through an import map) as
    migrated projects; refuse them all on any problem, `problems` found earlier included."""
    problems = list(problems or [])
    out: list[tuple[Candidate, MigratedProject]] = []
    seen: dict[str, str] = {}
    for record, project in validated(records, MigratedProject, problems):
        if project is None:
            continue
        if project.reference in seen:
            problems.append(
                Problem(
                    record.file,
                    record.label,
                    "reference",
                    "duplicate-in-batch",
                    f"reference {project.reference} is also in {seen[project.reference]}",
                )
            )
            continue
        seen[project.reference] = f"{record.file} {record.label}"
        proposal = Proposal.model_validate(project.model_dump(exclude=set(_EXTRA)))
        content = canonical_text(proposal)
        out.append((Candidate(record.file, record.label, proposal, sha256_hex(content), content), project))
    if problems:
        raise InputRefused(problems)
    return out


def import_projects(
    store: Store,
    ledger: Ledger,
    paths: Sequence[Source],
    actor: str,
    *,
    items: Sequence[tuple[Candidate, MigratedProject]] | None = None,
) -> list[Imported]:
    """Record each migrated project (active or paused, past the policy's last gate) in one transaction.

    `items` are projects already read (`projects_from_records`, as a mapped register gives them) instead
    of `paths`."""
    items = read_projects(paths) if items is None else list(items)
    with store.write() as conn:
        loaded = current_policy(conn)
        policy = loaded.policy
        problems = check_against_policy([c for c, _ in items], policy)
        # A loop of depends_on is refused as at intake, also through proposals on file: selection could
        # fund none of its projects (each one's dependency on the next is a constraint).
        problems += check_cycles([c for c, _ in items], on_file_dependencies(conn))
        refs = [c.proposal.reference for c, _ in items]
        rows = {
            r.reference: r
            for start in range(0, len(refs), 500)
            for r in conn.execute(select(ProposalRow).where(ProposalRow.reference.in_(refs[start : start + 500])))
        }
        for c, _ in items:
            row = rows.get(c.proposal.reference)
            if row is not None and row.content_hash != c.content_hash:
                problems.append(
                    Problem(
                        c.file,
                        c.label,
                        "reference",
                        "already-on-file",
                        f"reference {c.proposal.reference} is already on file as {row.id} ({row.state}) "
                        "with other content",
                    )
                )
        if problems:
            raise InputRefused(problems)
        fresh = [(c, p) for c, p in items if c.proposal.reference not in rows]
        ids = iter(_next_ids(conn, ledger.clock.now().year, len(fresh))) if fresh else iter(())
        last_gate = policy.gates[-1]
        records: list[NewRecord] = []
        planned: list[tuple[str, Candidate, MigratedProject]] = []
        for c, project in fresh:
            pid = next(ids)
            planned.append((pid, c, project))
            records.append(
                NewRecord(
                    kind="migrated",
                    subject=pid,
                    outcome=project.status,
                    policy_version=loaded.version,
                    payload=MigratedPayload(
                        reference=project.reference,
                        title=project.title,
                        content_hash=c.content_hash,
                        approved_on=project.approved_on,
                        score=project.score,
                        stage=last_gate.enters,
                        source=SourceRef(file=Path(c.file).name, record=c.label),
                        state_after=project.status,
                    ),
                    inputs=Canonical(c.content),
                )
            )
        written = ledger.append(conn, records, actor)
        inserts: list[dict[str, Any]] = []
        for (pid, c, project), record in zip(planned, written, strict=True):
            inserts.append(
                {
                    "id": pid,
                    "reference": project.reference,
                    "title": project.title,
                    "bucket": project.bucket,
                    "state": project.status,
                    "sponsor": project.sponsor,
                    "submitter": project.submitter,
                    "content_hash": c.content_hash,
                    "snapshot": c.content_hash,
                    "version": 1,
                    "filed_seq": record.seq,
                    "last_seq": record.seq,
                    "gate": last_gate.number,
                    "stage": last_gate.enters,
                }
            )
        if inserts:
            conn.execute(insert(ProposalRow), inserts)
        out = [Imported(p.reference, pid, "migrated", p.status) for pid, _, p in planned]
        out += [
            Imported(c.proposal.reference, rows[c.proposal.reference].id, "unchanged", rows[c.proposal.reference].state)
            for c, _ in items
            if c.proposal.reference in rows
        ]
        return sorted(out, key=lambda i: i.project_id)
