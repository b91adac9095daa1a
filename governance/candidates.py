"""Selection problems from a candidates file or from code, checked; command-line overrides.

`governance select --candidates FILE` reads the what-if file format (`governance schema candidates`);
bad input is refused whole, each problem named by file, record and field. `with_overrides` applies
the command line's budget, bucket bounds and value measure.
"""

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import chain
from operator import attrgetter
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from governance.errors import InputRefused, Problem
from governance.parsing import Unparsable, parse_text
from governance.sources import problems_from_validation, read_text_file
from models.selection import (
    BucketBounds,
    CandidatesFile,
    ChanceConstraint,
    PortfolioRules,
    SelectionCandidate,
    SelectionProblem,
    Uncertainty,
    ValueMeasure,
)

__all__ = ["build_problem", "candidates_fit", "check_portfolio", "check_problem", "problem_from_file", "with_overrides"]

_CENT = Decimal("0.01")
_PERIOD = re.compile(r"^FY\d{4}$")

_ID, _BUCKET = attrgetter("id"), attrgetter("bucket")
_DEPENDS_ON, _EXCLUDES = attrgetter("depends_on"), attrgetter("excludes")


def build_problem(
    rules: PortfolioRules,
    buckets: Sequence[BucketBounds],
    candidates: Sequence[SelectionCandidate],
    *,
    currency: str | None = None,
    source: str = "",
    uncertainty: Uncertainty | None = None,
) -> SelectionProblem:
    """A selection problem from portfolio rules, bucket bounds and candidates.

    Raises:
        InputRefused: unknown references, duplicate ids, a bucket without bounds, a candidate
            without the chosen value measure (each a `Problem` naming `source`).
    """
    problem = SelectionProblem(
        candidates=tuple(candidates),
        budget=dict(rules.budget),
        buckets={b.bucket: (b.min_share, b.max_share) for b in buckets},
        capacity={role: dict(limits) for role, limits in rules.capacity.items()},
        value_measure=rules.value_measure,
        frontier_levels=rules.frontier_levels,
        next_slice=rules.next_slice,
        mip_gap=rules.mip_gap,
        time_limit_seconds=rules.time_limit_seconds,
        currency=currency,
        bucket_shares_of=rules.bucket_shares_of,
        chance=rules.chance_constraint,
        uncertainty=uncertainty or Uncertainty(),
    )
    problems = check_problem(problem, source)
    bucket_ids = [b.bucket for b in buckets]
    for name in sorted({b for b in bucket_ids if bucket_ids.count(b) > 1}):
        problems.append(Problem(source, "buckets", "bucket", "duplicate-in-batch", f"bucket {name} is listed twice"))
    if problems:
        raise InputRefused(problems)
    return problem


def check_portfolio(problem: SelectionProblem, source: str = "") -> list[Problem]:
    """What makes a problem unsolvable whatever its candidates say of one another: no candidates,
    no budget, bucket minimums over the whole. `check_problem` checks these and the candidates'
    cross-references; `solve` leaves the latter to the index form (see `index_form`)."""
    problems: list[Problem] = []
    if not problem.candidates:
        problems.append(Problem(source, "", "candidates", "missing", "no candidates to select from"))
    if not problem.budget:
        problems.append(Problem(source, "portfolio", "budget", "missing", "the budget names no period"))
    if sum((low for low, _ in problem.buckets.values()), Decimal(0)) > 1:
        problems.append(
            Problem(source, "buckets", "min_share", "inconsistent", "bucket min_share values add up to more than 1")
        )
    return problems


def check_problem(problem: SelectionProblem, source: str = "") -> list[Problem]:
    """Everything that makes a problem unsolvable as given, each a `Problem` (empty when sound)."""
    problems = check_portfolio(problem, source)
    measure = problem.value_measure
    candidates = problem.candidates
    if candidates_fit(
        len(candidates),
        set(map(_ID, candidates)),
        problem.buckets,
        list(map(_BUCKET, candidates)),
        list(map(attrgetter(measure), candidates)),
        map(_DEPENDS_ON, candidates),
        map(_EXCLUDES, candidates),
    ):
        return problems  # the common case, checked in C; the slow pass names each problem
    entries = [
        _Entry(c.id, c.bucket, c.depends_on, c.excludes, c.value(measure) is not None) for c in problem.candidates
    ]
    return problems + _cross_problems(entries, problem.buckets, measure, source)


def candidates_fit(
    count: int,
    known: Collection[str],
    bounded: Mapping[str, Any],
    buckets: Iterable[str],
    values: Sequence[Decimal | None],
    depends_on: Iterable[Iterable[str]],
    excludes: Iterable[Iterable[str]],
) -> bool:
    """Whether `count` candidates fit together, from their attributes (in C): `known`, their
    distinct ids, are `count`; every bucket is in `bounded`; every value is given; every reference
    is known. `check_problem` names the problems when not; the index form asks the same."""
    return (
        len(known) == count
        and bounded.keys() >= set(buckets)
        and (all(values) or None not in values)  # all(): the common case, and quick to tell
        and all(map(known.__contains__, chain.from_iterable(depends_on)))
        and all(map(known.__contains__, chain.from_iterable(excludes)))
    )


@dataclass(frozen=True, slots=True)
class _Entry:
    """What the cross-checks need of one candidate, from a model or from a file's raw data (None:
    not given or of the wrong type, which validation reports)."""

    id: str | None
    bucket: str | None
    depends_on: Sequence[str | None]
    excludes: Sequence[str | None]
    has_value: bool


def _cross_problems(
    entries: Sequence[_Entry], buckets: Collection[str], measure: ValueMeasure, source: str
) -> list[Problem]:
    """Duplicate ids, buckets without bounds, unknown references and missing values."""
    known = {e.id for e in entries if e.id is not None}
    first: dict[str, int] = {}
    problems = []
    for i, e in enumerate(entries):
        label = f"candidates[{i}]" + (f" {e.id}" if e.id is not None else "")
        if e.id is not None and first.setdefault(e.id, i) != i:
            message = f"id {e.id} is also candidates[{first[e.id]}]"
            problems.append(Problem(source, label, "id", "duplicate-in-batch", message))
        if e.bucket is not None and e.bucket not in buckets:
            message = f"bucket {e.bucket!r} has no bounds; buckets listed: {', '.join(sorted(buckets)) or 'none'}"
            problems.append(Problem(source, label, "bucket", "unknown-bucket", message))
        for name, refs in (("depends_on", e.depends_on), ("excludes", e.excludes)):
            for k, ref in enumerate(refs):
                if ref is not None and ref not in known:
                    problems.append(Problem(source, label, f"{name}[{k}]", "unknown-reference", f"no candidate {ref}"))
        if not e.has_value:
            message = f"no {measure} given; the value measure is {measure}"
            problems.append(Problem(source, label, measure, "missing", message))
    return problems


def problem_from_file(path: str | Path) -> SelectionProblem:
    """Read a candidates file (YAML or JSON, the format of `governance schema candidates`).

    Raises:
        InputRefused: with every problem, by file, record (`candidates[3] P-2026-0004`) and field.
    """
    path = Path(path)
    name = str(path)
    if path.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise InputRefused([Problem(name, "", "", "unsupported-format", "a candidates file is .yaml, .yml or .json")])
    data, problem = _read_mapping(path)
    if problem is not None:
        raise InputRefused([problem])
    try:
        parsed = CandidatesFile.model_validate(data)
    except ValidationError as exc:
        problems = [_relabel(p, data) for p in problems_from_validation(exc, name, "")]
        raise InputRefused(problems + _raw_cross_problems(data, name)) from None
    return build_problem(parsed.portfolio, parsed.buckets, parsed.candidates, currency=parsed.currency, source=name)


def _read_mapping(path: Path) -> tuple[dict[str, Any], Problem | None]:
    name = str(path)
    text, problem = read_text_file(path)
    if problem is not None:
        return {}, problem
    try:
        data = parse_text(text, path.suffix)
    except Unparsable as exc:
        return {}, Problem(name, "", "", "parse-error", exc.message)
    if not isinstance(data, dict):
        message = "expected a mapping with currency, portfolio, buckets and candidates"
        return {}, Problem(name, "", "", "not-a-record", message)
    return data, None


_SECTION = re.compile(r"^(candidates|buckets)\[(\d+)\](?:\.(.*))?$")


def _relabel(problem: Problem, data: dict[str, Any]) -> Problem:
    """`candidates[3].costs[0].amount` -> record `candidates[3] P-2026-0004`, field `costs[0].amount`."""
    match = _SECTION.match(problem.field)
    if match:
        section, index, rest = match.group(1), int(match.group(2)), match.group(3)
        items = data.get(section)
        item = items[index] if isinstance(items, list) and index < len(items) else None
        key = item.get("id" if section == "candidates" else "bucket") if isinstance(item, dict) else None
        record = f"{section}[{index}]" + (f" {key}" if isinstance(key, str) else "")
        return replace(problem, record=record, field=rest or "(record)")
    head, _, rest = problem.field.partition(".")
    if head == "portfolio":
        return replace(problem, record="portfolio", field=rest or "(record)")
    return problem


def _raw_cross_problems(data: dict[str, Any], source: str) -> list[Problem]:
    """The cross-checks on an invalid file's raw data, so that one reading lists every problem."""
    portfolio = data.get("portfolio")
    raw_measure = portfolio.get("value_measure", "ecv") if isinstance(portfolio, dict) else "ecv"
    measure: ValueMeasure = "ecv"
    for name in get_args(ValueMeasure):
        if raw_measure == name:
            measure = name
    raw_buckets = data.get("buckets")
    items = raw_buckets if isinstance(raw_buckets, list) else []
    buckets = {b["bucket"] for b in items if isinstance(b, dict) and isinstance(b.get("bucket"), str)}
    raw_candidates = data.get("candidates")
    entries = [
        _Entry(
            _text(c.get("id")),
            _text(c.get("bucket")),
            _refs(c.get("depends_on")),
            _refs(c.get("excludes")),
            c.get(measure) is not None,
        )
        for c in (raw_candidates if isinstance(raw_candidates, list) else [])
        if isinstance(c, dict)
    ]
    return _cross_problems(entries, buckets, measure, source)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _refs(value: object) -> list[str | None]:
    return [_text(v) for v in value] if isinstance(value, list) else []


def with_overrides(
    problem: SelectionProblem,
    *,
    budget: Mapping[str, Decimal] | None = None,
    buckets: Mapping[str, tuple[Decimal, Decimal]] | None = None,
    value_measure: str | None = None,
    time_limit_seconds: int | None = None,
    chance: Decimal | None = None,
    scenarios: int | None = None,
    scenario_seed: int | None = None,
) -> SelectionProblem:
    """The problem with command-line overrides: budget periods and bucket bounds replace the ones
    they name (other periods and buckets keep theirs); `value_measure` replaces the measure and
    `time_limit_seconds` the time the whole solve may take (frontier included). `chance` (alpha),
    `scenarios` and `scenario_seed` set or change the chance constraint (the latter two need one).

    Raises:
        InputRefused: an override that is not valid, each a `Problem` of file `command line`.
    """
    problems: list[Problem] = []
    new_budget = dict(problem.budget)
    for period, amount in (budget or {}).items():
        problem_ = _amount_problem("--budget", period, amount)
        if problem_ is not None:
            problems.append(problem_)
        new_budget[period] = amount
    new_buckets = dict(problem.buckets)
    for bucket, (low, high) in (buckets or {}).items():
        if bucket not in problem.buckets:
            known = ", ".join(sorted(problem.buckets))
            problems.append(
                Problem("command line", "--bucket", bucket, "unknown-bucket", f"no bucket {bucket}: {known}")
            )
        elif not (low.is_finite() and high.is_finite() and 0 <= low <= 1 and 0 <= high <= 1):
            problems.append(
                Problem("command line", "--bucket", bucket, "out-of-range", "shares must be between 0 and 1")
            )
        elif low > high:
            problems.append(
                Problem("command line", "--bucket", bucket, "inconsistent", f"minimum {low} exceeds maximum {high}")
            )
        new_buckets[bucket] = (low, high)
    measure = problem.value_measure
    if value_measure is not None:
        if value_measure not in get_args(ValueMeasure):
            problems.append(
                Problem("command line", "--value-measure", value_measure, "invalid-value", "choose score, ecv or npv")
            )
        else:
            measure = value_measure  # type: ignore[assignment] # checked against the Literal just above
            missing = [c.id for c in problem.candidates if c.value(measure) is None]
            if missing:
                shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
                problems.append(
                    Problem("command line", "--value-measure", value_measure, "missing", f"no {measure} for {shown}")
                )
    limit = problem.time_limit_seconds
    if time_limit_seconds is not None:
        if not 1 <= time_limit_seconds <= 86_400:
            message = "the time limit is 1 to 86400 seconds"
            problems.append(Problem("command line", "--time-limit", str(time_limit_seconds), "out-of-range", message))
        limit = time_limit_seconds
    new_chance = _chance_override(problem.chance, chance, scenarios, scenario_seed, problems)
    if problems:
        raise InputRefused(problems)
    return replace(
        problem,
        budget=new_budget,
        buckets=new_buckets,
        value_measure=measure,
        time_limit_seconds=limit,
        chance=new_chance,
    )


_CHANCE_OPTIONS = {"alpha": "--chance", "scenarios": "--scenarios", "seed": "--scenario-seed"}


def _chance_override(
    given: ChanceConstraint | None,
    alpha: Decimal | None,
    scenarios: int | None,
    seed: int | None,
    problems: list[Problem],
) -> ChanceConstraint | None:
    """The chance constraint with the command line's changes (problems appended to `problems`)."""
    changes = {k: v for k, v in (("alpha", alpha), ("scenarios", scenarios), ("seed", seed)) if v is not None}
    if not changes:
        return given
    if given is None and alpha is None:
        option = _CHANCE_OPTIONS[next(iter(changes))]
        message = f"{option} needs --chance ALPHA: the policy sets no chance constraint"
        problems.append(Problem("command line", option, str(changes[next(iter(changes))]), "missing", message))
        return None
    base = {} if given is None else given.model_dump()
    try:
        return ChanceConstraint.model_validate(base | changes)
    except ValidationError as refused:
        for error in refused.errors():
            name = str(error["loc"][0]) if error["loc"] else "alpha"
            option = _CHANCE_OPTIONS.get(name, "--chance")
            problems.append(
                Problem("command line", option, str(changes.get(name, "")), "out-of-range", _range_message(name))
            )
        return None


def _range_message(name: str) -> str:
    return {
        "alpha": "alpha is a probability from 0 to 1, at most 4 decimal places",
        "scenarios": "the scenarios are 10 to 2000",
        "seed": "the seed is 0 to 2**63 - 1",
    }.get(name, "out of range")


def _amount_problem(flag: str, period: str, amount: Decimal) -> Problem | None:
    if not _PERIOD.match(period):
        return Problem("command line", flag, period, "invalid-value", "a period is written FY2027")
    if not amount.is_finite():
        return Problem("command line", flag, period, "not-finite", "amount must be a finite number")
    if amount < 0:
        return Problem("command line", flag, period, "negative-amount", "amount must not be negative")
    if amount.adjusted() >= 16:  # Money's 18 digits, 2 of them decimals
        return Problem("command line", flag, period, "out-of-range", "amount has more than 16 digits")
    if amount != amount.quantize(_CENT):
        return Problem("command line", flag, period, "invalid-value", "amount has more than 2 decimal places")
    return None
