"""Each file format: its schema, valid files to start from, and the validation `governance` runs on it.

`check(format, folder, suffix, text)` runs the text through exactly what the command that reads the
format runs before it writes anything (`submit` -> intake.validate_submission, `score` ->
read_assessments, `review` -> read_status_reports, `import projects` -> read_projects, `select` ->
problem_from_file, `init --policy` / `policy check` -> load_policy). It returns "accepted", or "refused"
when the engine raised one of its own errors; any other exception is a bug and propagates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from governance import assessments, candidates, intake, projects, reports
from governance.batch import OnFile
from governance.errors import GovernanceError
from governance.parsing import parse_yaml
from governance.policy import BUNDLED_POLICIES, load_policy
from governance.sources import SubmittedFile, read_records
from models.assessment import Assessment
from models.people import PeopleFile
from models.policy import Policy
from models.proposal import Proposal
from models.selection import CandidatesFile
from models.status_report import MigratedProject, StatusReport

__all__ = ["FORMATS", "Format", "check"]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
_STAGE_GATE = load_policy("stage-gate")
# The sample proposals name each other in depends_on: as if the others were on file.
_ON_FILE = {
    record["reference"]: OnFile("screened", "0" * 64)
    for path in sorted((EXAMPLES / "proposals").glob("*.yaml"))
    for record in [parse_yaml(path.read_text(encoding="utf-8"))]
}


@dataclass(frozen=True)
class Format:
    name: str
    model: type[BaseModel]
    suffixes: tuple[str, ...]  # what a document drawn from the schema is written as
    seeds: tuple[tuple[str, str], ...]  # (suffix, text) of valid files
    run: Callable[[Path, str, str], object]


def _text(path: Path) -> tuple[str, str]:
    return path.suffix, path.read_text(encoding="utf-8")


def _submitted(suffix: str, text: str) -> list[Any]:
    return [SubmittedFile(f"input{suffix}", text)]


def _on_disk(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


def _policy(folder: Path, suffix: str, text: str) -> object:
    _on_disk(folder, "people.yaml", PEOPLE)
    return load_policy(str(_on_disk(folder, f"policy{suffix}", text)))


def _people(folder: Path, suffix: str, text: str) -> object:
    _on_disk(folder, f"people{suffix}", text)
    return load_policy(str(_on_disk(folder, "policy.yaml", _POLICY_SEED.replace("people.yaml", f"people{suffix}"))))


PEOPLE = (BUNDLED_POLICIES / "people" / "nordwind.yaml").read_text(encoding="utf-8")
_POLICY_SEED = (
    (BUNDLED_POLICIES / "stage-gate.yaml")
    .read_text(encoding="utf-8")
    .replace("people_file: people/nordwind.yaml", "people_file: people.yaml")
)
_CANDIDATES = {
    "currency": "EUR",
    "portfolio": {"value_measure": "npv", "budget": {"FY2027": 1000000, "FY2028": 800000}, "mip_gap": 0.0005},
    "buckets": [{"bucket": "core", "max_share": 0.7}, {"bucket": "growth", "min_share": 0.1}],
    "candidates": [
        {"id": "P-2026-0001", "title": "Heat pump controller", "bucket": "growth", "npv": 450000.5,
         "costs": [{"period": "FY2027", "amount": 400000}, {"period": "FY2028", "amount": 150000}]},
        {"id": "P-2026-0002", "title": "Billing platform upgrade", "kind": "project", "bucket": "core", "npv": 300000,
         "costs": [{"period": "FY2027", "amount": 250000}], "depends_on": ["P-2026-0001"], "force": "in",
         "force_reason": "contract renewal"},
    ],
}  # fmt: skip

# The sample ratings (a CSV) as YAML, as an assessor might write them.
_GATE1 = _text(EXAMPLES / "assessments" / "gate1.csv")[1]
_ASSESSMENTS_YAML = yaml.safe_dump(
    [record.data for record in read_records(SubmittedFile("gate1.csv", _GATE1), assessments._csv)[0][:6]],
    sort_keys=False,
)
_PROPOSALS = [_text(p) for p in sorted((EXAMPLES / "proposals").iterdir())]


def _proposals(folder: Path, suffix: str, text: str) -> object:
    return intake.validate_submission(_submitted(suffix, text), _STAGE_GATE.policy, _ON_FILE)


FORMATS = {
    f.name: f
    for f in (
        Format(
            "proposal",
            Proposal,
            (".yaml", ".json"),
            (
                *tuple(_text(p) for p in sorted((EXAMPLES / "proposals").iterdir())[:3]),
                _text(EXAMPLES / "proposals" / "31-batch.csv"),
            ),
            lambda folder, suffix, text: intake.validate_submission(
                _submitted(suffix, text), _STAGE_GATE.policy, _ON_FILE
            ),
        ),
        Format(
            "assessment",
            Assessment,
            (".yaml", ".json"),
            (_text(EXAMPLES / "assessments" / "gate1.csv"), (".yaml", _ASSESSMENTS_YAML)),
            lambda folder, suffix, text: assessments.read_assessments(_submitted(suffix, text)),
        ),
        Format(
            "status-report",
            StatusReport,
            (".yaml", ".json"),
            tuple(_text(p) for p in sorted((EXAMPLES / "status" / "2026Q4").iterdir())[:3]),
            lambda folder, suffix, text: reports.read_status_reports(_submitted(suffix, text), "2026Q4"),
        ),
        Format(
            "project",
            MigratedProject,
            (".yaml", ".json"),
            (_text(EXAMPLES / "projects" / "running-projects.yaml"),),
            lambda folder, suffix, text: projects.read_projects(_submitted(suffix, text)),
        ),
        Format(
            "candidates",
            CandidatesFile,
            (".yaml", ".json"),
            ((".yaml", yaml.safe_dump(_CANDIDATES)),),
            lambda folder, suffix, text: candidates.problem_from_file(_on_disk(folder, f"candidates{suffix}", text)),
        ),
        Format("policy", Policy, (".yaml",), ((".yaml", _POLICY_SEED),), _policy),
        Format("people", PeopleFile, (".yaml",), ((".yaml", PEOPLE),), _people),
    )
}


def check(fmt: Format, folder: Path, suffix: str, text: str) -> str:
    """ "accepted" or "refused" (a GovernanceError); anything else raises."""
    try:
        fmt.run(folder, suffix, text)
    except GovernanceError:
        return "refused"
    return "accepted"
