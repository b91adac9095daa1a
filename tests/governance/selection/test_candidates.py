"""Candidates files (governance.candidates): reading one into a selection problem, every problem
with a bad one listed, and command-line overrides."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from governance.candidates import problem_from_file, with_overrides
from governance.errors import InputRefused, Problem
from models.selection import CandidatesFile, SelectionProblem

from ..test_intake import write
from .builders import D, cand, problem

# -- candidates files -------------------------------------------------------------------------

GOOD_FILE: dict[str, Any] = {
    "currency": "EUR",
    "portfolio": {"value_measure": "npv", "budget": {"FY2027": 1000000, "FY2028": 800000}, "mip_gap": 0.0005},
    "buckets": [{"bucket": "core", "max_share": 0.7}, {"bucket": "growth", "min_share": 0.1}],
    "candidates": [
        {
            "id": "P-2026-0001",
            "title": "Heat pump controller",
            "bucket": "growth",
            "npv": 450000.5,
            "costs": [{"period": "FY2027", "amount": 400000}, {"period": "FY2028", "amount": 150000}],
        },
        {
            "id": "P-2026-0002",
            "title": "Billing platform upgrade",
            "kind": "project",
            "bucket": "core",
            "npv": 300000,
            "costs": [{"period": "FY2027", "amount": 250000}],
            "resources": [{"role": "engineer", "period": "FY2027", "fte": 2.5}],
            "depends_on": ["P-2026-0001"],
            "force": "in",
            "force_reason": "contract renewal",
        },
    ],
}


@pytest.mark.parametrize("name", ["candidates.yaml", "candidates.json"])
def test_problem_from_file(tmp_path: Path, name: str) -> None:
    parsed = CandidatesFile.model_validate(GOOD_FILE)
    assert problem_from_file(write(tmp_path, name, GOOD_FILE)) == SelectionProblem(
        candidates=tuple(parsed.candidates),
        budget={"FY2027": D("1000000"), "FY2028": D("800000")},
        buckets={"core": (D(0), D("0.7")), "growth": (D("0.1"), D(1))},
        capacity={},
        value_measure="npv",
        frontier_levels=12,
        next_slice=D("0.10"),
        mip_gap=D("0.0005"),
        time_limit_seconds=60,
        currency="EUR",
    )
    assert parsed.candidates[0].npv == D("450000.5")


def test_bad_file_lists_every_problem(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        """\
currency: EUR
portfolio:
  value_measure: npv
  budget: {FY2027: 1000000, FY27: 5}
  mip_gap: 0.7
buckets:
  - {bucket: core, min_share: 0.6, max_share: 0.5}
  - {bucket: growth}
candidates:
  - {id: P-1, title: One, bucket: core, npv: 100, costs: [{period: FY2027, amount: -5}]}
  - {id: P-2, title: Two, bucket: moonshot, costs: [{period: FY2027, amount: 5}], depends_on: [P-9], force: in}
  - {id: P-2, title: <b>Three</b>, bucket: growth, npv: 1, costs: [{period: FY2027, amount: 5}], colour: red}
""",
    )
    name = str(path)
    with pytest.raises(InputRefused) as refused:
        problem_from_file(path)
    assert refused.value.problems == (
        Problem(name, "portfolio", "budget.FY27.[key]", "invalid-value", "String should match pattern '^FY\\d{4}$'"),
        Problem(name, "portfolio", "mip_gap", "out-of-range", "Input should be less than or equal to 0.5"),
        Problem(name, "buckets[0] core", "(record)", "inconsistent", "min_share 0.6 exceeds max_share 0.5"),
        Problem(name, "candidates[0] P-1", "costs[0].amount", "negative-amount", "amount must not be negative"),
        Problem(
            name,
            "candidates[1] P-2",
            "(record)",
            "inconsistent",
            "force and force_reason go together: give both or neither",
        ),
        Problem(name, "candidates[2] P-2", "title", "markup-in-text", "text must be plain, found markup '<b'"),
        Problem(name, "candidates[2] P-2", "colour", "unknown-field", "Extra inputs are not permitted"),
        Problem(
            name,
            "candidates[1] P-2",
            "bucket",
            "unknown-bucket",
            "bucket 'moonshot' has no bounds; buckets listed: core, growth",
        ),
        Problem(name, "candidates[1] P-2", "depends_on[0]", "unknown-reference", "no candidate P-9"),
        Problem(name, "candidates[1] P-2", "npv", "missing", "no npv given; the value measure is npv"),
        Problem(name, "candidates[2] P-2", "id", "duplicate-in-batch", "id P-2 is also candidates[1]"),
    )


def test_valid_file_with_bad_references(tmp_path: Path) -> None:
    data = json.loads(json.dumps(GOOD_FILE))
    data["buckets"] = [{"bucket": "core", "min_share": 0.6}, {"bucket": "growth", "min_share": 0.5}]
    data["candidates"][1].update(id="P-2026-0001", depends_on=[], excludes=["P-2026-0404"], bucket="legacy")
    del data["candidates"][0]["npv"]
    name = str(write(tmp_path, "refs.json", data))
    with pytest.raises(InputRefused) as refused:
        problem_from_file(name)
    assert refused.value.problems == (
        Problem(name, "buckets", "min_share", "inconsistent", "bucket min_share values add up to more than 1"),
        Problem(name, "candidates[0] P-2026-0001", "npv", "missing", "no npv given; the value measure is npv"),
        Problem(name, "candidates[1] P-2026-0001", "id", "duplicate-in-batch", "id P-2026-0001 is also candidates[0]"),
        Problem(
            name,
            "candidates[1] P-2026-0001",
            "bucket",
            "unknown-bucket",
            "bucket 'legacy' has no bounds; buckets listed: core, growth",
        ),
        Problem(name, "candidates[1] P-2026-0001", "excludes[0]", "unknown-reference", "no candidate P-2026-0404"),
    )


@pytest.mark.parametrize(
    ("name", "content", "problem_"),
    [
        pytest.param(
            "c.csv", "id\n1\n", ("", "", "unsupported-format", "a candidates file is .yaml, .yml or .json"), id="csv"
        ),
        pytest.param(
            "c.yaml",
            "- a: 1\n",
            ("", "", "not-a-record", "expected a mapping with currency, portfolio, buckets and candidates"),
            id="a-list",
        ),
        pytest.param(
            "c.json",
            "{",
            (
                "",
                "",
                "parse-error",
                "invalid JSON at line 1 column 2: Expecting property name enclosed in double quotes",
            ),
            id="bad-json",
        ),
        pytest.param("c.yaml", "", ("", "", "file-empty", "file is empty"), id="empty"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: str, problem_: tuple[str, str, str, str]) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(InputRefused) as refused:
        problem_from_file(path)
    assert refused.value.problems == (Problem(str(path), *problem_),)  # type: ignore[arg-type]


# -- command-line overrides -------------------------------------------------------------------


def test_with_overrides() -> None:
    base = problem(
        cand("A", 10, 10, npv=5),
        cand("B", 10, 10, bucket="growth", npv=7),
        budget={"FY2027": 100, "FY2028": 50},
        buckets={"core": ("0", "1"), "growth": ("0", "0.5")},
    )
    changed = with_overrides(
        base,
        budget={"FY2028": D("80.50"), "FY2029": D(10)},
        buckets={"growth": (D("0.1"), D("0.4"))},
        value_measure="npv",
        time_limit_seconds=10,
    )
    assert changed == replace(
        base,
        budget={"FY2027": D(100), "FY2028": D("80.50"), "FY2029": D(10)},
        buckets={"core": (D(0), D(1)), "growth": (D("0.1"), D("0.4"))},
        value_measure="npv",
        time_limit_seconds=10,
    )
    assert with_overrides(base) == base


def test_with_overrides_refused() -> None:
    base = problem(*(cand(f"P-{i}", 10, 10) for i in range(12)), buckets={"core": ("0", "1")})
    with pytest.raises(InputRefused) as refused:
        with_overrides(
            base,
            budget={"2027": D(1), "FY2028": D(-1), "FY2029": D("1.005"), "FY2030": D("1e16")},
            buckets={"moonshot": (D(0), D(1)), "core": (D("0.5"), D("0.2"))},
            value_measure="npv",
        )
    assert refused.value.problems == (
        Problem("command line", "--budget", "2027", "invalid-value", "a period is written FY2027"),
        Problem("command line", "--budget", "FY2028", "negative-amount", "amount must not be negative"),
        Problem("command line", "--budget", "FY2029", "invalid-value", "amount has more than 2 decimal places"),
        Problem("command line", "--budget", "FY2030", "out-of-range", "amount has more than 16 digits"),
        Problem("command line", "--bucket", "moonshot", "unknown-bucket", "no bucket moonshot: core"),
        Problem("command line", "--bucket", "core", "inconsistent", "minimum 0.5 exceeds maximum 0.2"),
        Problem(
            "command line",
            "--value-measure",
            "npv",
            "missing",
            "no npv for P-0, P-1, P-2, P-3, P-4, P-5, P-6, P-7, P-8, P-9 and 2 more",
        ),
    )
    with pytest.raises(InputRefused) as refused:
        with_overrides(base, buckets={"core": (D("1.5"), D(2))}, value_measure="roi", time_limit_seconds=0)
    assert refused.value.problems == (
        Problem("command line", "--bucket", "core", "out-of-range", "shares must be between 0 and 1"),
        Problem("command line", "--value-measure", "roi", "invalid-value", "choose score, ecv or npv"),
        Problem("command line", "--time-limit", "0", "out-of-range", "the time limit is 1 to 86400 seconds"),
    )
