"""The quarterly board pack as a board reads it: text read back from the real PDF (WeasyPrint), charts."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from governance import packs
from governance.packs import charts
from governance.packs.quarter import register_risk
from governance.store import Store

from ..commands import chair_policy, run
from ..conftest import EXAMPLES

VOTES = ("--vote", "ana=accept", "--vote", "raj=accept", "--vote", "mia=accept")
OVERRIDE = "P-2026-0001=continue: the supplier pays for the extra board spin"


@pytest.fixture(scope="module")
def board_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two quarters reviewed and confirmed, the second with a board override of a pause, and its pack."""
    folder = tmp_path_factory.mktemp("board")
    # Bucket shares of the budget (not the shipped policy's shares of spend): eight running projects
    # cannot meet the minimums, so the pack shows an infeasible selection.
    policy = chair_policy(folder)
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace("  bucket_shares_of: spend\n", "  bucket_shares_of: budget\n"), encoding="utf-8")
    steps = [
        ("init", "--policy", str(policy)),
        ("import", "projects", str(EXAMPLES / "projects")),
        ("review", "--quarter", "2026Q3", "--reports", str(EXAMPLES / "status" / "2026Q3")),
        ("decide", "--quarter", "2026Q3", "--by", "ana", "--rationale", "Accepted.", *VOTES),
        ("review", "--quarter", "2026Q4", "--reports", str(EXAMPLES / "status" / "2026Q4")),
        ("decide", "--quarter", "2026Q4", "--rationale", "One change.", "--override", OVERRIDE, *VOTES),
    ]
    for step in steps:
        done = run(folder, *step)
        assert done.returncode == 0, (step, done.stderr)
    store = Store(f"sqlite:///{folder / 'governance.db'}")
    try:
        return packs.quarter_pack(store, "2026Q4", folder / "out")
    finally:
        store.dispose()


@pytest.fixture(scope="module")
def pages(board_pdf: Path) -> list[str]:
    return packs.read_pack(board_pdf).pages


@pytest.fixture(scope="module")
def demo_pages(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The demo's board pack: proposals and projects, a feasible selection and its frontier."""
    folder = tmp_path_factory.mktemp("demo")
    done = run(folder, "demo", timeout=600)
    assert done.returncode == 0, done.stderr
    return packs.read_pack(folder / "out" / "board-pack-2026Q4.pdf").pages


def _page_of(pages: list[str], needle: str) -> str:
    return next(p for p in pages if needle in p)


def test_the_pack_opens_with_a_one_page_dashboard(pages: list[str]) -> None:
    first = pages[0]
    for tile in ("budget", "committed spend", "value of the funded portfolio", "funded / left out"):
        assert tile in first, tile
    for outcome in ("continue", "resume", "pause", "stop", "complete"):
        assert outcome in first
    assert "Budget and committed spend per period (EUR)" in first
    assert "What changed since 2026Q3" in first
    assert re.search(r"P-2026-0002 .*: \w+ in 2026Q3, now stop", first)
    assert "Executive summary" not in first  # the dashboard is a page of its own


def test_reasons_and_facts_read_in_words(pages: list[str]) -> None:
    text = "\n".join(pages)
    for raw in ("risk_level", "report_missing", "percent_complete", " in [high", "ecv -", "False", "actual_cost"):
        assert raw not in text, raw
    page = next(p for p in pages if "Facts of the quarter" in p and "P-2026-0002" in p)
    assert "ECV EUR \u2212" in page and "is below EUR 0" in page  # the stop's reason
    for label in ("CPI", "SPI", "percent complete", "planned value", "actual cost", "status report sent"):
        assert label in page, label
    assert re.search(r"actual cost\s+EUR \d{1,3}(,\d{3})+", page)
    assert "sponsor" in page and "budget owner" in page


def test_funded_and_left_out_lists_name_every_candidate(demo_pages: list[str]) -> None:
    text = "\n".join(demo_pages)
    funded = re.search(r"Funded: (\d+) candidates?", text)
    left = re.search(r"Left out: (\d+) candidates?, and why", text)
    assert funded and left and int(funded.group(1)) > 0 and int(left.group(1)) > 0
    lists = " ".join(_page_of(demo_pages, "Funded: ").split())
    assert "# candidate title value cost score why" in lists
    assert re.search(r"\b1 P-2026-\d{4} .*?[\d,]+ [\d,]+ [\d.]+ ", lists)  # number, id, value, cost, score
    assert "of value per 1 of cost" in lists or "running project" in lists
    # Every candidate is numbered once, 1 .. n, in the order of the two lists (the bubble chart's key).
    total = int(funded.group(1)) + int(left.group(1))
    key = " ".join(_page_of(demo_pages, "Risk and value of every candidate").split())
    assert "# candidate title risk value funded" in key
    assert re.search(rf"\b{total} P-2026-\d{{4}}", " ".join(text.split()))
    assert "value not positive (ECV EUR \u2212" in " ".join(text.split())  # a left-out reason in words


def test_an_infeasible_selection_says_so_and_why_each_is_left_out(pages: list[str]) -> None:
    text = " ".join("\n".join(pages).split())
    assert "Funded: 0 candidates" in text
    assert "No feasible selection (infeasible)" in text
    assert "no feasible selection this quarter (infeasible)" in text
    assert "no frontier was computed" not in text


def test_an_override_is_reconciled_with_the_selection(pages: list[str]) -> None:
    page = next(p for p in pages if "Facts of the quarter" in p and "P-2026-0001" in p)
    assert "The board's decision and the selection" in page
    assert "The board decided continue against the review's recommendation (pause)" in " ".join(page.split())
    assert "not in the selection; the board decided continue" in " ".join(page.split())
    assert "Why the selection left it out" not in page
    assert "forced out" not in page
    summary = " ".join(_page_of(pages, "Executive summary").split())
    assert "Override: P-2026-0001 continue: the supplier pays for the extra board spin" in summary
    assert re.search(r"Votes: Ana Ribeiro \([^)]*\) accept; ", summary)  # names and roles, not logins


def test_frontier_has_a_title_units_and_a_row_per_level(demo_pages: list[str]) -> None:
    frontier = _page_of(demo_pages, "Efficient frontier: best value at each budget level (EUR)")
    assert "budget over the plan's periods (EUR)" in frontier
    assert "value (EUR)" in frontier
    ticks = re.sub(r"chosen: \S+", "", frontier)  # the chosen point's label is a value, not a tick
    assert not re.search(r"\b\d+\.\d\dM\b", ticks)  # no 3.00M, 11.25M ticks
    text = " ".join("\n".join(demo_pages).split())
    assert "budget best value status" in text
    assert re.search(r"EUR [\d,]+ EUR [\d,]+ optimal", text)
    gain = re.search(
        r"the next 10% of budget \(EUR [\d,]+\) would (add .*?: value EUR [\d,]+ more|add no value: .*?\.)",
        text,
        re.IGNORECASE,
    )
    assert gain, "the next slice is said, in words"
    assert "value EUR \u2212" not in text  # never proposes spending more to lose value


def test_the_bubble_chart_numbers_every_candidate_with_a_key(demo_pages: list[str]) -> None:
    page = _page_of(demo_pages, "Risk and value of every candidate (EUR)")
    assert "no report" not in page
    text = "\n".join(demo_pages)
    assert "(risk register)" in text and "(status report)" in text


def test_tables_repeat_their_header_and_no_page_is_nearly_empty(pages: list[str]) -> None:
    for n, page in enumerate(pages, start=1):
        body = [line for line in page.splitlines() if line.strip()][1:-2]  # less running title and footer
        assert len(body) >= 4, (n, page)
    assert not any(p.strip().startswith("Appendix") and "Facts of the quarter" not in p for p in pages)


def test_each_project_page_has_trend_charts_when_two_quarters_are_on_file(pages: list[str]) -> None:
    page = next(p for p in pages if "Facts of the quarter" in p and "P-2026-0001" in p)
    assert "Spend against plan (EUR)" in page
    assert "2026Q3" in page and "2026Q4" in page


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        (0, 36_000_000, [0, 10_000_000, 20_000_000, 30_000_000, 40_000_000]),
        (3_000_600, 36_000_000, [0, 10_000_000, 20_000_000, 30_000_000, 40_000_000]),
        (-4_051_524, 2_281_679, [-6_000_000, -4_000_000, -2_000_000, 0, 2_000_000, 4_000_000]),
        (0, 9_000_000, [0, 2_500_000, 5_000_000, 7_500_000, 10_000_000]),
        (0.6, 1.0, [0.6, 0.7, 0.8, 0.9, 1.0]),
    ],
)
def test_ticks_are_round(low: float, high: float, ticks: list[float]) -> None:
    assert charts._ticks(low, high) == pytest.approx(ticks)


def test_frontier_chart_marks_infeasible_and_time_limited_levels() -> None:
    points = [
        charts.FrontierPoint(Decimal(1_000_000), None, status="infeasible", reason="bucket minimums exceed it"),
        charts.FrontierPoint(Decimal(2_000_000), Decimal(500_000), status="time-limit"),
        charts.FrontierPoint(Decimal(3_000_000), Decimal(900_000), chosen=True),
    ]
    svg = charts.frontier_chart(points, currency="EUR")
    assert "Efficient frontier: best value at each budget level (EUR)" in svg
    assert svg.count('fill="white"') == 2  # the infeasible level and the one that ran out of time
    assert "chosen: 900k" in svg
    assert svg == charts.frontier_chart(points, currency="EUR")


def test_bubbles_carry_their_numbers_and_stay_put() -> None:
    bubbles = [
        charts.Bubble(f"P-{i}", 1 + i % 4, Decimal(i * 1000 - 5000), Decimal(100 + i), i % 2 == 0, number=i)
        for i in range(1, 13)
    ]
    svg = charts.bubble_chart(bubbles, currency="EUR")
    for i in range(1, 13):
        assert f">{i}</text>" in svg
    assert svg == charts.bubble_chart(bubbles, currency="EUR")
    assert "no report" not in svg


@pytest.mark.parametrize(
    ("risks", "rank"),
    [
        ([], 1),
        ([{"likelihood": 2, "impact": 2}], 1),
        ([{"likelihood": 1, "impact": 5}], 2),
        ([{"likelihood": 3, "impact": 3}, {"likelihood": 2, "impact": 5}], 3),
        ([{"likelihood": 4, "impact": 4}], 3),
        ([{"likelihood": 4, "impact": 5}], 4),
    ],
)
def test_risk_from_the_register(risks: list[dict[str, int]], rank: int) -> None:
    assert register_risk(risks) == rank


def test_the_risk_page_shows_the_quarter_s_simulation(demo_pages: list[str]) -> None:
    page = _page_of(demo_pages, "Portfolio risk: the selection simulated")
    text = " ".join(page.split())
    assert (
        "20,000 trials of the 14 funded projects (simulation record 149, seed 1): PERT three-point estimates, "
        "correlated 0.3 within a bucket and 0.1 across; each project succeeds technically and commercially with its "
        "own probabilities. Value: mean EUR 6,823,303, P10 EUR 1,819,117, P50 EUR 7,125,896, P90 EUR 11,257,414; "
        "the chance the portfolio loses money is 3.5%. 12 of the 14 have no three-point ranges on file"
    ) in text
    assert "P-2026-0005 Smart radiator valve with Thread 49.4%" in text
    assert "and 6 more" in text
    assert "Portfolio value: chance it is at most x (EUR)" in text
    assert "P10 1.82M P50 7.13M P90 11.26M" in text
    assert text.count("P(over budget) 0.0%") == 2  # FY2027 and FY2028


def test_the_risk_charts_escape_and_place_their_marks() -> None:
    from governance.packs import risk_charts

    curve = str(risk_charts.value_curve([Decimal(v) for v in range(-9, 10)], [("P50 <b>", Decimal(0))], "EUR"))
    assert "P50 &lt;b&gt; 0" in curve and "<b>" not in curve
    assert "loss" in curve  # values below zero: the loss region is shaded and named
    fan = str(
        risk_charts.spend_fan_chart(
            [risk_charts.SpendBand("FY2027", Decimal(100), Decimal(80), Decimal(95), Decimal(120), Decimal("0.3"))],
            "EUR",
        )
    )
    assert "P(over budget) 30.0%" in fan and 'stroke="#c2410c"' in fan  # over budget: the budget line warns
