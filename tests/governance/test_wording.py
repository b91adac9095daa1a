"""Reasons in words and money in one format (governance.wording, governance.money).

The engine's stored wordings are reworded at display time, so the whole rewording of each kind of
stored text is asserted, and a property test runs the real rule evaluator over generated facts and
checks that no engine syntax survives the rewording of what it wrote.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from governance import rules
from governance.money import compact, money, typographic
from governance.wording import FACTS, fact_label, fact_value, reason_in_words
from models.policy import Comparison, Condition

CONDITION: TypeAdapter[Condition] = TypeAdapter(Condition)

WORDED = [
    # the review's wording, as review records store it (rule id: title: evidence (quarter))
    (
        "negative-ecv-high-risk: Negative ECV and high risk: ecv -2573753.09 < 0 and risk_level high in "
        "[high, critical] (2026Q4)",
        "negative-ecv-high-risk: Negative ECV and high risk: ECV EUR -2,573,753 is below EUR 0 and risk level "
        "high is one of high or critical (2026Q4)",
    ),
    (
        "cpi-low: CPI under 0.80: cpi 0.7142857 < 0.80 (2026Q3); cpi 0.71 < 0.80 (2026Q4)",
        "cpi-low: CPI under 0.80: CPI 0.71 is below 0.80 (2026Q3); CPI 0.71 is below 0.80 (2026Q4)",
    ),
    (
        "report-missing: No report: report_missing yes = yes (2026Q4)",
        "report-missing: No report: status report missing: yes (2026Q4)",
    ),
    ("percent_complete 100 >= 100", "percent complete 100% is at least 100%"),
    ("sponsor ana != submitter ana", "sponsor ana is not the submitter (ana)"),
    ("not (cpi 0.9 < 0.8)", "not (CPI 0.9 is below 0.8)"),
    ("budget_owner absent", "budget owner not given"),
    # the screening's wording, as screening records store it
    ("total_cost le 5000000 (is 4200000): yes", "total cost EUR 4,200,000 (must be at most EUR 5,000,000): met"),
    ("budget_owner present (is absent): no", "budget owner not given: not met"),
    ("budget_owner present (is Mia Holt): yes", "budget owner given: met"),
    ("sponsor ne submitter (ana) (is ana): no", "sponsor ana (must not be the submitter (ana)): not met"),
    ("p_technical ge 0.10 (is 0.05): no", "probability of technical success 5% (must be at least 10%): not met"),
    ("objective_count ge 1 (is 0): no", "objectives 0 (must be at least 1): not met"),
    # the selection's notes, with money printed to the cent
    ("value not positive (ecv -564,976.48)", "value not positive (ECV EUR -564,976)"),
    ("budget FY2027: needs 1,250,000.00, 900,000.50 left", "budget FY2027: needs EUR 1,250,000, EUR 900,001 left"),
    # what it does not know passes through
    ("forced out: pause", "forced out: pause"),
    ("not funded within budget", "not funded within budget"),
    ("it is in the plan", "it is in the plan"),
    ("P-2026-0007 depends on P-2026-0003 (not selected)", "P-2026-0007 depends on P-2026-0003 (not selected)"),
]


@pytest.mark.parametrize(("stored", "words"), WORDED, ids=[w[0][:40] for w in WORDED])
def test_stored_reasons_read_in_words(stored: str, words: str) -> None:
    assert reason_in_words(stored, "EUR") == words


def test_without_a_currency_amounts_stand_alone() -> None:
    assert reason_in_words("ecv -2573753.09 < 0") == "ECV -2,573,753 is below 0"


def test_fact_values_in_their_units() -> None:
    assert [
        fact_value("p_commercial", Decimal("0.35"), "EUR"),
        fact_value("total_cost", 4200000, "GBP"),
        fact_value("report_missing", False),
        fact_value("duration_days", 120),
        fact_value("risk_level", ["high", "critical"]),
        fact_value("budget_owner", None),
        fact_value("cpi", Decimal("0.714285")),
    ] == ["35%", "GBP 4,200,000", "no", "120 days", "high or critical", "not given", "0.71"]
    assert [fact_label("risk_level"), fact_label("ecv"), fact_label("some_new_fact")] == [
        "risk level",
        "ECV",
        "some new fact",
    ]


@pytest.mark.parametrize(
    ("value", "places", "full", "short"),
    [
        ("1250000.5", 0, "EUR 1,250,001", "EUR 1.25M"),
        ("-564976.48", 0, "EUR -564,976", "EUR -565k"),
        ("-564976.48", 2, "EUR -564,976.48", "EUR -565k"),
        ("-0.4", 0, "EUR 0", "EUR 0"),
        ("999950", 0, "EUR 999,950", "EUR 1.00M"),
        ("999.95", 2, "EUR 999.95", "EUR 1.00k"),
        ("1500000000", 0, "EUR 1,500,000,000", "EUR 1.50bn"),
        ("12", 0, "EUR 12", "EUR 12"),
    ],
)
def test_money_one_format(value: str, places: int, full: str, short: str) -> None:
    assert (money(Decimal(value), "EUR", places=places), compact(Decimal(value), "EUR")) == (full, short)


def test_money_missing_and_typographic() -> None:
    assert [money(None), money(""), money("abc"), compact(None), money(float("nan"))] == ["\u2013"] * 5
    assert typographic("EUR -1,200 and P-2026-0001 -x") == "EUR \u22121,200 and P-2026-0001 -x"


# -- the real evaluator's wordings lose their engine syntax ------------------------------------------

_NUMERIC = [name for name, fact in FACTS.items() if fact.kind in ("money", "ratio", "share", "count", "days")]
_NUMBERS = st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def _compared(draw: st.DrawFn) -> tuple[Condition, dict[str, Any]]:
    field = draw(st.sampled_from(_NUMERIC))
    op = draw(st.sampled_from(["lt", "le", "gt", "ge", "eq", "ne"]))
    condition = CONDITION.validate_python({"field": field, "op": op, "value": draw(_NUMBERS)})
    return condition, {field: draw(_NUMBERS)}


@given(_compared())
def test_no_engine_syntax_survives(case: tuple[Condition, dict[str, Any]]) -> None:
    condition, facts = case
    assert isinstance(condition, Comparison)
    evaluation = rules.check(condition, facts)
    for stored in (evaluation.explained(), *evaluation.because()):
        words = reason_in_words(stored, "EUR")
        assert fact_label(condition.field) in words
        assert "_" not in words  # no snake_case name is left
        assert not re.search(r"(?<![\w-])(<=|>=|!=|<|>| eq | ne | lt | le | gt | ge )", words), (stored, words)
