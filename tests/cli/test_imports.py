"""`governance import status|projects` through maps, plans and exports, as a newcomer sees it at 80 columns."""

from __future__ import annotations

from pathlib import Path

from ..commands import run
from ..conftest import ROOT
from .conftest import counts

DATA = ROOT / "tests" / "data" / "imports"
MAPS = ROOT / "examples" / "imports"
NARROW = {"COLUMNS": "80"}

GMPP_2021Q1 = """\
Filed 3 status report(s) from gmpp.csv: 3 reported.
Where the figures come from:
  actual_cost       derived: forecast-x-elapsed
  baseline_cost     column 'TOTAL Baseline Whole Life Costs (£m) (including Non-
                    Government Costs)' in £m (x 1,000,000, x 1.17 GBP->EUR)
  commentary        column 'Departmental commentary on actions planned or taken
                    on the IPA RAG rating.'
  earned_value      derived: baseline-x-percent
  end_date          column 'Project - End Date (Latest Approved End Date)'
  forecast_cost     column 'Total Forecast Whole Life Costs (£m)' in £m (x
                    1,000,000, x 1.17 GBP->EUR)
  percent_complete  derived: elapsed-schedule
  planned_value     derived: baseline-x-elapsed
  project           column 'GMPP ID Number'
  quarter           financial-year column 'Financial Year'
  risk_level        column 'IPA Delivery Confidence Assessment (A Delivery
                    Confidence Assessment of the project at a fixed point in
                    time, using a five-point scale, Red – Amber/Red – Amber –
                    Amber/Green – Green; definitions in the IPA Annual Report on
                    Major Projects)'
  start_date        column 'Project - Start Date (Latest Approved Start Date)'
  submitted_on      derived: quarter-end
Amounts in EUR: AC actual cost, PV planned value, EV earned value (to date).
┏━━━━━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━┳━━━━━━┳━━━━━━┳━━━━━━━━┳━━━━━━━━┓
┃ project          ┃ quarter ┃     AC ┃   PV ┃   EV ┃ done % ┃ risk   ┃
┡━━━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━╇━━━━━━╇━━━━━━╇━━━━━━━━╇━━━━━━━━┩
│ MOJ_0031_1718-Q1 │ 2021Q1  │ 1.08bn │ 936M │ 936M │  66.68 │ high   │
│ DFT_0042_1819-Q2 │ 2021Q1  │   749M │ 736M │ 736M │  31.25 │ low    │
│ MOD_0107_1617-Q1 │ 2021Q1  │   468M │ 468M │ 468M │  61.17 │ medium │
└──────────────────┴─────────┴────────┴──────┴──────┴────────┴────────┘
"""

PLAN = """\
Filed 1 status report(s) from plan.xml: 1 reported.
Where the figures come from:
  actual_cost       summary task (OutlineLevel 0) ActualCost
  earned_value      leaf tasks: BCWP, else baseline Cost x PercentComplete
  planned_value     leaf tasks: BCWS, else baseline Cost over baseline
                    Start..Finish to the status date
  percent_complete  summary task PercentComplete
  milestones        Milestone tasks: complete -> hit; due by the status date,
                    not complete -> missed
  submitted_on      the plan's StatusDate (else --as-of)
  risk_level        --risk
Amounts in EUR: AC actual cost, PV planned value, EV earned value (to date).
┏━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━┳━━━━━━┳━━━━━━┳━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━┓
┃ project     ┃ quarter ┃   AC ┃   PV ┃   EV ┃ done % ┃ risk   ┃ action   ┃
┡━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━╇━━━━━━╇━━━━━━╇━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━┩
│ NW-RUN-HPC2 │ 2026Q4  │ 212k │ 516k │ 240k │     45 │ medium │ reported │
└─────────────┴─────────┴──────┴──────┴──────┴────────┴────────┴──────────┘
"""


def test_a_register_a_plan_and_an_export_are_filed_as_status_reports(workdir: Path) -> None:
    done = run(workdir, "import", "projects", str(DATA / "gmpp.csv"), "--map", str(MAPS / "gmpp-projects.yaml"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "Imported 3 project(s); 0 already on file."
    assert run(workdir, "import", "projects", str(ROOT / "examples" / "projects")).returncode == 0
    before = counts(workdir)
    args = ("import", "status", str(DATA / "gmpp.csv"), "--map", str(MAPS / "gmpp.yaml"), "--quarter", "2021Q1")
    checked = run(workdir, *args, "--dry-run", env=NARROW)
    assert (checked.returncode, checked.stderr) == (0, "")
    assert checked.stdout.splitlines()[0] == "Checked 3 status report(s) from gmpp.csv: nothing recorded (--dry-run)."
    assert counts(workdir) == before
    filed = run(workdir, *args, env=NARROW)
    assert (filed.returncode, filed.stderr, filed.stdout) == (0, "", GMPP_2021Q1)
    plan = run(workdir, "import", "status", str(DATA / "plan.xml"), "--project", "NW-RUN-HPC2", "--risk", "medium",
               env=NARROW)  # fmt: skip
    assert (plan.returncode, plan.stderr, plan.stdout) == (0, "", PLAN)
    again = run(workdir, *args, "--json")
    assert again.returncode == 0, again.stderr
    assert '"action": "unchanged"' in again.stdout and '"dry_run": false' in again.stdout


def test_a_bad_register_is_refused_whole_with_every_problem_named(workdir: Path, tmp_path: Path) -> None:
    text = (DATA / "gmpp.csv").read_text(encoding="utf-8")
    bad = tmp_path / "gmpp.csv"
    bad.write_text(text.replace(",Amber/Green,", ",Purple,").replace("31/03/2023", "2023-03-31"), encoding="utf-8")
    before = counts(workdir)
    result = run(workdir, "import", "status", str(bad), "--map", str(MAPS / "gmpp.yaml"), env=NARROW)
    dca = "IPA Delivery Confidence Assessment (A Delivery Confidence Assessment of the project at a fixed point "
    dca += "in time, using a five-point scale, Red – Amber/Red – Amber – Amber/Green – Green; definitions in the "
    dca += "IPA Annual Report on Major Projects)"
    end = "Project - End Date (Latest Approved End Date)"
    assert result.returncode == 1
    assert result.stdout == ""
    assert (
        result.stderr.replace("\n", " ").split()
        == (
            "error[input-refused]: submission refused, nothing was filed: 3 problem(s) in 1 file(s) "
            f"{bad}, row 2, {end}: '2023-03-31' is not a date in the map's format (%d/%m/%Y) [invalid-value] "
            f"{bad}, row 5, {end}: '2023-03-31' is not a date in the map's format (%d/%m/%Y) [invalid-value] "
            f"{bad}, row 6, {dca}: 'Purple' is not on the delivery-confidence scale; say what it means in the map's "
            "risk_values [invalid-value]"
        ).split()
    )
    assert counts(workdir) == before
    no_map = run(workdir, "import", "status", str(bad), env=NARROW)
    assert no_map.returncode == 2
    assert "needs --map MAP.yaml" in no_map.stderr
