"""The intake flow: validate a submission as a whole, then file it a chunk per task.

As a deployment run with `parts` > 1, reading, validating and screening are spread: a run of the
`intake-part` deployment per group of files, on whichever workers pick them up, each storing its part in
the governance database (`governance.intake_parts.prepare_part`); this run then checks the parts as one
submission and files them in order, chunk by chunk, as it would have filed them itself (the same ledger).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from uuid import UUID

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import deployment as deployment_runtime
from prefect.runtime import flow_run as flow_run_runtime

from flows.runtime import check_settings, open_engine
from governance import inputs, intake, intake_parts
from governance.errors import InputRefused, Problem

__all__ = ["PART_DEPLOYMENT", "IntakeReport", "Opaque", "intake_flow", "intake_part_flow"]

T = TypeVar("T")
PART_DEPLOYMENT = "intake-part/intake-part"
PART_TIMEOUT_S = 4 * 3600.0  # a part not finished by then (no worker took it) fails the run: nothing filed


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
    parts: int = 0  # runs of the intake-part deployment that read, validated and screened it (0: this run did)
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


@task(name="load-parts", cache_policy=NO_CACHE, persist_result=False)
def load_parts_task(keys: list[str], database_url: str | None) -> Opaque[list[intake.Prepared]] | list[Problem]:
    store, _ = open_engine(database_url)
    try:
        return Opaque(intake_parts.load_parts(store, keys))
    except InputRefused as refused:
        return list(refused.problems)
    finally:
        store.dispose()


@task(name="spread-parts", cache_policy=NO_CACHE, persist_result=False)
def spread_task(groups: list[list[str]]) -> list[str]:
    """A run of the intake-part deployment per group of files, all at once; the stored parts' keys, in order.

    The parts' runs carry this run's job variables (a worker's settings given per run) and keys made of
    this run's id: a retried run finds the parts it started instead of starting them again.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey
    from prefect.exceptions import ObjectNotFound

    parent_id = UUID(str(flow_run_runtime.get_id()))
    with get_client(sync_client=True) as client:
        parent = client.read_flow_run(parent_id)
        try:
            deployment = client.read_deployment_by_name(PART_DEPLOYMENT)
        except ObjectNotFound:
            raise RuntimeError(
                f"parts > 1 needs the {PART_DEPLOYMENT} deployment (prefect.yaml): deploy it, or run with parts=1"
            ) from None
        runs = [
            client.create_flow_run_from_deployment(
                deployment.id,
                parameters={"sources": group},
                job_variables=parent.job_variables or None,
                idempotency_key=f"{parent_id}:part:{number}/{len(groups)}",
                name=f"{parent.name}-part-{number}",
            )
            for number, group in enumerate(groups, 1)
        ]
        deadline = time.monotonic() + PART_TIMEOUT_S
        pending = dict(enumerate(runs, 1))
        while pending:
            for number, run in list(pending.items()):
                state = client.read_flow_run(run.id).state
                if state is None or not state.is_final():
                    continue
                if not state.is_completed():
                    raise RuntimeError(
                        f"intake part {number} of {len(groups)} (flow run {run.name}) ended {state.name}: "
                        f"{state.message or 'see its logs'}; nothing was filed"
                    )
                del pending[number]
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"intake parts {sorted(pending)} did not finish in {PART_TIMEOUT_S:.0f} s")
            if pending:
                time.sleep(1)
        keys = []
        for number, run in enumerate(runs, 1):
            artifacts = client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]), key=ArtifactFilterKey(any_=["intake-part"])
                )
            )
            found = [m.group(1) for a in artifacts if (m := _PART_KEY.search(str(a.data)))]
            if not found:
                raise RuntimeError(f"intake part {number} (flow run {run.name}) left no stored part")
            keys.append(found[0])
        return keys


_PART_KEY = re.compile(r"stored as snapshot ([0-9a-f]{64})")


def _groups(sources: list[str], parts: int) -> list[list[str]]:
    """`sources` cut into at most `parts` runs of consecutive files, as even as they can be."""
    count = min(parts, len(sources))
    size, extra = divmod(len(sources), count)
    out, start = [], 0
    for n in range(count):
        end = start + size + (1 if n < extra else 0)
        out.append(sources[start:end])
        start = end
    return out


@task(name="file-chunk", cache_policy=NO_CACHE, persist_result=False)
def file_chunk_task(
    database_url: str | None, candidates: Opaque[list[intake.Candidate] | list[intake.Prepared]], actor: str
) -> Opaque[list[intake.Filing]]:
    store, ledger = open_engine(database_url)
    try:
        return Opaque(intake.file_proposals(store, ledger, candidates.value, actor))
    finally:
        store.dispose()


@flow(name="intake", persist_result=False, validate_parameters=True)
def intake_flow(
    sources: list[str], actor: str, database_url: str | None = None, chunk_size: int = 500, parts: int = 1
) -> IntakeReport:
    """File a batch of proposal files (YAML, JSON or CSV), a task per chunk of `chunk_size`.

    `sources`: input references (`input:<sha256>`, files `governance submit` stored in the database) or
    paths on the host that runs the flow.
    `parts`: as a deployment run with stored inputs, read, validate and screen the files in up to this
    many runs of the intake-part deployment at once (other workers); filing stays here, in order.

    Nothing is written unless every file validates. Filing is idempotent: a re-run after a crash
    skips what was already filed (same content hash).
    """
    deployed = deployment_runtime.get_id() is not None
    check_settings(database_url, deployed)
    report = IntakeReport()
    stored = all(source.startswith(inputs.PREFIX) for source in sources)
    outcome: Opaque[list[intake.Candidate]] | Opaque[list[intake.Prepared]] | list[Problem]
    if parts > 1 and deployed and stored and len(sources) > 1:
        groups = _groups(sources, parts)
        report.parts = len(groups)
        outcome = load_parts_task(spread_task(groups), database_url)
    else:
        outcome = validate_task(sources, database_url)
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


@flow(name="intake-part", persist_result=False, validate_parameters=True)
def intake_part_flow(sources: list[str], database_url: str | None = None) -> str:
    """One part of a spread intake: read, validate and screen these files; store the part (nothing filed).

    Started by the intake flow (`parts` > 1), which reads the stored part's key from this run's
    `intake-part` artifact. Returns the key.
    """
    check_settings(database_url, deployment_runtime.get_id() is not None)
    store, _ = open_engine(database_url)
    try:
        try:
            key = intake_parts.prepare_part(store, inputs.resolve(store, sources))
        except InputRefused as refused:
            key = intake_parts.prepare_part(store, [], problems=refused.problems)
    finally:
        store.dispose()
    create_markdown_artifact(
        key="intake-part",
        markdown=f"# Intake part\n\n{len(sources)} file(s), stored as snapshot {key}\n",
        description="One part of a spread intake, for the run that files it",
    )
    return key


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
