"""Evaluating the policy's structured rules (field, operator, value; all / any / not), and wording them.

Nothing is ever `eval`ed: a rule is data. `check` evaluates a condition once into an `Evaluation`
(each comparison's result with the values it compared), and the one place that words a result
makes two wordings of it:

- `Evaluation.because()` (what `evaluate` returns): the comparisons that decided the result, one
  line each, with the operator's name: `total_cost le 5000000 (is 4200000): yes`. Screening
  records store these lines.
- `Evaluation.explained()` (what `explain` returns): the rule with the figures it was decided on,
  in symbols: `cpi 0.71 < 0.8`, `ecv -2573753.09 < 0 and risk_level high in [high, critical]`.
  Quarterly review records store these reasons.

Both wordings are in ledger records already written, so each keeps its exact text: two formatters
over one evaluation, never two evaluations.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from models.policy import AllOf, AnyOf, Comparison, Condition, NotOf

__all__ = ["Evaluation", "check", "evaluate", "explain", "lookup"]

# The review's wording of each operator (`present` and `absent` are worded on their own).
_SYMBOL = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "in": "in", "not_in": "not in"}


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


def _word(value: Any, *, yes_no: bool) -> str:
    """A value in a reason: None is `absent`, a list `[a, b]`; a yes/no is `yes`/`no` in the review's
    wording and `True`/`False` in the screening's (as each was stored)."""
    if value is None:
        return "absent"
    if isinstance(value, list):
        return "[" + ", ".join(_word(v, yes_no=yes_no) for v in value) + "]"
    if yes_no and isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A condition evaluated on a set of facts: whether it held, and how each part of it came out.

    A comparison keeps the values it compared (`actual`: the field's value; `expected`: the rule's
    value, or the other field's value); all / any / not keep each part's evaluation, every part
    evaluated (the wordings choose which parts they show).
    """

    condition: Condition
    held: bool
    actual: Any = None
    expected: Any = None
    parts: tuple[Evaluation, ...] = ()

    def because(self) -> list[str]:
        """The screening's wording: one line per comparison that decided the result, in order (an
        all stops at its first part that failed, an any at its first part that held)."""
        condition = self.condition
        if isinstance(condition, Comparison):
            if condition.other is not None:
                shown = f" {condition.other} ({_word(self.expected, yes_no=False)})"
            elif condition.op in ("present", "absent"):
                shown = ""
            else:
                shown = f" {_word(self.expected, yes_no=False)}"
            actual = _word(self.actual, yes_no=False)
            return [f"{condition.field} {condition.op}{shown} (is {actual}): {'yes' if self.held else 'no'}"]
        if isinstance(condition, NotOf):
            return [f"not ({'; '.join(self.parts[0].because())})"]
        stop_at = isinstance(condition, AnyOf)  # an all is decided by a part that fails, an any by one that holds
        notes: list[str] = []
        for part in self.parts:
            notes.extend(part.because())
            if part.held == stop_at:
                break
        return notes

    def explained(self) -> str:
        """The review's wording: the condition with the figures it was decided on (an all shows every
        part, an any the parts that held, or every part when none did)."""
        condition = self.condition
        if isinstance(condition, Comparison):
            actual = _word(self.actual, yes_no=True)
            if condition.op in ("present", "absent"):
                return f"{condition.field} {'is ' + actual if self.actual is not None else 'absent'}"
            expected = _word(self.expected, yes_no=True)
            right = f"{condition.other} {expected}" if condition.other is not None else expected
            return f"{condition.field} {actual} {_SYMBOL[condition.op]} {right}"
        if isinstance(condition, AllOf):
            return " and ".join(part.explained() for part in self.parts)
        if isinstance(condition, AnyOf):
            held = [part for part in self.parts if part.held]
            return " or ".join(part.explained() for part in (held or self.parts))
        return f"not ({self.parts[0].explained()})"


def check(condition: Condition, facts: dict[str, Any]) -> Evaluation:
    """Evaluate `condition` on `facts`, every part of it (for `because()` or `explained()`)."""
    if isinstance(condition, Comparison):
        actual = lookup(facts, condition.field)
        expected = lookup(facts, condition.other) if condition.other is not None else condition.value
        return Evaluation(condition, _compare(condition.op, actual, expected), actual, expected)
    if isinstance(condition, AllOf):
        parts = tuple(check(part, facts) for part in condition.all)
        return Evaluation(condition, all(p.held for p in parts), parts=parts)
    if isinstance(condition, AnyOf):
        parts = tuple(check(part, facts) for part in condition.any)
        return Evaluation(condition, any(p.held for p in parts), parts=parts)
    assert isinstance(condition, NotOf)
    inner = check(condition.not_, facts)
    return Evaluation(condition, not inner.held, parts=(inner,))


def evaluate(condition: Condition, facts: dict[str, Any]) -> tuple[bool, list[str]]:
    """Evaluate `condition` on `facts`. Returns the result and the comparisons behind it.

    Example: `(True, ["total_cost le 5000000 (is 4200000): yes"])`.
    """
    result = check(condition, facts)
    return result.held, result.because()


def explain(condition: Condition, facts: dict[str, Any]) -> str:
    """A rule with the figures it was decided on: `cpi 0.71 < 0.8`, `ecv -2573753.09 < 0 and risk_level ...`."""
    return check(condition, facts).explained()
