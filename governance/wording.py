"""The engine's reasons in words, for people: the terminal, the packs and the spreadsheets.

Ledger records keep the engine's own wording of a rule (`governance.rules`): exact, terse, and
already hashed into records that cannot change. This module words that stored text again at display
time, so that records written by any engine version read the same way:

    ecv -2573753.09 < 0 and risk_level high in [high, critical]
        -> ECV is EUR -2,573,753, below 0, and risk level is high, one of high or critical
    total_cost le 5000000 (is 4200000): yes
        -> total cost is EUR 4,200,000, at most EUR 5,000,000: met
    budget_owner present (is absent): no
        -> budget owner not given: not met
    value not positive (ecv -564,976.48)
        -> value not positive (ECV EUR -564,976)

A clause is reworded only when its field is a fact this module knows (`FACTS`) or a snake_case
name; anything else passes through unchanged, so a reason this module does not understand is shown
as it was recorded rather than guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from governance.money import as_decimal, money

__all__ = ["FACTS", "Fact", "fact_label", "fact_value", "reason_in_words", "reasons_in_words"]

Kind = Literal["money", "ratio", "share", "percent", "count", "days", "level", "yes-no", "text"]


@dataclass(frozen=True, slots=True)
class Fact:
    label: str
    kind: Kind


# The facts screening and review rules may name (governance.intake.proposal_facts and
# governance.review.facts.FACT_FIELDS), with the words and units a board reads them in.
FACTS: dict[str, Fact] = {
    "cpi": Fact("CPI", "ratio"),
    "spi": Fact("SPI", "ratio"),
    "actual_cost": Fact("actual cost", "money"),
    "planned_value": Fact("planned value", "money"),
    "earned_value": Fact("earned value", "money"),
    "percent_complete": Fact("percent complete", "percent"),
    "risk_level": Fact("risk level", "level"),
    "risk_rank": Fact("risk rank", "count"),
    "milestones_hit": Fact("milestones hit", "count"),
    "milestones_missed": Fact("milestones missed", "count"),
    "report_missing": Fact("status report missing", "yes-no"),
    "report_late_days": Fact("days the report was late", "days"),
    "score": Fact("score", "ratio"),
    "ecv": Fact("ECV", "money"),
    "npv": Fact("NPV", "money"),
    "pv_benefits": Fact("present value of benefits", "money"),
    "value": Fact("value", "money"),
    "open_conditions": Fact("open conditions", "count"),
    "overdue_conditions": Fact("overdue conditions", "count"),
    "state": Fact("state", "level"),
    "bucket": Fact("bucket", "text"),
    "total_development": Fact("development cost", "money"),
    "total_launch": Fact("launch cost", "money"),
    "total_cost": Fact("total cost", "money"),
    "total_benefit": Fact("total benefits", "money"),
    "duration_days": Fact("duration", "days"),
    "max_risk": Fact("largest risk (likelihood x impact)", "count"),
    "risk_count": Fact("risks on the register", "count"),
    "objective_count": Fact("objectives", "count"),
    "period_count": Fact("periods with costs", "count"),
    "p_technical": Fact("probability of technical success", "share"),
    "p_commercial": Fact("probability of commercial success", "share"),
    "budget_owner": Fact("budget owner", "text"),
    "sponsor": Fact("sponsor", "text"),
    "submitter": Fact("submitter", "text"),
}

_WORDS = {
    "=": "equal to",
    "!=": "not",  # `sponsor ana is not the submitter (ana)`
    "<": "below",
    "<=": "at most",
    ">": "above",
    ">=": "at least",
    "in": "one of",
    "not in": "not one of",
}
_OPS = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "in": "in", "not_in": "not in"}


def fact_label(name: str) -> str:
    """`risk_level` -> `risk level`; `cpi` -> `CPI`."""
    known = FACTS.get(name)
    return known.label if known is not None else name.replace("_", " ")


def _kind(name: str) -> Kind:
    known = FACTS.get(name)
    return known.kind if known is not None else "text"


def fact_value(name: str, value: object, currency: str | None = None) -> str:
    """A fact's value in its unit: money with the currency, a share as a percentage, yes / no."""
    if value is None or value == "absent":
        return "not given"
    if isinstance(value, list | tuple):
        items = [fact_value(name, v, currency) for v in value]
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
    kind = _kind(name)
    text = str(value)
    if kind == "yes-no" or text in ("True", "False", "true", "false"):
        return {"True": "yes", "true": "yes", "False": "no", "false": "no"}.get(text, text)
    number = as_decimal(text.replace(",", "")) if kind != "text" else None
    if number is None:
        return text
    if kind == "money":
        return money(number, currency)
    if kind == "share":
        return f"{(number * 100).normalize():f}%"
    if kind == "percent":
        return f"{number.normalize():f}%"
    if kind == "days":
        return f"{number.normalize():f} days"
    if kind == "ratio":
        return f"{number.quantize(Decimal('0.01')) if number.as_tuple().exponent < -2 else number:f}"  # type: ignore[operator]
    return f"{number.normalize():f}"


# -- the engine's wordings, recognised -------------------------------------------------------------

_FIELD = r"[a-z][a-z0-9_]*"
_VALUE = r"\[[^\]]*\]|-?\d[\d,]*(?:\.\d+)?(?:E[+-]?\d+)?|[A-Za-z][A-Za-z0-9_.-]*"
_SYMBOL = r"not in|in|<=|>=|!=|=|<|>"

# The review's wording (`Evaluation.explained`): `cpi 0.71 < 0.8`, `sponsor ana != submitter ana`.
_EXPLAINED = re.compile(
    rf"(?<![\w-])(?P<field>{_FIELD}) (?P<actual>{_VALUE}) (?P<sym>{_SYMBOL}) "
    rf"(?:(?P<other>{_FIELD}) (?=(?:{_VALUE})(?:$|[ ;,)])))?(?P<expected>{_VALUE})(?=$|[ ;,)])"
)
# `budget_owner is ana`, `budget_owner absent` (present / absent).
_PRESENCE = re.compile(rf"(?<![\w-])(?P<field>{_FIELD}) (?:is (?P<actual>{_VALUE})|(?P<absent>absent))(?=$|[ ;,)])")
# The screening's wording (`Evaluation.because`): `total_cost le 5000000 (is 4200000): yes`.
_BECAUSE = re.compile(
    rf"^(?P<field>{_FIELD}) (?P<op>eq|ne|lt|le|gt|ge|in|not_in|present|absent)"
    rf"(?: (?P<other>{_FIELD}) \((?P<oexp>.*?)\)| (?P<expected>{_VALUE}))? \(is (?P<actual>.*)\): (?P<held>yes|no)$"
)
# Money the selection's report printed with cents (`ecv -564,976.48`, `needs 1,250,000.00`).
_CENTS = re.compile(
    r"(?<![\w.,-])(?:(?P<measure>ecv|npv|pv_benefits|value) )?(?P<n>-?\d{1,3}(?:,\d{3})*\.\d\d)(?![\d%])"
)


def _listed(text: str) -> object:
    if text.startswith("[") and text.endswith("]"):
        return [t.strip() for t in text[1:-1].split(",") if t.strip()]
    return text


def _known(field: str) -> bool:
    return field in FACTS or "_" in field


def _comparison(
    field: str, actual: object, sym: str, expected: object, other: str | None, currency: str | None, *, rule: bool
) -> str:
    """`CPI 0.71 is below 0.8` (a fired review rule), or `CPI 0.71 (must be below 0.8)` (a screening rule,
    which may not have held)."""
    label, shown = fact_label(field), fact_value(field, actual, currency)
    if _kind(field) == "yes-no" and sym in ("=", "!="):
        return f"{label}: {shown}"
    right = fact_value(field, expected, currency)
    if other is not None:
        right = f"the {fact_label(other)} ({right})"
    words = "" if sym == "=" else _WORDS[sym] + " "
    if rule:
        must = {"!=": "must not be ", "not in": "must not be one of "}.get(sym, f"must be {words}")
        return f"{label} {shown} ({must}{right})"
    return f"{label} {shown} is {words}{right}"


def _explained(match: re.Match[str], currency: str | None) -> str:
    field = match["field"]
    if not _known(field) or (match["other"] is not None and not _known(match["other"])):
        return match[0]
    actual, expected = _listed(match["actual"]), _listed(match["expected"])
    return _comparison(field, actual, match["sym"], expected, match["other"], currency, rule=False)


def _presence(match: re.Match[str], currency: str | None) -> str:
    field = match["field"]
    if field not in FACTS:
        return match[0]
    if match["absent"] or match["actual"] == "absent":
        return f"{fact_label(field)} not given"
    return f"{fact_label(field)} is {fact_value(field, match['actual'], currency)}"


def _because(match: re.Match[str], currency: str | None) -> str:
    field, op, held = match["field"], match["op"], match["held"] == "yes"
    verdict = "met" if held else "not met"
    actual = _listed(match["actual"])
    if op in ("present", "absent"):
        given = actual not in ("absent", None)
        return f"{fact_label(field)} {'given' if given else 'not given'}: {verdict}"
    expected = _listed(match["oexp"] if match["other"] is not None else match["expected"])
    return f"{_comparison(field, actual, _OPS[op], expected, match['other'], currency, rule=True)}: {verdict}"


def _cents(match: re.Match[str], currency: str | None) -> str:
    measure = match["measure"]
    if measure is None and "," not in match["n"]:
        return match[0]  # 0.80 is a ratio, not money: only grouped amounts are taken for money
    amount = money(Decimal(match["n"].replace(",", "")), currency)
    if measure is None:
        return amount
    return f"{fact_label(measure)} {amount}"


def reason_in_words(text: str, currency: str | None = None) -> str:
    """The engine's reason `text` (a screening line, a review reason, a selection note) in words.

    Args:
        text: a reason as a record stores it.
        currency: the policy's currency code, put before amounts of money.

    Returns:
        The same reason with each rule clause the engine wrote reworded; text it does not recognise
        is returned unchanged.
    """
    because = _BECAUSE.match(text)
    if because is not None and _known(because["field"]):
        return _because(because, currency)
    worded = _EXPLAINED.sub(lambda m: _explained(m, currency), text)
    worded = _PRESENCE.sub(lambda m: _presence(m, currency), worded)
    return _CENTS.sub(lambda m: _cents(m, currency), worded)


def reasons_in_words(texts: list[str], currency: str | None = None) -> list[str]:
    """`reason_in_words` of each."""
    return [reason_in_words(t, currency) for t in texts]
