"""The policy file format: stages, gates, criteria, board rules and review rules as data.

Rules are structured (field, operator, value, combined with all/any/not); nothing in a
policy is ever evaluated as code.
"""

from __future__ import annotations

import zoneinfo
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, model_validator

from models.common import STRICT, PlainLine, PlainText
from models.people import ACTIONS, BUILTIN_ROLES, DEFAULT_ROLE_MATRIX, Action, Delegation, Person, RoleName
from models.selection import PortfolioRules

__all__ = [
    "AhpMatrix",
    "AllOf",
    "AnyOf",
    "BoardMember",
    "BoardRules",
    "Bucket",
    "Comparison",
    "Condition",
    "Criterion",
    "Gate",
    "NotOf",
    "Objective",
    "Policy",
    "PostImplementationReview",
    "ReviewRule",
    "ReviewSettings",
    "ScoringRules",
    "ScreeningRule",
    "SimulationRules",
    "Stage",
    "Thresholds",
]

Ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,39}$")]
FieldPath = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")]


def _decimal(value: object) -> object:
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


Number = Annotated[Decimal, BeforeValidator(_decimal)]
Scalar = str | bool | int | Number
Operator = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "present", "absent"]


class Comparison(BaseModel):
    """`field op value`, for example `{field: total_cost, op: le, value: 5000000}`.

    With `other` instead of `value`, the field is compared with another field
    (`{field: sponsor, op: ne, other: submitter}`).
    """

    model_config = STRICT

    field: FieldPath
    op: Operator
    value: Scalar | list[Scalar] | None = None
    other: FieldPath | None = None

    @model_validator(mode="after")
    def _value_fits_operator(self) -> Comparison:
        if self.other is not None:
            if self.value is not None or self.op not in ("eq", "ne", "lt", "le", "gt", "ge"):
                raise ValueError("`other` takes the place of `value` and needs a comparison operator")
        elif self.op in ("present", "absent"):
            if self.value is not None:
                raise ValueError(f"operator {self.op!r} takes no value")
        elif self.op in ("in", "not_in"):
            if not isinstance(self.value, list):
                raise ValueError(f"operator {self.op!r} needs a list value")
        elif self.value is None or isinstance(self.value, list):
            raise ValueError(f"operator {self.op!r} needs a single value")
        elif self.op in ("lt", "le", "gt", "ge") and not _is_number(self.value):
            # governance.rules compares numbers only: any other value would make the rule false for every case.
            raise ValueError(f"operator {self.op!r} compares numbers, not {self.value!r}")
        return self


def _is_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        try:
            return Decimal(value).is_finite()
        except ArithmeticError:
            return False
    return isinstance(value, int) or (isinstance(value, Decimal) and value.is_finite())


class AllOf(BaseModel):
    model_config = STRICT
    all: list[Condition] = Field(min_length=1)


class AnyOf(BaseModel):
    model_config = STRICT
    any: list[Condition] = Field(min_length=1)


class NotOf(BaseModel):
    model_config = STRICT
    not_: Condition = Field(alias="not")


Condition = Comparison | AllOf | AnyOf | NotOf


class Bucket(BaseModel):
    """A strategic bucket, with optional bounds on its share of the budget."""

    model_config = STRICT

    id: Ident
    name: PlainLine
    min_share: Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=1)] = Decimal("0")
    max_share: Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=1)] = Decimal("1")

    @model_validator(mode="after")
    def _bounds(self) -> Bucket:
        if self.min_share > self.max_share:
            raise ValueError(f"min_share {self.min_share} exceeds max_share {self.max_share}")
        return self


class Objective(BaseModel):
    model_config = STRICT
    id: Ident
    name: PlainLine


class Criterion(BaseModel):
    """A scoring criterion. `must-meet` criteria are knock-outs; others are rated 0..scale_max."""

    model_config = STRICT

    id: Ident
    name: PlainLine
    kind: Literal["scored", "should-meet", "must-meet"] = "scored"
    weight: Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0)] = Decimal("1")
    scale_max: Annotated[int, Field(ge=1, le=100)] = 10
    pass_threshold: Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0)] | None = None
    guidance: PlainText | None = None


def _ratio(value: object) -> object:
    """AHP judgements: numbers or fractions written as text (`"1/3"`)."""
    if isinstance(value, str) and "/" in value:
        top, _, bottom = value.partition("/")
        try:
            return Decimal(top.strip()) / Decimal(bottom.strip())
        except ArithmeticError:
            raise ValueError(f"not a ratio: {value!r}") from None
    return _decimal(value)


Judgement = Annotated[Decimal, BeforeValidator(_ratio), Field(gt=0, le=9)]


class AhpMatrix(BaseModel):
    """Pairwise comparisons on Saaty's 1-9 scale: `matrix[i][j]` says how much more criterion i matters than j."""

    model_config = STRICT

    criteria: list[Ident] = Field(min_length=2, max_length=10)
    matrix: list[list[Judgement]]

    @model_validator(mode="after")
    def _reciprocal(self) -> AhpMatrix:
        n = len(self.criteria)
        if len(set(self.criteria)) != n:
            raise ValueError("AHP criteria must be distinct")
        if len(self.matrix) != n or any(len(row) != n for row in self.matrix):
            raise ValueError(f"the AHP matrix must be {n} x {n}, one row and column per criterion")
        for i in range(n):
            if self.matrix[i][i] != 1:
                raise ValueError(f"AHP matrix[{i}][{i}] must be 1")
            for j in range(i + 1, n):
                product = self.matrix[i][j] * self.matrix[j][i]
                if abs(product - 1) > Decimal("0.01"):
                    raise ValueError(
                        f"AHP matrix[{i}][{j}] and matrix[{j}][{i}] must be reciprocal (their product is {product:.4f})"
                    )
        return self


class ScoringRules(BaseModel):
    """How ratings become a score: spread flagging, assessor count, and AHP weights if given."""

    model_config = STRICT

    spread_threshold: Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=100)] = Decimal("30")
    min_assessors: Annotated[int, Field(ge=1, le=50)] = 1
    ahp: AhpMatrix | None = None


class ScreeningRule(BaseModel):
    """A must-meet rule applied at intake: a proposal that fails it is screened out."""

    model_config = STRICT

    id: Ident
    description: PlainLine
    require: Condition


class Stage(BaseModel):
    model_config = STRICT
    id: Ident
    name: PlainLine


class Thresholds(BaseModel):
    """Score thresholds (0-100) behind a gate's recommendation."""

    model_config = STRICT

    go: Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=100)]
    conditional_go: Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=100)]
    kill_below: Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=100)]

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if not self.kill_below <= self.conditional_go <= self.go:
            raise ValueError("thresholds must satisfy kill_below <= conditional_go <= go")
        return self


class Gate(BaseModel):
    """A decision point between two stages."""

    model_config = STRICT

    number: Annotated[int, Field(ge=1, le=20)]
    name: PlainLine
    enters: Ident
    criteria: list[Ident] = Field(min_length=1)
    deliverables: list[PlainLine] = Field(default_factory=list)
    thresholds: Thresholds


class BoardMember(BaseModel):
    model_config = STRICT
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9._-]{0,39}$")]
    full_name: PlainLine
    role: PlainLine
    chair: bool = False


class BoardRules(BaseModel):
    model_config = STRICT

    members: list[BoardMember] = Field(min_length=1)
    quorum: Annotated[int, Field(ge=1)]
    voting_rule: Literal["majority", "unanimity", "chair-decides"]
    decision_timeout_days: Annotated[int, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _roster(self) -> BoardRules:
        names = [m.name for m in self.members]
        if len(set(names)) != len(names):
            raise ValueError("board members must have distinct names")
        if self.quorum > len(self.members):
            raise ValueError(f"quorum {self.quorum} exceeds the {len(self.members)} board members")
        chairs = [m.name for m in self.members if m.chair]
        if len(chairs) != 1:
            raise ValueError(f"the board needs exactly one chair, found {len(chairs)}")
        return self


class ReviewRule(BaseModel):
    """A quarterly review rule: when `when` holds, recommend `outcome` for `reason`.

    With `for_quarters: 2` the condition must hold in this quarter's report and the one before it
    (each quarter's figures are evaluated on their own). The fields a rule may name are listed by
    `governance.review.FACT_FIELDS` (cpi, spi, score, ecv, risk_level, report_missing, ...).
    """

    model_config = STRICT

    id: Ident
    outcome: Literal["pause", "stop", "complete"]
    when: Condition
    reason: PlainLine
    for_quarters: Annotated[int, Field(ge=1, le=8)] = 1


class ReviewSettings(BaseModel):
    """When status reports are due: `report_due_days` after the quarter ends (later is late)."""

    model_config = STRICT

    report_due_days: Annotated[int, Field(ge=0, le=90)] = 15


class SimulationRules(BaseModel):
    """How `governance risk` simulates the portfolio: the distribution of three-point estimates, the
    correlation of estimates within a bucket and across all (Gaussian copula), and the default trials."""

    model_config = STRICT

    distribution: Literal["triangular", "pert"] = "pert"
    correlation_within_bucket: Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, lt=1)] = Decimal("0")
    correlation_across: Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, lt=1)] = Decimal("0")
    trials: Annotated[int, Field(ge=100, le=10_000_000)] = 10_000

    @model_validator(mode="after")
    def _ordered(self) -> SimulationRules:
        if self.correlation_across > self.correlation_within_bucket:
            raise ValueError(
                f"correlation_across ({self.correlation_across}) may not exceed correlation_within_bucket "
                f"({self.correlation_within_bucket}): projects in one bucket are at least as alike as any two"
            )
        return self


class PostImplementationReview(BaseModel):
    """The last gate: `after_quarters` after a project completes, its benefits owner reports what the benefits
    came to (`governance benefits-review`). Realised to date against promised to date decides the outcome:
    `realised` at `realised_at` or more, `partly-realised` at `partly_at` or more, else `not-realised`."""

    model_config = STRICT

    after_quarters: Annotated[int, Field(ge=1, le=20)] = 2
    realised_at: Annotated[Decimal, BeforeValidator(_decimal), Field(gt=0, le=2)] = Decimal("0.9")
    partly_at: Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=2)] = Decimal("0.5")

    @model_validator(mode="after")
    def _ordered(self) -> PostImplementationReview:
        if self.partly_at > self.realised_at:
            raise ValueError(f"partly_at ({self.partly_at}) may not exceed realised_at ({self.realised_at})")
        return self


class Policy(BaseModel):
    """A governance policy. Its version is the SHA-256 of its canonical JSON form."""

    model_config = STRICT

    name: Ident
    title: PlainLine
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    fiscal_year_start_month: Annotated[int, Field(ge=1, le=12)] = 1
    timezone: str
    discount_rate: Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=1)]
    buckets: list[Bucket] = Field(min_length=1)
    objectives: list[Objective] = Field(default_factory=list)
    criteria: list[Criterion] = Field(min_length=1)
    screening: list[ScreeningRule] = Field(default_factory=list)
    stages: list[Stage] = Field(min_length=1)
    gates: list[Gate] = Field(min_length=1)
    board: BoardRules
    scoring: ScoringRules = Field(default_factory=ScoringRules)
    review_rules: list[ReviewRule] = Field(default_factory=list)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    portfolio: PortfolioRules | None = None
    simulation: SimulationRules | None = Field(default=None, exclude_if=lambda v: v is None)
    post_implementation_review: PostImplementationReview | None = Field(default=None, exclude_if=lambda v: v is None)
    people: list[Person] = Field(default_factory=list)
    roles: dict[Action, list[RoleName]] | None = None
    delegations: list[Delegation] = Field(default_factory=list)
    # `required`: every vote of a gate decision is signed by its voter (governance.signatures).
    signatures: Literal["none", "required"] = "none"

    @model_validator(mode="after")
    def _references(self) -> Policy:
        self._check_people()
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        for label, ids in (
            ("bucket", [b.id for b in self.buckets]),
            ("objective", [o.id for o in self.objectives]),
            ("criterion", [c.id for c in self.criteria]),
            ("screening rule", [r.id for r in self.screening]),
            ("stage", [s.id for s in self.stages]),
            ("review rule", [r.id for r in self.review_rules]),
        ):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"{label} ids must be unique, repeated: {', '.join(dupes)}")
        numbers = [g.number for g in self.gates]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"gates must be numbered 1..{len(numbers)} in order, found {numbers}")
        criteria = {c.id for c in self.criteria}
        stages = {s.id for s in self.stages}
        for gate in self.gates:
            unknown = [c for c in gate.criteria if c not in criteria]
            if unknown:
                raise ValueError(f"gate {gate.number} names unknown criteria: {', '.join(unknown)}")
            if gate.enters not in stages:
                raise ValueError(f"gate {gate.number} enters unknown stage {gate.enters!r}")
        rated = {c.id for c in self.criteria if c.kind != "must-meet"}
        if self.scoring.ahp is not None and set(self.scoring.ahp.criteria) != rated:
            missing = sorted(rated - set(self.scoring.ahp.criteria))
            extra = sorted(set(self.scoring.ahp.criteria) - rated)
            raise ValueError(
                "the AHP matrix must compare exactly the rated (scored and should-meet) criteria; "
                f"missing: {', '.join(missing) or 'none'}; not rated: {', '.join(extra) or 'none'}"
            )
        for c in self.criteria:
            if c.kind == "should-meet" and c.pass_threshold is None:
                raise ValueError(f"should-meet criterion {c.id!r} needs a pass_threshold")
            if c.pass_threshold is not None and c.pass_threshold > c.scale_max:
                raise ValueError(f"criterion {c.id!r}: pass_threshold exceeds scale_max {c.scale_max}")
        if sum((b.min_share for b in self.buckets), Decimal(0)) > 1:
            raise ValueError("bucket min_share values add up to more than 1")
        return self

    def _check_people(self) -> None:
        ids = [p.id for p in self.people]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"people ids must be unique, repeated: {', '.join(dupes)}")
        accounts = [a for p in self.people for a in p.accounts]
        dupes = sorted({a for a in accounts if accounts.count(a) > 1})
        if dupes:
            raise ValueError(f"an account belongs to one person only, repeated: {', '.join(dupes)}")
        known = set(ids)
        if self.people:
            strangers = [m.name for m in self.board.members if m.name not in known]
            if strangers:
                raise ValueError(f"board members must be people of the policy, not found: {', '.join(strangers)}")
        for d in self.delegations:
            unknown = sorted({d.from_, d.to} - {p.id for p in self.everyone()})
            if unknown:
                raise ValueError(f"a delegation names unknown people: {', '.join(unknown)}")
            if d.from_ == d.to:
                raise ValueError(f"{d.from_} cannot delegate to themselves")
        if self.signatures == "required":
            keyless = sorted(m.name for m in self.board.members if m.name in known and not self._key(m.name))
            if keyless or not self.people:
                raise ValueError(
                    "signatures: required needs a public_key for every board member in people; "
                    f"missing: {', '.join(keyless) or 'a people section'}"
                )
        if self.roles is not None:
            declared = set(BUILTIN_ROLES) | {r for p in self.people for r in p.roles}
            for action, roles in self.roles.items():
                unknown = sorted(set(roles) - declared)
                if unknown:
                    raise ValueError(
                        f"roles.{action} names roles nobody has: {', '.join(unknown)} "
                        f"(built in: {', '.join(BUILTIN_ROLES)})"
                    )

    def _key(self, person_id: str) -> str | None:
        return next((p.public_key for p in self.people if p.id == person_id), None)

    def everyone(self) -> list[Person]:
        """The policy's people; a policy without a `people:` section has its board members as people."""
        if self.people:
            return list(self.people)
        return [Person(id=m.name, name=m.full_name) for m in self.board.members]

    def role_matrix(self) -> dict[str, tuple[str, ...]]:
        """Action -> the roles that may take it (the policy's `roles:`, the default for actions it leaves out)."""
        given: dict[str, tuple[str, ...]] = {a: tuple(r) for a, r in (self.roles or {}).items()}
        return {a: given.get(a, DEFAULT_ROLE_MATRIX[a]) for a in ACTIONS}

    def bucket_ids(self) -> set[str]:
        return {b.id for b in self.buckets}

    def objective_ids(self) -> set[str]:
        return {o.id for o in self.objectives}


for _model in (AllOf, AnyOf, NotOf, ScreeningRule, ReviewRule, ScoringRules, Policy):
    _model.model_rebuild()
