"""The policy's structured rules: one evaluation, worded two ways (screening's `because`, the review's `explain`).

Both wordings are stored in ledger records, so their whole texts are asserted, and a property test
holds them to the code that wrote them before the two shared one evaluation (kept below as the
reference).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from governance import rules
from models.policy import AllOf, AnyOf, Comparison, Condition, NotOf, ReviewRule

CONDITION: TypeAdapter[Condition] = TypeAdapter(Condition)


def _when(data: dict[str, Any]) -> Condition:
    return CONDITION.validate_python(data)


FACTS: dict[str, Any] = {
    "cpi": Decimal("0.71"),
    "spi": None,
    "risk_level": "high",
    "report_missing": False,
    "milestones": ["Beta", "EMC"],
    "state": "active",
    "bucket": "platform",
    "budget": {"owner": "Mia"},
    "count": 3,
}


def test_explain_shows_the_numbers_a_rule_was_decided_on() -> None:
    rule = ReviewRule.model_validate(
        {
            "id": "x",
            "outcome": "pause",
            "reason": "r",
            "when": {
                "any": [
                    {"field": "spi", "op": "lt", "value": 0.75},
                    {"not": {"field": "commentary", "op": "present"}},
                    {"field": "state", "op": "ne", "other": "bucket"},
                ]
            },
        }
    )
    facts = {"spi": Decimal("0.70"), "state": "active", "bucket": "platform"}
    assert (
        rules.explain(rule.when, facts)
        == "spi 0.70 < 0.75 or not (commentary absent) or state active != bucket platform"
    )
    assert rules.explain(rule.when, dict(facts, spi=Decimal("0.9"), state="platform")) == "not (commentary absent)"


@pytest.mark.parametrize(
    ("when", "held", "because", "explained"),
    [
        ({"field": "cpi", "op": "eq", "value": "0.710"}, True, "cpi eq 0.710 (is 0.71): yes", "cpi 0.71 = 0.710"),
        (
            {"field": "risk_level", "op": "ne", "value": "low"},
            True,
            "risk_level ne low (is high): yes",
            "risk_level high != low",
        ),
        ({"field": "cpi", "op": "lt", "value": 0.8}, True, "cpi lt 0.8 (is 0.71): yes", "cpi 0.71 < 0.8"),
        ({"field": "count", "op": "le", "value": 2}, False, "count le 2 (is 3): no", "count 3 <= 2"),
        ({"field": "spi", "op": "gt", "value": 1}, False, "spi gt 1 (is absent): no", "spi absent > 1"),
        ({"field": "count", "op": "ge", "value": 3}, True, "count ge 3 (is 3): yes", "count 3 >= 3"),
        (
            {"field": "risk_level", "op": "in", "value": ["high", "critical"]},
            True,
            "risk_level in [high, critical] (is high): yes",
            "risk_level high in [high, critical]",
        ),
        (
            {"field": "state", "op": "not_in", "value": ["active", "paused"]},
            False,
            "state not_in [active, paused] (is active): no",
            "state active not in [active, paused]",
        ),
        ({"field": "budget.owner", "op": "present"}, True, "budget.owner present (is Mia): yes", "budget.owner is Mia"),
        ({"field": "spi", "op": "present"}, False, "spi present (is absent): no", "spi absent"),
        ({"field": "spi", "op": "absent"}, True, "spi absent (is absent): yes", "spi absent"),
        (
            {"field": "milestones", "op": "absent"},
            False,
            "milestones absent (is [Beta, EMC]): no",
            "milestones is [Beta, EMC]",
        ),
        (
            {"field": "report_missing", "op": "eq", "value": False},
            True,
            "report_missing eq False (is False): yes",
            "report_missing no = no",
        ),
        (
            {"field": "state", "op": "eq", "other": "bucket"},
            False,
            "state eq bucket (platform) (is active): no",
            "state active = bucket platform",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and " " not in v else None,
)
def test_each_operator_in_both_wordings(when: dict[str, Any], held: bool, because: str, explained: str) -> None:
    condition = _when(when)
    assert rules.evaluate(condition, FACTS) == (held, [because])
    assert rules.explain(condition, FACTS) == explained


LOW = {"field": "cpi", "op": "lt", "value": 0.8}  # holds
LATE = {"field": "count", "op": "gt", "value": 5}  # fails
RISKY = {"field": "risk_level", "op": "eq", "value": "high"}  # holds


@pytest.mark.parametrize(
    ("when", "held", "because", "explained"),
    [
        # An all: `because` stops at the first part that fails, `explain` shows every part.
        (
            {"all": [LOW, LATE, RISKY]},
            False,
            ["cpi lt 0.8 (is 0.71): yes", "count gt 5 (is 3): no"],
            "cpi 0.71 < 0.8 and count 3 > 5 and risk_level high = high",
        ),
        (
            {"all": [LOW, RISKY]},
            True,
            ["cpi lt 0.8 (is 0.71): yes", "risk_level eq high (is high): yes"],
            "cpi 0.71 < 0.8 and risk_level high = high",
        ),
        # An any: `because` stops at the first part that holds, `explain` shows the parts that held.
        (
            {"any": [LATE, LOW, RISKY]},
            True,
            ["count gt 5 (is 3): no", "cpi lt 0.8 (is 0.71): yes"],
            "cpi 0.71 < 0.8 or risk_level high = high",
        ),
        # ... or every part when none held.
        (
            {"any": [LATE, {"field": "spi", "op": "present"}]},
            False,
            ["count gt 5 (is 3): no", "spi present (is absent): no"],
            "count 3 > 5 or spi absent",
        ),
        (
            {"not": {"all": [LOW, LATE]}},
            True,
            ["not (cpi lt 0.8 (is 0.71): yes; count gt 5 (is 3): no)"],
            "not (cpi 0.71 < 0.8 and count 3 > 5)",
        ),
        (
            {"all": [{"any": [LATE, RISKY]}, {"not": LATE}]},
            True,
            ["count gt 5 (is 3): no", "risk_level eq high (is high): yes", "not (count gt 5 (is 3): no)"],
            "risk_level high = high and not (count 3 > 5)",
        ),
    ],
    ids=["all-fails", "all-holds", "any-holds", "any-fails", "not", "nested"],
)
def test_all_any_not_in_both_wordings(when: dict[str, Any], held: bool, because: list[str], explained: str) -> None:
    condition = _when(when)
    assert rules.evaluate(condition, FACTS) == (held, because)
    assert rules.explain(condition, FACTS) == explained
    result = rules.check(condition, FACTS)  # one evaluation, both wordings
    assert (result.held, result.because(), result.explained()) == (held, because, explained)


# -- the reference: the two implementations before they shared one evaluation ---------------------


def _ref_show(value: Any) -> str:
    if value is None:
        return "absent"
    if isinstance(value, list):
        return "[" + ", ".join(_ref_show(v) for v in value) + "]"
    return str(value)


def _ref_evaluate(condition: Condition, facts: dict[str, Any]) -> tuple[bool, list[str]]:
    if isinstance(condition, Comparison):
        actual = rules.lookup(facts, condition.field)
        if condition.other is not None:
            expected = rules.lookup(facts, condition.other)
            shown = f" {condition.other} ({_ref_show(expected)})"
        else:
            expected = condition.value
            shown = "" if condition.op in ("present", "absent") else f" {_ref_show(expected)}"
        result = rules._compare(condition.op, actual, expected)
        return result, [
            f"{condition.field} {condition.op}{shown} (is {_ref_show(actual)}): {'yes' if result else 'no'}"
        ]
    if isinstance(condition, AllOf):
        notes: list[str] = []
        for part in condition.all:
            ok, why = _ref_evaluate(part, facts)
            notes.extend(why)
            if not ok:
                return False, notes
        return True, notes
    if isinstance(condition, AnyOf):
        notes = []
        for part in condition.any:
            ok, why = _ref_evaluate(part, facts)
            notes.extend(why)
            if ok:
                return True, notes
        return False, notes
    assert isinstance(condition, NotOf)
    ok, why = _ref_evaluate(condition.not_, facts)
    return (not ok), [f"not ({'; '.join(why)})"]


_SYMBOL = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "in": "in", "not_in": "not in"}


def _ref_text(value: Any) -> str:
    if value is None:
        return "absent"
    if isinstance(value, list):
        return "[" + ", ".join(_ref_text(v) for v in value) + "]"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _ref_explain(condition: Condition, facts: dict[str, Any]) -> str:
    if isinstance(condition, Comparison):
        actual = rules.lookup(facts, condition.field)
        if condition.op in ("present", "absent"):
            return f"{condition.field} {'is ' + _ref_text(actual) if actual is not None else 'absent'}"
        expected = rules.lookup(facts, condition.other) if condition.other else condition.value
        right = f"{condition.other} {_ref_text(expected)}" if condition.other else _ref_text(expected)
        return f"{condition.field} {_ref_text(actual)} {_SYMBOL[condition.op]} {right}"
    if isinstance(condition, AllOf):
        return " and ".join(_ref_explain(c, facts) for c in condition.all)
    if isinstance(condition, AnyOf):
        held = [c for c in condition.any if _ref_evaluate(c, facts)[0]]
        return " or ".join(_ref_explain(c, facts) for c in (held or condition.any))
    assert isinstance(condition, NotOf)
    return f"not ({_ref_explain(condition.not_, facts)})"


_FIELDS = ["a", "b", "c", "d.e", "missing"]
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.decimals(min_value=-3, max_value=3, places=2, allow_nan=False),
    st.sampled_from(["x", "y", "1", "1.0", ""]),
    st.lists(st.sampled_from(["x", "y"]), max_size=2),
)
_SCALARS = st.one_of(
    st.booleans(),
    st.integers(-3, 3),
    st.decimals(min_value=-3, max_value=3, places=1, allow_nan=False),
    st.sampled_from(["x", "y", "1"]),
)

_NUMBERS = st.one_of(  # what an order comparison may name (the policy refuses any other value)
    st.integers(-3, 3),
    st.decimals(min_value=-3, max_value=3, places=1, allow_nan=False),
    st.sampled_from(["1", "-0.5"]),
)


@st.composite
def _comparison(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(st.sampled_from(_FIELDS))
    op = draw(st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "present", "absent"]))
    if op in ("present", "absent"):
        return {"field": field, "op": op}
    if op in ("in", "not_in"):
        return {"field": field, "op": op, "value": draw(st.lists(_SCALARS, min_size=1, max_size=3))}
    if draw(st.booleans()):
        return {"field": field, "op": op, "other": draw(st.sampled_from(_FIELDS))}
    return {"field": field, "op": op, "value": draw(_NUMBERS if op in ("lt", "le", "gt", "ge") else _SCALARS)}


_CONDITIONS = st.recursive(
    _comparison(),
    lambda inner: st.one_of(
        st.builds(lambda parts: {"all": parts}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda parts: {"any": parts}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda part: {"not": part}, inner),
    ),
    max_leaves=8,
)


@pytest.mark.parametrize("value", ["lots", True, "NaN", "2027-01-01"])
def test_an_order_comparison_with_a_value_that_is_no_number_is_refused(value: object) -> None:
    """It would be false for every proposal or project: a screening rule so written screens out everything."""
    with pytest.raises(ValueError, match=f"operator 'le' compares numbers, not {value!r}"):
        _when({"field": "total_cost", "op": "le", "value": value})


@settings(max_examples=300, deadline=None)
@given(
    when=_CONDITIONS,
    a=_VALUES,
    b=_VALUES,
    c=_VALUES,
    e=_VALUES,
)
def test_both_wordings_are_the_texts_stored_before(when: dict[str, Any], a: Any, b: Any, c: Any, e: Any) -> None:
    condition = _when(when)
    facts = {"a": a, "b": b, "c": c, "d": {"e": e}}
    assert rules.evaluate(condition, facts) == _ref_evaluate(condition, facts)
    assert rules.explain(condition, facts) == _ref_explain(condition, facts)
