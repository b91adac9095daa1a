"""`governance scenario` at 80 columns: create, list, show, compare (two and three, `--json`), commit through the
board's path (the `selected` record replays), delete, and bad input (one line, exit 1 or 2, nothing saved)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from ..commands import run
from ..conftest import EXAMPLES
from .conftest import counts, engine_in

ROOT = Path(__file__).resolve().parents[2]
# This tree's code in the command's process (the installed script would import the installed package's).
NARROW = {"PYTHONPATH": str(ROOT), "COLUMNS": "80"}
VOTES = ("--vote", "ana=accept", "--vote", "raj=accept", "--vote", "lee=accept")


def gov(folder: Path, *args: str) -> tuple[int, str, str]:
    result = run(folder, *args, env=NARROW)
    return result.returncode, result.stdout, result.stderr


def _scenarios(folder: Path) -> list[str]:
    with sqlite3.connect(folder / "governance.db") as conn:
        return [r[0] for r in conn.execute("SELECT name FROM scenarios ORDER BY name")]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The eight example projects with their 2026Q3 reports, and three scenarios: base, lean, bold."""
    from governance import reports

    folder = tmp_path_factory.mktemp("scenarios")
    assert gov(folder, "init")[0] == 0
    assert gov(folder, "import", "projects", str(EXAMPLES / "projects"))[0] == 0
    with engine_in(folder, "reports") as (store, book):
        filed = reports.read_status_reports([EXAMPLES / "status" / "2026Q3"], "2026Q3")
        reports.file_status_reports(store, book, filed, "pmo")
    assert gov(folder, "scenario", "create", "base") == (
        0,
        "Saved scenario base (the portfolio as of record 17): optimal, value 2,029,356 (ecv), 7 of 8 funded.\n"
        "Simulated value P10 782,428, P50 7,516,554, P90 12,489,530.\n"
        "Details: governance scenario show base\n",
        "",
    )
    assert gov(folder, "scenario", "create", "lean", "--budget", "FY2027=4500000")[0] == 0
    assert gov(folder, "scenario", "create", "bold", "--force-in", "P-2026-0002", "--value", "npv")[0] == 0
    return folder


@pytest.fixture
def folder(saved: Path, tmp_path: Path) -> Path:
    shutil.copy(saved / "governance.db", tmp_path / "governance.db")
    shutil.copytree(saved / "policy", tmp_path / "policy")
    return tmp_path


def test_list_and_show(saved: Path) -> None:
    code, stdout, stderr = gov(saved, "scenario", "list")
    assert (code, stderr) == (0, "")
    assert stdout == LIST
    code, stdout, stderr = gov(saved, "scenario", "show", "lean")
    assert (code, stderr) == (0, "")
    assert stdout == SHOW_LEAN
    code, stdout, _ = gov(saved, "scenario", "list", "--json")
    assert [(s["name"], s["created_by"], s["ledger_seq"], len(s["selected"])) for s in json.loads(stdout)] == [
        ("base", "ana", 17, 7),
        ("bold", "ana", 17, 7),
        ("lean", "ana", 17, 6),
    ]


def test_compare_two_and_three_side_by_side_and_as_json(saved: Path) -> None:
    assert gov(saved, "scenario", "compare", "base", "lean") == (0, COMPARE_TWO, "")
    assert gov(saved, "scenario", "compare", "base", "lean", "bold") == (0, COMPARE_THREE, "")
    code, stdout, _ = gov(saved, "scenario", "compare", "base", "lean", "bold", "--json")
    data = json.loads(stdout)
    assert code == 0
    assert [s["name"] for s in data["scenarios"]] == ["base", "lean", "bold"]
    assert (data["periods"], data["currency"]) == (["FY2027", "FY2028"], "EUR")
    assert data["in_all"] == sorted(set.intersection(*(set(s["selected"]) for s in data["scenarios"])))
    assert data["in_some"] == {
        i: [s["name"] for s in data["scenarios"] if i in s["selected"]]
        for i in sorted(set.union(*(set(s["selected"]) for s in data["scenarios"])) - set(data["in_all"]))
    }


def test_commit_needs_quorum_then_records_a_selection_that_replays(folder: Path) -> None:
    before = counts(folder)
    refused = gov(folder, "scenario", "commit", "lean", "--rationale", "Leaner.", "--vote", "ana=accept")
    assert refused == (
        1,
        "",
        "error[decision-refused]: no quorum: 1 vote(s) cast on committing scenario lean, the quorum is 3; give "
        "--vote NAME=accept|reject\n",
    )
    assert gov(folder, "scenario", "commit", "lean", "--rationale", "Leaner.", *VOTES, "--as", "mia") == (
        1,
        "",
        "error[forbidden]: ana may not commit-scenario for mia: the policy has no delegation from mia to ana for "
        "commit-scenario\n",
    )
    assert counts(folder) == before
    assert gov(folder, "scenario", "commit", "lean", "--rationale", "Leaner.", *VOTES) == (
        0,
        "Committed scenario lean: record 18 (selected, 6 funded) and record 19 (scenario-committed). `governance "
        "replay 18` re-solves it.\n",
        "",
    )
    code, stdout, _ = gov(folder, "replay", "18", "--json")
    assert code == 0
    assert [(r["seq"], r["kind"], r["subject"], r["status"]) for r in json.loads(stdout)] == [
        (18, "selected", "portfolio", "match")
    ]
    code, stdout, _ = gov(folder, "verify")
    assert code == 0 and stdout.startswith("Ledger verified: 19 records, head 19:"), stdout
    assert gov(folder, "scenario", "commit", "lean", "--rationale", "Again.", *VOTES) == (
        1,
        "",
        "error[conflict]: scenario lean was committed already (record 19); nothing was recorded\n",
    )


def test_a_draft_policy_file_values_the_portfolio_under_its_portfolio_section(folder: Path) -> None:
    policy = folder / "policy" / "stage-gate.yaml"
    draft = folder / "policy" / "draft.yaml"
    text = policy.read_text(encoding="utf-8")
    assert "  budget: {FY2027: 9000000, FY2028: 9000000}\n" in text and "  value_measure: ecv\n" in text
    text = text.replace("  budget: {FY2027: 9000000, FY2028: 9000000}", "  budget: {FY2027: 4500000, FY2028: 9000000}")
    draft.write_text(text, encoding="utf-8")
    code, stdout, stderr = gov(folder, "scenario", "create", "drafted", "--policy", str(draft))
    assert (code, stderr) == (0, "")
    assert stdout.splitlines()[0] == (
        "Saved scenario drafted (the portfolio as of record 17): optimal, value 1,765,235 (ecv), 6 of 8 funded."
    )
    code, stdout, _ = gov(folder, "scenario", "show", "drafted", "--json")
    shown = json.loads(stdout)
    lean = json.loads(gov(folder, "scenario", "show", "lean", "--json")[1])
    assert shown["selected"] == lean["selected"] and shown["changes"]["policy"] is not None
    assert shown["changes"]["budget"] == {}  # the budget is the draft's own, not a change on top


def test_delete_and_bad_input(folder: Path) -> None:
    assert gov(folder, "scenario", "delete", "bold") == (0, "Deleted scenario bold.\n", "")
    assert _scenarios(folder) == ["base", "lean"]
    cases = {
        ("scenario", "delete", "bold"): "error[not-found]: no scenario named 'bold' (saved: base, lean)\n",
        ("scenario", "show", "Bad_Name"): (
            "error[input-refused]: scenario refused, nothing was saved: 1 problem(s)\n"
            "  command line, NAME, Bad_Name: a scenario name is 1 to 40 lowercase letters, digits and dashes, not "
            "starting with a dash [invalid-value]\n"
        ),
        ("scenario", "create", "base"): (
            "error[conflict]: a scenario named 'base' exists already: delete it first, or choose another name\n"
        ),
        ("scenario", "create", "x", "--force-in", "P-2099-0001", "--budget", "2027=1"): (
            "error[input-refused]: scenario refused, nothing was saved: 2 problem(s)\n"
            "  command line, --budget, 2027: a period is written FY2027 [invalid-value]\n"
            "  command line, --force-in, P-2099-0001: no candidate P-2099-0001 (P-2026-0001, P-2026-0002, "
            "P-2026-0003, P-2026-0004, P-2026-0005, P-2026-0006, P-2026-0007, P-2026-0008) [unknown-reference]\n"
        ),
        ("scenario", "create", "x", "--weight", "luck=1", "--weight", "strategic-fit=2"): (
            "error[input-refused]: scenario refused, nothing was saved: 1 problem(s)\n"
            "  command line, --weight, luck: no scored criterion luck (core-competencies, financial-reward, "
            "market-attractiveness, market-need, product-advantage, strategic-fit, technical-feasibility) "
            "[unknown-reference]\n"
        ),
        ("scenario", "compare", "base"): (
            "error[input-refused]: scenario refused, nothing was saved: 1 problem(s)\n"
            "  command line, NAME, base: name two scenarios or more [invalid-value]\n"
        ),
        ("scenario", "compare", "base", "nope"): "error[not-found]: no scenario named 'nope' (saved: base, lean)\n",
    }
    for argv, stderr in cases.items():
        assert gov(folder, *argv) == (1, "", stderr), argv
    code, _, stderr = gov(folder, "scenario", "create", "x", "--bucket", "growth=a:b")
    assert code == 2 and "expected BUCKET=MIN:MAX shares" in stderr
    assert _scenarios(folder) == ["base", "lean"]


LIST = (
    "┏━━━━━━┳━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━┓\n"
    "┃ name ┃ by  ┃ made       ┃ status  ┃     value ┃ funded ┃ changes             ┃\n"
    "┡━━━━━━╇━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━┩\n"
    "│ base │ ana │ 2026-11-23 │ optimal │ 2,029,356 │      7 │ none: the portfolio │\n"
    "│      │     │            │         │           │        │ as it stands        │\n"
    "│ bold │ ana │ 2026-11-23 │ optimal │ 6,290,057 │      7 │ value measure npv;  │\n"
    "│      │     │            │         │           │        │ forced in:          │\n"
    "│      │     │            │         │           │        │ P-2026-0002         │\n"
    "│ lean │ ana │ 2026-11-23 │ optimal │ 1,765,235 │      6 │ budget FY2027:      │\n"
    "│      │     │            │         │           │        │ 4,500,000           │\n"
    "└──────┴─────┴────────────┴─────────┴───────────┴────────┴─────────────────────┘\n"
)
SHOW_LEAN = (
    "Scenario lean: made by ana on 2026-11-23, from the portfolio as of record 17\n"
    "  change: budget FY2027: 4,500,000\n"
    "\n"
    "  note: costs in FY2026 are not constrained: no budget for it (8 candidates, EUR\n"
    "    4,400,000)\n"
    "Selection by ecv: optimal; value EUR 1,765,235, bound EUR 1,765,235, gap 0; 6 of\n"
    "  8 funded.\n"
    "┏━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━┓\n"
    "┃ period ┃ budget (EUR) ┃ spend (EUR) ┃ left (EUR) ┃\n"
    "┡━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━┩\n"
    "│ FY2027 │    4,500,000 │   4,340,000 │    160,000 │\n"
    "│ FY2028 │    9,000,000 │     300,000 │  8,700,000 │\n"
    "└────────┴──────────────┴─────────────┴────────────┘\n"
    "┏━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓\n"
    "┃ bucket         ┃ spend (EUR) ┃ minimum (EUR) ┃ maximum (EUR) ┃\n"
    "┡━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩\n"
    "│ new-products   │   1,700,000 │     1,392,000 │     2,784,000 │\n"
    "│ platform       │   1,200,000 │       696,000 │     1,856,000 │\n"
    "│ improvements   │     840,000 │       464,000 │     1,624,000 │\n"
    "│ cost-reduction │     900,000 │       232,000 │     1,160,000 │\n"
    "└────────────────┴─────────────┴───────────────┴───────────────┘\n"
    "┏━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓\n"
    "┃ funded      ┃ title                               ┃\n"
    "┡━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩\n"
    "│ P-2026-0001 │ Heat pump controller gen2           │\n"
    "│ P-2026-0003 │ Energy label 2026 compliance update │\n"
    "│ P-2026-0004 │ SMT line upgrade in Brno            │\n"
    "│ P-2026-0006 │ Service data hub                    │\n"
    "│ P-2026-0007 │ Valve PCB cost-down                 │\n"
    "│ P-2026-0008 │ Installer portal relaunch           │\n"
    "└─────────────┴─────────────────────────────────────┘\n"
    "┏━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓\n"
    "┃ left out    ┃ why                                                            ┃\n"
    "┡━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩\n"
    "│ P-2026-0002 │ value not positive (ECV EUR -2,042,135); budget FY2027: needs  │\n"
    "│             │ EUR 1,300,000, EUR 160,000 left; bucket new-products would     │\n"
    "│             │ fall below its minimum (30% of spend): needs EUR 1,800,000,    │\n"
    "│             │ EUR 1,026,667 fits; bucket platform at its maximum (40% of     │\n"
    "│             │ spend): needs EUR 1,800,000, EUR 1,093,333 fits                │\n"
    "│ P-2026-0005 │ budget FY2027: needs EUR 650,000, EUR 160,000 left             │\n"
    "└─────────────┴────────────────────────────────────────────────────────────────┘\n"
    "Efficient frontier\n"
    "┏━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━┓\n"
    "┃ budget share ┃ budget (EUR) ┃ best value (EUR) ┃ funded ┃ solved  ┃\n"
    "┡━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━┩\n"
    "│          17% │    2,250,450 │                0 │      0 │ optimal │\n"
    "│          33% │    4,499,550 │                0 │      0 │ optimal │\n"
    "│          50% │    6,750,000 │                0 │      0 │ optimal │\n"
    "│          67% │    9,000,450 │                0 │      0 │ optimal │\n"
    "│          83% │   11,249,550 │        1,412,267 │      5 │ optimal │\n"
    "│         100% │   13,500,000 │        1,765,235 │      6 │ optimal │\n"
    "│         117% │   15,750,450 │        2,029,356 │      7 │ optimal │\n"
    "│         133% │   17,999,550 │        2,029,356 │      7 │ optimal │\n"
    "│         150% │   20,250,000 │        2,029,356 │      7 │ optimal │\n"
    "│         167% │   22,500,450 │        2,029,356 │      7 │ optimal │\n"
    "│         183% │   24,749,550 │        2,029,356 │      7 │ optimal │\n"
    "│         200% │   27,000,000 │        2,029,356 │      7 │ optimal │\n"
    "└──────────────┴──────────────┴──────────────────┴────────┴─────────┘\n"
    "The next EUR 1,350,000 of budget would add EUR 244,213 of value (adds\n"
    "  P-2026-0005; drops P-2026-0003).\n"
    "A spreadsheet's greedy choice (value per cost until the budget runs out): value\n"
    "  EUR 2,375,969, EUR 610,734 more, by breaking the constraints below; only in\n"
    "  the optimum: P-2026-0006; only in greedy: P-2026-0005.\n"
    "  greedy breaks: bucket platform minimum 15% of spend: greedy spends 0.00 of EUR\n"
    "    4,090,000\n"
    "\n"
    "Simulated: the 6 selected\n"
    "20,000 trials, seed 1, PERT estimates, correlation 0.3 within a bucket, 0.1 across\n"
    "\n"
    "Portfolio value (EUR): P(value < 0) = 6.9%\n"
    "┏━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━┓\n"
    "┃       ┃      mean ┃     P10 ┃       P50 ┃        P90 ┃\n"
    "┡━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━┩\n"
    "│ value │ 6,138,444 │ 906,581 │ 7,495,840 │ 11,248,858 │\n"
    "└───────┴───────────┴─────────┴───────────┴────────────┘\n"
    "Spend per period (EUR)\n"
    "┏━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━┓\n"
    "┃ period ┃    budget ┃      mean ┃       P50 ┃       P90 ┃ P(over) ┃       P10 ┃\n"
    "┡━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━┩\n"
    "│ FY2027 │ 4,500,000 │ 4,212,980 │ 4,340,000 │ 4,340,000 │    0.0% │ 3,740,000 │\n"
    "│ FY2028 │ 9,000,000 │   300,000 │   300,000 │   300,000 │    0.0% │   300,000 │\n"
    "└────────┴───────────┴───────────┴───────────┴───────────┴─────────┴───────────┘\n"
    "What drives the spread\n"
    "┏━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓\n"
    "┃ project     ┃ share of variance ┃\n"
    "┡━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩\n"
    "│ P-2026-0001 │             87.2% │\n"
    "│ P-2026-0006 │              4.8% │\n"
    "│ P-2026-0008 │              3.4% │\n"
    "│ P-2026-0004 │              3.3% │\n"
    "│ P-2026-0007 │              1.1% │\n"
    "│ P-2026-0003 │              0.2% │\n"
    "└─────────────┴───────────────────┘\n"
    "6 of 6 have no three-point ranges on file: their costs and benefits are their point estimates, and "
    "only their success or failure varies (--json lists them).\n"
)
COMPARE_TWO = (
    "Scenarios compared (EUR)\n"
    "┏━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━┓\n"
    "┃                ┃       base ┃       lean ┃\n"
    "┡━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━┩\n"
    "│ status         │    optimal │    optimal │\n"
    "│ value measure  │        ecv │        ecv │\n"
    "│ value          │  2,029,356 │  1,765,235 │\n"
    "│ funded         │          7 │          6 │\n"
    "│ spend FY2027   │  4,990,000 │  4,340,000 │\n"
    "│ spend FY2028   │    300,000 │    300,000 │\n"
    "│ budget FY2027  │  9,000,000 │  4,500,000 │\n"
    "│ budget FY2028  │  9,000,000 │  9,000,000 │\n"
    "│ value P10      │    782,428 │    906,581 │\n"
    "│ value P50      │  7,516,554 │  7,495,840 │\n"
    "│ value P90      │ 12,489,530 │ 11,248,858 │\n"
    "│ P(value < 0)   │       4.9% │       6.9% │\n"
    "│ P(over) FY2027 │       0.0% │       0.0% │\n"
    "│ P(over) FY2028 │       0.0% │       0.0% │\n"
    "└────────────────┴────────────┴────────────┘\n"
    "In all 2: P-2026-0001, P-2026-0003, P-2026-0004, P-2026-0006, P-2026-0007, P-2026-0008\n"
    "In some only\n"
    "┏━━━━━━━━━━━━━┳━━━━━━┳━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓\n"
    "┃ project     ┃ base ┃ lean ┃ title                            ┃\n"
    "┡━━━━━━━━━━━━━╇━━━━━━╇━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩\n"
    "│ P-2026-0005 │   in │    - │ Zigbee bridge for legacy sensors │\n"
    "└─────────────┴──────┴──────┴──────────────────────────────────┘\n"
)
COMPARE_THREE = (
    "Scenarios compared (EUR)\n"
    "┏━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━┓\n"
    "┃                ┃       base ┃       lean ┃      bold ┃\n"
    "┡━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━┩\n"
    "│ status         │    optimal │    optimal │   optimal │\n"
    "│ value measure  │        ecv │        ecv │       npv │\n"
    "│ value          │  2,029,356 │  1,765,235 │ 6,290,057 │\n"
    "│ funded         │          7 │          6 │         7 │\n"
    "│ spend FY2027   │  4,990,000 │  4,340,000 │ 5,390,000 │\n"
    "│ spend FY2028   │    300,000 │    300,000 │   500,000 │\n"
    "│ budget FY2027  │  9,000,000 │  4,500,000 │ 9,000,000 │\n"
    "│ budget FY2028  │  9,000,000 │  9,000,000 │ 9,000,000 │\n"
    "│ value P10      │    782,428 │    906,581 │  -417,572 │\n"
    "│ value P50      │  7,516,554 │  7,495,840 │ 6,331,574 │\n"
    "│ value P90      │ 12,489,530 │ 11,248,858 │ 9,898,858 │\n"
    "│ P(value < 0)   │       4.9% │       6.9% │     13.3% │\n"
    "│ P(over) FY2027 │       0.0% │       0.0% │      0.0% │\n"
    "│ P(over) FY2028 │       0.0% │       0.0% │      0.0% │\n"
    "└────────────────┴────────────┴────────────┴───────────┘\n"
    "In all 3: P-2026-0001, P-2026-0003, P-2026-0004, P-2026-0007, P-2026-0008\n"
    "In some only\n"
    "┏━━━━━━━━━━━━━┳━━━━━━┳━━━━━━┳━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓\n"
    "┃ project     ┃ base ┃ lean ┃ bold ┃ title                                     ┃\n"
    "┡━━━━━━━━━━━━━╇━━━━━━╇━━━━━━╇━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩\n"
    "│ P-2026-0002 │    - │    - │   in │ Device backend migration to managed cloud │\n"
    "│ P-2026-0005 │   in │    - │   in │ Zigbee bridge for legacy sensors          │\n"
    "│ P-2026-0006 │   in │   in │    - │ Service data hub                          │\n"
    "└─────────────┴──────┴──────┴──────┴───────────────────────────────────────────┘\n"
)
