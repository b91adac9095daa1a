"""Benefits realised against what each gate promised, from `governance.benefits.realisation`.

For each go (or conditional go) selected, its baseline is the benefits of the proposal version it was
decided on (`ProjectBenefits.baselines`, one per go); what was promised by `today` is that baseline's part
due by then (`governance.benefits.promised_to`), what was realised is the project's realised benefits to
date. Per gate the sums over its goes; over all gates, each project once, at its latest selected go.
Only projects past the policy's last gate have a benefits record (`realisation` chooses them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from sqlalchemy import Connection

from governance.benefits import promised_to, realisation
from models.policy import Policy

__all__ = ["GateBenefits", "gate_benefits"]


class _Decision(Protocol):
    """What is read here of a decision (`report.DecisionRow`)."""

    @property
    def seq(self) -> int: ...
    @property
    def project(self) -> str: ...
    @property
    def gate(self) -> int: ...
    @property
    def went_ahead(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class GateBenefits:
    """Benefits promised by `today` at a gate's goes (gate None: each project once) and realised by then."""

    gate: int | None
    projects: int
    promised_to_date: Decimal
    realised_to_date: Decimal

    @property
    def ratio(self) -> Decimal | None:
        if not self.promised_to_date:
            return None
        return (self.realised_to_date / self.promised_to_date).quantize(Decimal("0.0001"))

    def as_dict(self) -> dict[str, object]:
        return {
            "gate": self.gate,
            "projects": self.projects,
            "promised_to_date": self.promised_to_date,
            "realised_to_date": self.realised_to_date,
            "ratio": self.ratio,
        }


def gate_benefits(
    conn: Connection, rows: Sequence[_Decision], policy: Policy, today: dt.date
) -> tuple[GateBenefits, ...]:
    """Per gate with goes among `rows`, then over all gates: promised against realised benefits to date."""
    projects = {p.project: p for p in realisation(conn, policy, today)}
    at: dict[int | None, list[tuple[str, Decimal, Decimal]]] = {}
    latest: dict[str, tuple[Decimal, Decimal]] = {}
    for row in rows:
        project = projects.get(row.project)
        if not row.went_ahead or project is None:
            continue
        baseline = next((b for b in project.baselines if b.seq == row.seq), None)
        if baseline is None:
            continue
        promised = promised_to(baseline.benefits, today, policy)
        at.setdefault(row.gate, []).append((row.project, promised, project.realised_to_date))
        latest[row.project] = (promised, project.realised_to_date)
    out = [
        GateBenefits(gate, len({p for p, _, _ in items}), sum((x for _, x, _ in items), Decimal(0)),
                     sum((y for _, _, y in items), Decimal(0)))
        for gate, items in sorted(at.items(), key=lambda kv: kv[0] or 0)
    ]  # fmt: skip
    if latest:
        out.append(
            GateBenefits(None, len(latest), sum((x for x, _ in latest.values()), Decimal(0)),
                         sum((y for _, y in latest.values()), Decimal(0)))
        )  # fmt: skip
    return tuple(out)
