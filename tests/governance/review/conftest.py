"""The quarterly review's fixtures: a policy without a portfolio section, the running projects, answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from governance import adoption, projects, reports, review
from governance.authority import Actor
from governance.ledger import Ledger
from governance.parsing import parse_yaml
from governance.policy import LoadedPolicy, _from_data
from governance.store import Store
from models.decision import ReviewAnswer

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"


def stage_gate_data() -> dict[str, Any]:
    data: dict[str, Any] = parse_yaml((ROOT / "policies" / "stage-gate.yaml").read_text())
    return data


def _rules_only() -> LoadedPolicy:
    data = stage_gate_data()
    data.pop("portfolio")
    return _from_data(data, "stage-gate")


RULES_ONLY = _rules_only()


def with_portfolio(precedence: str, budget: int) -> LoadedPolicy:
    """The stage-gate policy with open bucket bounds, no capacity, `budget` a year and `precedence`."""
    data = stage_gate_data()
    for bucket in data["buckets"]:
        bucket["min_share"] = 0
        bucket["max_share"] = 1
    data["portfolio"].update(precedence=precedence, budget={"FY2027": budget, "FY2028": budget})
    data["portfolio"].pop("capacity")
    return _from_data(data, f"stage-gate ({precedence})")


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_NoAliases, sort_keys=False)


def board_answer(quarter: str, **changes: Any) -> ReviewAnswer:
    """The board accepts every recommendation (with `changes`: overrides, another member, ...)."""
    data: dict[str, Any] = {
        "quarter": quarter,
        "decided_by": "ana",
        "meeting_date": "2026-11-23",
        "rationale": "The board accepts the recommendations.",
        "votes": [{"member": m, "vote": "accept"} for m in ("ana", "raj", "mia")],
    }
    data.update(changes)
    return ReviewAnswer.model_validate(data)


def review_quarter(store: Store, ledger: Ledger, quarter: str) -> review.ProposedReview:
    """The example status reports of `quarter` filed, then the review proposed."""
    items = reports.read_status_reports([EXAMPLES / "status" / quarter], quarter)
    reports.file_status_reports(store, ledger, items, "pmo")
    return review.propose_review(store, ledger, quarter, "pmo")


@pytest.fixture
def portfolio(store: Store, ledger: Ledger) -> Store:
    """The example running projects under the stage-gate policy without its portfolio section."""
    adoption.adopt_policy(store, ledger, RULES_ONLY, Actor.of("ana"))
    projects.import_projects(store, ledger, [EXAMPLES / "projects"], "pmo")
    return store
