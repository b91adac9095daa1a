"""What a counterfactual replay finds: each difference, and the totals over them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["FUNDED", "HOLDS", "KINDS", "RECORD_KINDS", "Counterfactual", "Difference", "number"]

KINDS = ("screening", "scores", "recommendations", "reviews", "selections")
"""The automatic steps a counterfactual replay re-derives (`--kinds`)."""

RECORD_KINDS = {
    "screened": "screening",
    "screened-out": "screening",
    "scored": "scores",
    "recommended": "recommendations",
    "decided": "recommendations",
    "review-proposed": "reviews",
    "reviewed": "reviews",
    "selected": "selections",
}
FUNDED = ("go", "conditional-go")
HOLDS = ("hold", "recycle")


@dataclass(frozen=True, slots=True)
class Difference:
    """One decision that would differ under the draft (or a board decision it would leave unmatched).

    `kind`: screening, score, recommendation, review, selection or board; `change`: the class the totals
    count (`kill->go`, `screened-out->screened`, `hold change`, ...); `why`: in words; `cost`: the
    development and launch cost of a proposal whose recommendation crosses go (else None).
    """

    seq: int
    kind: str
    subject: str
    was: str
    would_be: str
    change: str
    why: str
    cost: Decimal | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cost"] = None if self.cost is None else str(self.cost)
        return data


@dataclass(slots=True)
class Counterfactual:
    """A counterfactual replay's result: what was examined, what differs, the totals."""

    policy_name: str
    policy_version: str
    since: dt.date | None
    kinds: tuple[str, ...]
    examined: dict[str, int] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)

    @property
    def changes(self) -> dict[str, int]:
        """Differences by change (`kill->go`, `hold change`, ...), boards and selections included."""
        counts: dict[str, int] = {}
        for d in self.differences:
            counts[d.change] = counts.get(d.change, 0) + 1
        return dict(sorted(counts.items()))

    @property
    def budget_to_go(self) -> Decimal:
        """Cost of the proposals whose recommendation would cross go upwards (to go or conditional go)."""
        return sum((d.cost for d in self._crossing() if d.would_be in FUNDED), Decimal(0))

    @property
    def budget_from_go(self) -> Decimal:
        """Cost of the proposals whose go (or conditional go) recommendation would be lost."""
        return sum((d.cost for d in self._crossing() if d.would_be not in FUNDED), Decimal(0))

    def _crossing(self) -> Iterable[Any]:
        return (d for d in self.differences if d.kind == "recommendation" and d.cost is not None)

    def totals(self) -> dict[str, Any]:
        return {
            "examined": dict(self.examined),
            "differences": sum(1 for d in self.differences if d.kind != "board"),
            "changes": self.changes,
            "budget_to_go": str(self.budget_to_go),
            "budget_from_go": str(self.budget_from_go),
            "budget_moved": str(self.budget_to_go + self.budget_from_go),
            "selections_changed": sum(1 for d in self.differences if d.kind == "selection"),
            "board_no_longer_matching": sum(1 for d in self.differences if d.change == "board no longer matches"),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "policy": {"name": self.policy_name, "version": self.policy_version},
            "since": None if self.since is None else self.since.isoformat(),
            "kinds": list(self.kinds),
            "totals": self.totals(),
            "differences": [d.as_dict() for d in self.differences],
        }


def number(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
