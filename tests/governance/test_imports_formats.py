"""Microsoft Project XML (MSPDI) and Jira / Azure DevOps exports as status reports: whole reports against
hand-computed figures, hostile XML, and what an export cannot give refused with its reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from governance.errors import InputRefused, Problem
from governance.imports import load_map
from governance.imports.mspdi import read_mspdi_status
from governance.imports.trackers import read_tracker_status

from ..conftest import ROOT

DATA = ROOT / "tests" / "data" / "imports"
PLAN = DATA / "plan.xml"
MAPS = ROOT / "examples" / "imports"
AS_OF = dt.date(2026, 11, 20)


def test_a_project_plan_gives_this_report() -> None:
    (read,), sources = read_mspdi_status(PLAN, "NW-RUN-HPC2", "EUR", risk_level="medium")
    # AC: the summary task's ActualCost 21200000 hundredths = 212,000.00.
    # EV: Design's BCWP 120,000 + Robot cell 300,000 x 40 % + Warehouse software 200,000 x 0 % = 240,000.
    # PV: Design's BCWS 120,000 + 300,000 x 234/262 days (2026-04-01..12-18 at 11-20) + 200,000 x 173/271
    #     (2026-06-01..2027-02-26) = 120,000 + 267,938.93 + 127,675.28 = 515,614.21.
    assert read.report.model_dump(mode="json") == {
        "project": "NW-RUN-HPC2",
        "quarter": "2026Q4",
        "submitted_on": "2026-11-20",
        "actual_cost": "212000.00",
        "planned_value": "515614.21",
        "earned_value": "240000.00",
        "percent_complete": "45",
        "risk_level": "medium",
        "cost_forecast": {},
        "benefits_forecast": {},
        "milestones_hit": ["Design sign-off"],
        "milestones_missed": ["Pilot cell live"],
        "commentary": None,
    }
    assert (read.file, read.label) == (str(PLAN), "Project")
    assert sources["earned_value"] == "leaf tasks: BCWP, else baseline Cost x PercentComplete"


def _plan(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "plan.xml"
    path.write_text(PLAN.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    return path


def test_without_a_status_date_the_plan_needs_as_of(tmp_path: Path) -> None:
    path = _plan(tmp_path, "<StatusDate>2026-11-20T17:00:00</StatusDate>", "")
    with pytest.raises(InputRefused) as refused:
        read_mspdi_status(path, "NW-RUN-HPC2", "EUR", risk_level="medium")
    assert refused.value.problems == (
        Problem(str(path), "Project", "StatusDate", "missing", "the plan has no StatusDate: give --as-of"),
    )
    (read,), _ = read_mspdi_status(path, "NW-RUN-HPC2", "EUR", risk_level="medium", as_of=AS_OF)
    assert read.report.earned_value == 240000


def test_what_a_plan_cannot_give_is_refused_with_its_reason(tmp_path: Path) -> None:
    path = _plan(tmp_path, "<CurrencyCode>EUR</CurrencyCode>", "<CurrencyCode>USD</CurrencyCode>")
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "<Baseline>\n\t\t\t\t<Number>0</Number>\n\t\t\t\t<Start>2026-06-01T08:00:00</Start>",
            "<Baseline>\n\t\t\t\t<Number>2</Number>\n\t\t\t\t<Start>2026-06-01T08:00:00</Start>",
        ),
        encoding="utf-8",
    )
    with pytest.raises(InputRefused) as refused:
        read_mspdi_status(path, "NW-RUN-HPC2", "EUR")
    with pytest.raises(InputRefused) as refused_eur:
        read_mspdi_status(_plan(tmp_path, "x-never-there", ""), "NW-RUN-HPC2", "EUR", quarter="2026Q3")
    assert [str(p) for p in refused.value.problems] == [
        f"{path}, Project, CurrencyCode: the plan is in USD, the policy's amounts in EUR [inconsistent]",
    ]
    assert [str(p) for p in refused_eur.value.problems] == [
        f"{tmp_path / 'plan.xml'}, Project, StatusDate: the status date 2026-11-20 is not in 2026Q3 [wrong-quarter]",
        f"{tmp_path / 'plan.xml'}, Project, risk_level: a plan gives no risk level: give --risk "
        "low|medium|high|critical [missing]",
    ]
    path = _plan(
        tmp_path, "<Number>0</Number>\n\t\t\t\t<Start>2026-06-01", "<Number>1</Number>\n\t\t\t\t<Start>2026-06-01"
    )
    with pytest.raises(InputRefused) as refused:
        read_mspdi_status(path, "NW-RUN-HPC2", "EUR", risk_level="low")
    assert [str(p) for p in refused.value.problems] == [
        f"{path}, task UID 4, Baseline: 'Warehouse software' has no baseline (Number 0 with Start, Finish, Cost) and "
        "no BCWS/BCWP: set a baseline in Project and save again [missing]"
    ]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE Project [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Project xmlns="http://schemas.microsoft.com/project"><Name>&lol3;</Name></Project>
"""
EXTERNAL = """<?xml version="1.0"?>
<!doctype Project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Project xmlns="http://schemas.microsoft.com/project"><Name>&secret;</Name></Project>
"""


@pytest.mark.parametrize(
    ("text", "record", "declaration"),
    [(BILLION_LAUGHS, "line 2", "DOCTYPE"), (EXTERNAL, "line 2", "DOCTYPE"),
     ('<Project xmlns="http://schemas.microsoft.com/project">\n<!ENTITY x "y"></Project>', "line 2", "ENTITY")],
    ids=["billion-laughs", "external-entity", "bare-entity"],
)  # fmt: skip
def test_hostile_xml_is_refused_before_parsing(tmp_path: Path, text: str, record: str, declaration: str) -> None:
    path = tmp_path / "hostile.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputRefused) as refused:
        read_mspdi_status(path, "NW-RUN-HPC2", "EUR", risk_level="low")
    assert refused.value.problems == (
        Problem(str(path), record, "", "parse-error", f"a {declaration} declaration is refused: a plan needs none, and "
                "one could make the parser read other files or expand without end"),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [("<Project><Name>x</Name></Project>", "not Microsoft Project XML (a Project element in "
      "http://schemas.microsoft.com/project)"),
     ("<Project xmlns='http://schemas.microsoft.com/project'><Name>", None)],
    ids=["other-namespace", "truncated"],
)  # fmt: skip
def test_other_xml_is_refused(tmp_path: Path, text: str, message: str | None) -> None:
    path = tmp_path / "other.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputRefused) as refused:
        read_mspdi_status(path, "NW-RUN-HPC2", "EUR", risk_level="low")
    (problem,) = refused.value.problems
    assert problem.code == ("unsupported-format" if message else "parse-error")
    if message:
        assert problem.message == message
    else:
        assert problem.message.startswith("invalid XML: no element found")


def test_a_jira_export_gives_this_report() -> None:
    (read,), sources = read_tracker_status(
        DATA / "jira.csv", load_map(MAPS / "jira.yaml"), "jira.yaml", "EUR", as_of=AS_OF
    )
    # Work under HPC-1: HPC-2..HPC-5 (the sub-task HPC-6 is in HPC-3's Σ); 2 of 4 done -> 50 %, EV 700,000.
    # AC: Σ Time Spent 165,600 + 302,400 + 129,600 s = 166 h x 95 = 15,770. PV: 1,400,000 x 292/422 days
    # (2026-02-02..2027-03-30 at 2026-11-20) = 968,720.38. HPC-1 is due 2027-03-30: not yet a milestone missed.
    assert read.report.model_dump(mode="json") == {
        "project": "NW-RUN-HPC2",
        "quarter": "2026Q4",
        "submitted_on": "2026-11-20",
        "actual_cost": "15770.00",
        "planned_value": "968720.38",
        "earned_value": "700000.00",
        "percent_complete": "50.00",
        "risk_level": "medium",
        "cost_forecast": {},
        "benefits_forecast": {},
        "milestones_hit": [],
        "milestones_missed": [],
        "commentary": None,
    }
    assert sources["actual_cost"] == "'Σ Time Spent' (seconds) x rate 95 EUR/hour"


def test_a_jira_label_takes_every_epic_with_it_as_milestones(tmp_path: Path) -> None:
    data = yaml.safe_load((MAPS / "jira.yaml").read_text(encoding="utf-8"))
    data["tracker"]["projects"][0] = {"project": "NW-RUN-HPC2", "label": "hpc2", "budget": 1400000, "risk_level": "low"}
    path = tmp_path / "label.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (read,), _ = read_tracker_status(DATA / "jira.csv", load_map(path), str(path), "EUR", as_of=AS_OF)
    # HPC-7 (an epic labelled hpc2, due 2026-10-31, to do) is missed; the span is 2026-02-02..2027-03-30 as before.
    assert (read.report.milestones_hit, read.report.milestones_missed) == ([], ["Beta firmware released"])
    assert (read.report.earned_value, read.report.planned_value) == (700000, read.report.planned_value)


def test_an_azure_devops_export_gives_this_report() -> None:
    imap = load_map(MAPS / "azure-devops.yaml")
    (read,), _ = read_tracker_status(DATA / "ado.csv", imap, "azure-devops.yaml", "EUR", as_of=AS_OF)
    # Work under epic 501 (through its features): 504-508; done (Closed, Resolved): 504, 505, 508.
    # By estimate: (100 + 60 + 16) / (100 + 60 + 120 + 80 + 16) = 176/376 = 46.81 %; EV 850,000 x 176/376.
    # AC: Completed Work 120 + 40 + 80 + 0 + 16 = 256 h x 110 = 28,160. PV: 850,000 x 310/532 (2026-01-15..
    # 2027-06-30). Feature 502 closed: hit; 503 due 2026-10-30 and active: missed.
    assert read.report.model_dump(mode="json") == {
        "project": "NW-RUN-CLOUDMIG",
        "quarter": "2026Q4",
        "submitted_on": "2026-11-20",
        "actual_cost": "28160.00",
        "planned_value": "495300.75",
        "earned_value": "397872.34",
        "percent_complete": "46.81",
        "risk_level": "low",
        "cost_forecast": {},
        "benefits_forecast": {},
        "milestones_hit": ["Telemetry ingestion on managed service"],
        "milestones_missed": ["Device registry cut-over"],
        "commentary": None,
    }


def test_a_tracker_map_without_a_rate_is_refused_with_the_reason(tmp_path: Path) -> None:
    data = yaml.safe_load((MAPS / "jira.yaml").read_text(encoding="utf-8"))
    del data["tracker"]["rate"]
    path = tmp_path / "norate.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputRefused) as refused:
        load_map(path)
    assert [str(p) for p in refused.value.problems] == [
        f"{path}, map, tracker: rate: an export gives hours spent, not cost: give the cost of an hour (in the "
        "policy's currency) for actual_cost [missing]"
    ]


def test_what_an_export_lacks_is_named(tmp_path: Path) -> None:
    export = tmp_path / "jira.csv"
    text = (DATA / "jira.csv").read_text(encoding="utf-8")
    export.write_text(text.replace("Σ Time Spent", "Time Spent").replace("03/Dec/26", "2026-12-03"), encoding="utf-8")
    imap = load_map(MAPS / "jira.yaml")
    with pytest.raises(InputRefused) as refused:
        read_tracker_status(export, imap, "jira.yaml", "EUR", as_of=AS_OF)
    assert [str(p) for p in refused.value.problems] == [
        f"{export}, row 1, Σ Time Spent: no column 'Σ Time Spent' in this jira export [missing]"
    ]
    with pytest.raises(InputRefused) as refused:
        read_tracker_status(DATA / "jira.csv", imap, "jira.yaml", "EUR")
    assert [str(p) for p in refused.value.problems] == [
        f"{DATA / 'jira.csv'}: an export has no status date: give --as-of YYYY-MM-DD [missing]"
    ]
    export.write_text(text.replace("02/Feb/26 9:00 AM", "2 Feb 2026"), encoding="utf-8")
    with pytest.raises(InputRefused) as refused:
        read_tracker_status(export, imap, "jira.yaml", "EUR", as_of=AS_OF)
    assert [str(p) for p in refused.value.problems] == [
        f"{export}, row 2, Custom field (Start date): '2 Feb 2026' is not a date like '03/Dec/26 12:00 AM' "
        "[invalid-value]",
        "jira.yaml, tracker.projects[0]: planned_value needs a start and a due date on the epic HPC-1 (row 2) "
        "[missing]",
    ]
