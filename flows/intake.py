"""The intake flow: validate a submission as a whole, then file it a chunk per task."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import deployment as deployment_runtime

from flows.runtime import check_settings, open_engine
from governance import inputs, intake
from governance.errors import InputRefused, Problem

__all__ = ["IntakeReport", "Opaque", "intake_flow"]

T = TypeVar("T")


class Opaque(Generic[T]):
    """A value handed between tasks that Prefect does not walk.

    Prefect visits every element of a task's inputs and results (looking for futures and linking
    results); for 10,000 proposals that walk cost more than the work. A plain object is left alone.
    """

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value


@dataclass
class IntakeReport:
    """What a run did: each proposal's filing, or the problems that refused the submission."""

    filings: list[intake.Filing] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    chunks: int = 0
    artifact_ids: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.problems)


@task(name="validate-submission", cache_policy=NO_CACHE, persist_result=False)
def validate_task(sources: list[str], database_url: str | None) -> Opaque[list[intake.Candidate]] | list[Problem]:
    store, _ = open_engine(database_url)
    try:
        return Opaque(intake.check_submission(store, inputs.resolve(store, sources)))
    except InputRefused as refused:
        return list(refused.problems)
    finally:
        store.dispose()


@task(name="file-chunk", cache_policy=NO_CACHE, persist_result=False)
def file_chunk_task(
    database_url: str | None, candidates: Opaque[list[intake.Candidate]], actor: str
) -> Opaque[list[intake.Filing]]:
    store, ledger = open_engine(database_url)
    try:
        return Opaque(intake.file_proposals(store, ledger, candidates.value, actor))
    finally:
        store.dispose()


@flow(name="intake", persist_result=False, validate_parameters=True)
def intake_flow(sources: list[str], actor: str, database_url: str | None = None, chunk_size: int = 500) -> IntakeReport:
    """File a batch of proposal files (YAML, JSON or CSV), a task per chunk of `chunk_size`.

    `sources`: input references (`input:<sha256>`, files `governance submit` stored in the database) or
    paths on the host that runs the flow.

    Nothing is written unless every file validates. Filing is idempotent: a re-run after a crash
    skips what was already filed (same content hash).
    """
    check_settings(database_url, deployment_runtime.get_id() is not None)
    outcome = validate_task(sources, database_url)
    report = IntakeReport()
    if not isinstance(outcome, Opaque):
        report.problems = list(outcome)
        artifact = create_markdown_artifact(
            key="intake-summary",
            markdown=_refusal_markdown(report.problems),
            description="Submission refused",
        )
        report.artifact_ids.append(str(artifact))
        return report
    candidates = outcome.value
    for start in range(0, len(candidates), chunk_size):
        chunk = Opaque(candidates[start : start + chunk_size])
        report.filings.extend(file_chunk_task(database_url, chunk, actor).value)
        report.chunks += 1
    report.artifact_ids.extend(_publish(report))
    return report


def _refusal_markdown(problems: list[Problem]) -> str:
    lines = [
        f"# Submission refused\n\n{len(problems)} problem(s); nothing was filed.\n",
        "| file | record | field | code | problem |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {p.file} | {p.record} | {p.field} | {p.code} | {p.message} |" for p in problems[:500]]
    return "\n".join(lines)


def _publish(report: IntakeReport) -> list[str]:
    actions = Counter(f.action for f in report.filings)
    states = Counter(f.state for f in report.filings)
    markdown = "\n".join(
        [
            "# Intake",
            "",
            f"{len(report.filings)} proposal(s) in {report.chunks} chunk(s): "
            + ", ".join(f"{n} {a}" for a, n in sorted(actions.items())),
            "",
            "| state | count |",
            "|---|---|",
            *(f"| {s} | {n} |" for s, n in sorted(states.items())),
        ]
    )
    ids = [str(create_markdown_artifact(key="intake-summary", markdown=markdown, description="Intake run summary"))]
    rows = [
        {
            "id": f.proposal_id,
            "reference": f.reference,
            "action": f.action,
            "state": f.state,
            "reasons": "; ".join(f.reasons),
        }
        for f in report.filings[:1000]
    ]
    if rows:
        table = create_table_artifact(key="intake-filings", table=rows, description="Proposals filed (first 1000)")
        ids.append(str(table))
    return ids
