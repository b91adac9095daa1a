"""Seeded sample proposals, valid against policies/stage-gate.yaml, written as CSV (or one YAML file).

The CSV layout is the one governance/sources.py reads: plain columns, `;`-separated lists, a column
per period for costs and benefits, `fte:<role>:<period>` columns and `title (L3/I4)` risks.
About one proposal in ten fails a must-meet screening rule, and about one in five depends on
proposals generated before it (possibly in an earlier file).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

import yaml

from governance.policy import load_policy

__all__ = ["CSV_COLUMNS", "proposal_row", "write_csv_batch", "write_one_yaml"]

_POLICY = load_policy("stage-gate").policy
BUCKETS = sorted(_POLICY.bucket_ids())
OBJECTIVES = sorted(_POLICY.objective_ids())
PEOPLE = [
    "Katrin Vogel",
    "Lukas Weber",
    "Anja Roth",
    "Henrik Aalto",
    "Sofia Nowak",
    "Bernd Kaiser",
    "Elena Rossi",
    "Julia Lehmann",
    "Eva Lindgren",
    "Marek Dvorak",
    "Ines Ferreira",
    "Tomas Berg",
]
WORDS = [
    "thermostat",
    "controller",
    "heat",
    "pump",
    "ventilation",
    "sensor",
    "firmware",
    "platform",
    "retrofit",
    "installer",
    "portal",
    "telemetry",
    "gateway",
    "module",
    "damper",
    "valve",
    "zoning",
    "commissioning",
    "cloud",
    "matter",
    "thread",
    "energy",
    "label",
    "recycled",
    "packaging",
    "assembly",
    "supplier",
    "margin",
    "growth",
    "customer",
    "retention",
    "market",
    "segment",
    "pilot",
    "rollout",
    "warranty",
    "service",
    "spare",
    "parts",
    "dealer",
    "wholesale",
    "quality",
    "compliance",
]
COST_YEARS = ("FY2027", "FY2028", "FY2029")
BENEFIT_YEARS = ("FY2028", "FY2029", "FY2030", "FY2031", "FY2032")
ROLES = ("Firmware engineer", "Hardware engineer", "Product manager")

CSV_COLUMNS = [
    "reference",
    "title",
    "summary",
    "sponsor",
    "submitter",
    "budget_owner",
    "bucket",
    "objectives",
    "start_date",
    "end_date",
    "p_technical",
    "p_commercial",
    "depends_on",
    "excludes",
    *(f"{part}:{year}" for year in COST_YEARS for part in ("development", "launch")),
    *(f"benefit:{year}" for year in BENEFIT_YEARS),
    *(f"fte:{role}:FY2027" for role in ROLES),
    "risks",
]


def reference(index: int) -> str:
    return f"BENCH-{index:06d}"


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def proposal_row(rng: random.Random, index: int) -> dict[str, str]:
    """One proposal as a CSV row (every value a string, blank when absent)."""
    sponsor, submitter, owner = rng.sample(PEOPLE, 3)
    fault = rng.random()
    if fault < 0.04:
        owner = ""  # fails "a budget owner is named"
    elif fault < 0.07:
        submitter = sponsor  # fails "the sponsor is not the submitter"
    objectives = rng.sample(OBJECTIVES, rng.randint(1, 3)) if fault >= 0.10 or fault < 0.07 else []
    depends: list[str] = []
    if index > 0 and rng.random() < 0.2:
        depends = sorted({reference(rng.randrange(index)) for _ in range(rng.randint(1, 2))})
    start_year = rng.choice((2027, 2028))
    row = {
        "reference": reference(index),
        "title": f"{_words(rng, 4).capitalize()} {index}",
        "summary": f"{_words(rng, 30).capitalize()}. {_words(rng, 20).capitalize()}.",
        "sponsor": sponsor,
        "submitter": submitter,
        "budget_owner": owner,
        "bucket": rng.choice(BUCKETS),
        "objectives": ";".join(objectives),
        "start_date": f"{start_year}-{rng.randint(1, 12):02d}-01",
        "end_date": f"{start_year + rng.randint(1, 2)}-{rng.randint(1, 12):02d}-28",
        "p_technical": f"{rng.randint(5, 95) / 100:.2f}",
        "p_commercial": f"{rng.randint(15, 95) / 100:.2f}",
        "depends_on": ";".join(depends),
        "excludes": "",
    }
    for year in COST_YEARS:
        row[f"development:{year}"] = str(rng.randrange(50, 3000) * 1000)
        row[f"launch:{year}"] = str(rng.randrange(0, 1000) * 1000)
    for year in BENEFIT_YEARS:
        row[f"benefit:{year}"] = str(rng.randrange(0, 4000) * 1000)
    for role in ROLES:
        row[f"fte:{role}:FY2027"] = f"{rng.randint(0, 40) / 4:.2f}"
    row["risks"] = "; ".join(
        f"{_words(rng, 5).capitalize()} (L{rng.randint(1, 5)}/I{rng.randint(1, 5)})" for _ in range(rng.randint(1, 3))
    )
    return row


def write_csv_batch(folder: Path, count: int, files: int, seed: int) -> list[Path]:
    """`count` proposals spread over `files` CSV files (references BENCH-000000 ...)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    per_file = -(-count // files)
    paths = []
    for number, start in enumerate(range(0, count, per_file), start=1):
        path = folder / f"batch-{number:02d}.csv"
        with path.open("w", encoding="utf-8", newline="") as sink:
            writer = csv.DictWriter(sink, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            for index in range(start, min(start + per_file, count)):
                writer.writerow(proposal_row(rng, index))
        paths.append(path)
    return paths


def write_one_yaml(path: Path, seed: int, ref: str = "BENCH-ONE") -> Path:
    """One passing proposal with no dependencies, as a YAML file (what `governance submit` gets)."""
    rng = random.Random(seed)
    row = proposal_row(rng, 0)
    data: dict[str, Any] = {
        "reference": ref,
        "title": row["title"],
        "summary": row["summary"],
        "sponsor": "Katrin Vogel",
        "submitter": "Lukas Weber",
        "budget_owner": "Anja Roth",
        "bucket": BUCKETS[0],
        "objectives": OBJECTIVES[:2],
        "start_date": "2027-02-01",
        "end_date": "2028-09-30",
        "costs": [
            {"period": year, "development": int(row[f"development:{year}"]), "launch": int(row[f"launch:{year}"])}
            for year in COST_YEARS
        ],
        "benefits": [{"period": year, "amount": int(row[f"benefit:{year}"])} for year in BENEFIT_YEARS],
        "p_technical": 0.8,
        "p_commercial": 0.6,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
