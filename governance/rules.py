"""Evaluating the policy's structured rules (field, operator, value; all / any / not).

Nothing is ever `eval`ed: a rule is data, and its evaluation returns the comparisons that
decided it, so every screening or review outcome carries its reasons.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from models.policy import AllOf, AnyOf, Comparison, Condition, NotOf

__all__ = ["evaluate", "lookup"]

_MISSING = object()


def lookup(facts: dict[str, Any], path: str) -> Any:
    """`a.b.c` in nested dicts; a missing step gives None."""
    value: Any = facts
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return None
    return value


def _num(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return None
    return None


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if op == "present":
        return actual not in (None, "", [])
    if op == "absent":
        return actual in (None, "", [])
    if op in ("in", "not_in"):
        inside = any(_equal(actual, e) for e in expected)
        return inside if op == "in" else not inside
    if op == "eq":
        return _equal(actual, expected)
    if op == "ne":
        return not _equal(actual, expected)
    left, right = _num(actual), _num(expected)
    if left is None or right is None:
        return False
    return {"lt": left < right, "le": left <= right, "gt": left > right, "ge": left >= right}[op]


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected
    left, right = _num(actual), _num(expected)
    if left is not None and right is not None and not (isinstance(actual, str) and isinstance(expected, str)):
        return left == right
    return bool(actual == expected)


def _show(value: Any) -> str:
    if value is None:
        return "absent"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def evaluate(condition: Condition, facts: dict[str, Any]) -> tuple[bool, list[str]]:
    """Evaluate `condition` on `facts`. Returns the result and the comparisons behind it."""
    if isinstance(condition, Comparison):
        actual = lookup(facts, condition.field)
        if condition.other is not None:
            expected = lookup(facts, condition.other)
            shown = f" {condition.other} ({_show(expected)})"
        else:
            expected = condition.value
            shown = "" if condition.op in ("present", "absent") else f" {_show(expected)}"
        result = _compare(condition.op, actual, expected)
        return result, [f"{condition.field} {condition.op}{shown} (is {_show(actual)}): {'yes' if result else 'no'}"]
    if isinstance(condition, AllOf):
        notes: list[str] = []
        for part in condition.all:
            ok, why = evaluate(part, facts)
            notes.extend(why)
            if not ok:
                return False, notes
        return True, notes
    if isinstance(condition, AnyOf):
        notes = []
        for part in condition.any:
            ok, why = evaluate(part, facts)
            notes.extend(why)
            if ok:
                return True, notes
        return False, notes
    assert isinstance(condition, NotOf)
    ok, why = evaluate(condition.not_, facts)
    return (not ok), [f"not ({'; '.join(why)})"]
