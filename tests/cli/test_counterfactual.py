"""`governance replay --policy DRAFT`: the past under a draft policy, at 80 columns, as JSON, CSV and xlsx."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from governance.clock import FixedClock, SeededIds
from governance.ledger import Ledger
from governance.store import Store

from ..commands import run
from ..conftest import START
from ..governance.test_replay import SG, _history

NARROW = {"COLUMNS": "80"}


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with a proposal decided at gate 1 and a confirmed 2026Q3 review (a template to copy)."""
    folder = tmp_path_factory.mktemp("history")
    store = Store(f"sqlite:///{folder / 'governance.db'}")
    store.upgrade()
    _history(store, Ledger(FixedClock(START, dt.timedelta(milliseconds=1)), SeededIds("test"), "test"), folder)
    store.dispose()
    return folder


def _draft(folder: Path, change: Any = None, name: str = "draft.yaml") -> Path:
    data = json.loads(SG.text)
    if change is not None:
        change(data)
    path = folder / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _stricter(data: dict[str, Any]) -> None:
    data["gates"][0]["thresholds"]["go"] = "90"
    next(r for r in data["review_rules"] if r["id"] == "schedule-slip")["when"]["value"] = "0.85"


def _copy(history: Path, tmp_path: Path) -> None:
    shutil.copy(history / "governance.db", tmp_path / "governance.db")


def test_the_current_policy_as_a_draft_changes_nothing(history: Path, tmp_path: Path) -> None:
    _copy(history, tmp_path)
    done = run(tmp_path, "replay", "--policy", str(_draft(tmp_path)), env=NARROW)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "0 of 12 decision(s) would differ.\n"
        "Budget crossing go: EUR 0 into go, EUR 0 out of go.\n"
        "0 selection(s) would change; 0 board decision(s) would no longer match the\n"
        "recommendation.\n"
    )


def test_a_draft_lists_what_would_differ_at_80_columns(history: Path, tmp_path: Path) -> None:
    _copy(history, tmp_path)
    draft = _draft(tmp_path, _stricter)
    done = run(tmp_path, "replay", "--policy", str(draft), env=NARROW)
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert lines[0].startswith("Under the draft stage-gate (")
    assert "\n".join(lines[1:]) == (
        "┏━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┓\n"
        "┃ record ┃ subject     ┃ kind   ┃ change                ┃ why                  ┃\n"
        "┡━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━┩\n"
        "│ 5      │ P-2026-0001 │ gate   │ go -> conditional-go  │ score 80 >= 50 but < │\n"
        "│        │             │        │                       │ 90; go threshold 90  │\n"
        "│        │             │        │                       │ under the draft (was │\n"
        "│        │             │        │                       │ 60)                  │\n"
        "│ 6      │ P-2026-0001 │ board  │ go -> conditional-go  │ the board decided go │\n"
        "│        │             │        │                       │ at gate 1 as         │\n"
        "│        │             │        │                       │ recommended; the     │\n"
        "│        │             │        │                       │ draft recommends     │\n"
        "│        │             │        │                       │ conditional-go       │\n"
        "│ 23     │ Q-2026Q3    │ select │ 7 selected -> 7       │ would select         │\n"
        "│        │             │        │ selected              │ P-2026-0001; would   │\n"
        "│        │             │        │                       │ leave out            │\n"
        "│        │             │        │                       │ P-2026-0002          │\n"
        "│ 24     │ P-2026-0002 │ review │ continue -> pause     │ review rule          │\n"
        "│        │             │        │                       │ schedule-slip now    │\n"
        "│        │             │        │                       │ fires: SPI 0.82 is   │\n"
        "│        │             │        │                       │ below 0.85 (2026Q3)  │\n"
        "│ 26     │ P-2026-0002 │ board  │ continue -> pause     │ the board decided    │\n"
        "│        │             │        │                       │ continue at the      │\n"
        "│        │             │        │                       │ 2026Q3 review as     │\n"
        "│        │             │        │                       │ recommended; the     │\n"
        "│        │             │        │                       │ draft recommends     │\n"
        "│        │             │        │                       │ pause                │\n"
        "└────────┴─────────────┴────────┴───────────────────────┴──────────────────────┘\n"
        "3 of 12 decision(s) would differ (1 continue->pause, 1 go->conditional-go, 1\n"
        "selection).\n"
        "Budget crossing go: EUR 0 into go, EUR 0 out of go.\n"
        "1 selection(s) would change; 2 board decision(s) would no longer match the\n"
        "recommendation."
    )
    as_json = json.loads(run(tmp_path, "replay", "--policy", str(draft), "--json", "--kinds", "reviews").stdout)
    assert as_json["kinds"] == ["reviews"]
    assert as_json["totals"]["examined"] == {"reviews": 8}
    assert [(d["seq"], d["kind"], d["change"]) for d in as_json["differences"]] == [
        (24, "review", "continue->pause"),
        (26, "board", "board no longer matches"),
    ]
    later = json.loads(run(tmp_path, "replay", "--policy", str(draft), "--since", "2026-11-24", "--json").stdout)
    assert (later["since"], later["differences"]) == ("2026-11-24", [])


def test_csv_and_xlsx(history: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    _copy(history, tmp_path)
    draft = _draft(tmp_path, _stricter)
    done = run(tmp_path, "replay", "--policy", str(draft), "--kinds", "recommendations", "--csv", "out.csv",
               "--xlsx", "out.xlsx")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["Wrote out.csv.", "Wrote out.xlsx."]
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == (
        "record,kind,subject,was,would be,change,why,cost\n"
        "5,recommendation,P-2026-0001,go,conditional-go,go->conditional-go,"
        "score 80 >= 50 but < 90; go threshold 90 under the draft (was 60),\n"
        "6,board,P-2026-0001,go,conditional-go,board no longer matches,"
        "the board decided go at gate 1 as recommended; the draft recommends conditional-go,\n"
    )
    first = (tmp_path / "out.xlsx").read_bytes()
    again = run(tmp_path, "replay", "--policy", str(draft), "--kinds", "recommendations", "--xlsx", "out.xlsx")
    assert again.returncode == 0 and (tmp_path / "out.xlsx").read_bytes() == first  # deterministic bytes
    book = load_workbook(io.BytesIO(first))
    assert book.sheetnames == ["Differences", "Totals"]
    assert [list(r) for r in book["Differences"].iter_rows(values_only=True)] == [
        ["record", "kind", "subject", "was", "would be", "change", "why", "cost (EUR)"],
        [5, "recommendation", "P-2026-0001", "go", "conditional-go", "go->conditional-go",
         "score 80 >= 50 but < 90; go threshold 90 under the draft (was 60)", None],
        [6, "board", "P-2026-0001", "go", "conditional-go", "board no longer matches",
         "the board decided go at gate 1 as recommended; the draft recommends conditional-go", None],
    ]  # fmt: skip
    totals = dict(book["Totals"].iter_rows(min_row=2, values_only=True))
    assert totals["decisions that would differ"] == 1
    assert totals["board decisions that would no longer match"] == 1


def test_a_bad_draft_gets_the_errors_policy_check_gives(history: Path, tmp_path: Path) -> None:
    _copy(history, tmp_path)

    def broken(data: dict[str, Any]) -> None:
        data["gates"][0]["thresholds"]["go"] = "10"
        data["board"]["quorum"] = 0

    draft = _draft(tmp_path, broken, "bad.yaml")
    done = run(tmp_path, "replay", "--policy", "bad.yaml")
    checked = run(tmp_path, "policy", "check", "bad.yaml")
    assert (done.returncode, done.stdout) == (1, "")
    assert (
        done.stderr
        == checked.stderr
        == (
            "  also: bad.yaml: board.quorum: Input should be greater than or equal to 1\n"
            "error[policy-invalid]: policy bad.yaml is invalid: bad.yaml: gates.0.thresholds: "
            "Value error, thresholds must satisfy kill_below <= conditional_go <= go\n"
        )
    )
    assert draft.exists()
    missing = run(tmp_path, "replay", "--policy", "nowhere.yaml")
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr.startswith("error[policy-invalid]: policy nowhere.yaml: ")
    for args in (("--kinds", "votes"), ("--since", "2026-02-30"), ("P-2026-0001",), ("--all",)):
        usage = run(tmp_path, "replay", "--policy", str(draft), *args)
        assert (usage.returncode, usage.stdout) == (2, ""), args
    alone = run(tmp_path, "replay", "--all", "--kinds", "scores")
    assert (alone.returncode, alone.stdout) == (2, "")
    assert "Invalid value for '--kinds': only with --policy DRAFT.yaml" in alone.stderr


def test_the_counterfactual_pack(history: Path, tmp_path: Path) -> None:
    from governance.packs import read_pack

    _copy(history, tmp_path)
    draft = _draft(tmp_path, _stricter)
    done = run(tmp_path, "pack", "counterfactual", str(draft), "-o", "packs")
    assert (done.returncode, done.stderr) == (0, "")
    [path] = sorted((tmp_path / "packs").iterdir())
    assert done.stdout == f"Wrote packs/{path.name}\n"
    first = path.read_bytes()
    again = run(tmp_path, "pack", "counterfactual", str(draft), "-o", "packs")
    assert again.returncode == 0 and path.read_bytes() == first  # the same ledger and draft: the same bytes
    pack = read_pack(path)
    assert (pack.pdfa, pack.page_count, sorted(pack.attachments)) == (
        "3B",
        1,
        ["counterfactual.json", "draft-policy.json", "records.jsonl"],
    )
    result = json.loads(pack.attachments["counterfactual.json"])
    as_json = json.loads(run(tmp_path, "replay", "--policy", str(draft), "--json").stdout)
    assert result == as_json
    assert [r["seq"] for r in pack.records] == [5, 6, 23, 24, 26]
    assert pack.pages[0].startswith("Counterfactual replay")
    for words in ("decisions that would differ", "board decisions unmatched", "review rule schedule-slip now fires"):
        assert words in " ".join(pack.pages[0].split())
    bad = run(tmp_path, "pack", "counterfactual", "nowhere.yaml", "-o", "packs")
    assert (bad.returncode, bad.stdout) == (1, "")
    assert bad.stderr.startswith("error[policy-invalid]: policy nowhere.yaml: ")
