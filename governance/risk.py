"""Portfolio risk: a simulation of a recorded selection, a quarter's, or any set of projects on file.

`governance risk` takes a set of projects and proposals, reads each one's estimates as they stand
(an active project: what is still to come after the quarter, from its status report's forecast
where it has one; a proposal: its plan as filed), and simulates the set (governance.simulation)
with the policy's `simulation:` settings (distribution, correlations, trials). Each estimate is a
three-point estimate where a range is on file (a proposal's `development_range`, `launch_range`,
`amount_range`; a status report's forecast ranges) and a point value where none is; the present
value of benefits at its low, most likely and high is the PV of every period's low, most likely and
high (at the policy's discount rate, as the score card computes it), so a project's periods move
together.

Costs count in value in every period (as in ECV); spend is reported for the budgeted periods only.
The `simulated` record's inputs snapshot holds the model itself (every estimate, the periods and
budgets, the distribution, correlations, trials and seed), so a replay draws the same trials from
it and must find the same payload, byte for byte.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import pyxirr
from sqlalchemy import Connection, select

from governance.adoption import current_policy
from governance.authority import Actor, authorise
from governance.calendar import fiscal_period, quarter_dates, today_in
from governance.canonical import canonical_text
from governance.errors import NotFoundError
from governance.financials import cash_flows
from governance.ledger import Ledger, NewRecord, get_snapshot, iter_records, latest_record
from governance.policy import LoadedPolicy
from governance.simulation import PortfolioModel, SimulatedProject, Simulation, ThreePoint, simulate
from governance.store import Store
from models.proposal import Proposal, Range
from models.records import LedgerRecord, SelectedPayload, SimulatedDriver, SimulatedPayload, SimulatedPeriod
from models.status_report import StatusReport
from models.tables import LedgerRow, ProposalRow, SnapshotRow

__all__ = [
    "DEFAULT_SEED",
    "RiskRun",
    "Source",
    "estimates",
    "model_from_snapshot",
    "payload_of",
    "risk_inputs",
    "run_risk",
]

DEFAULT_SEED = 1
SourceKind = Literal["quarter", "selection", "projects"]


@dataclass(frozen=True, slots=True)
class Source:
    """Which set to simulate: the selection recorded with a quarter's review, a `selected` record by
    its sequence number, or projects and proposals named by id (the newest selection's if none)."""

    kind: SourceKind
    quarter: str | None = None
    selection_seq: int | None = None
    ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RiskRun:
    """A simulation's inputs snapshot and payload; `seq` of its record (None when not recorded)."""

    inputs: dict[str, Any]
    payload: SimulatedPayload
    seq: int | None


# -- a project's estimates ------------------------------------------------------------------------


def _three(amount: Decimal, given: Range | None) -> list[str]:
    low, high = (amount, amount) if given is None else (given.low, given.high)
    return [str(low), str(amount), str(high)]


def estimates(proposal: Proposal, rate: Decimal) -> dict[str, Any]:
    """A proposal's three-point estimates as the snapshot holds them: development and launch per
    period, the PV of benefits (low, most likely, high) and the probabilities of success."""
    periods, _, _ = cash_flows(proposal)
    at = {p: k for k, p in enumerate(periods)}
    flows = {name: [0.0] * len(periods) for name in ("low", "likely", "high")}
    for b in proposal.benefits:
        low, high = (b.amount, b.amount) if b.amount_range is None else (b.amount_range.low, b.amount_range.high)
        for name, amount in (("low", low), ("likely", b.amount), ("high", high)):
            flows[name][at[b.period]] += float(amount)
    rate_float = float(rate)
    pv = [
        str(Decimal(repr(pyxirr.npv(rate_float, flows[name]) if periods else 0.0)).quantize(Decimal("0.01")))
        for name in ("low", "likely", "high")
    ]
    ranged = any(c.development_range or c.launch_range for c in proposal.costs) or any(
        b.amount_range for b in proposal.benefits
    )
    return {
        "development": {c.period: _three(c.development, c.development_range) for c in proposal.costs},
        "launch": {c.period: _three(c.launch, c.launch_range) for c in proposal.costs},
        "benefits": pv,
        "p_technical": str(proposal.p_technical),
        "p_commercial": str(proposal.p_commercial),
        "ranged": ranged,
    }


def _point(values: Sequence[str]) -> ThreePoint:
    return ThreePoint(*(float(Decimal(v)) for v in values))


def model_from_snapshot(data: Mapping[str, Any]) -> PortfolioModel:
    """The model a `simulated` record was drawn from, from its inputs snapshot."""
    periods: list[str] = list(data["periods"])
    zero = ThreePoint.point(0.0)
    projects = [
        SimulatedProject(
            id=p["id"],
            bucket=p["bucket"],
            p_technical=float(Decimal(p["p_technical"])),
            p_commercial=float(Decimal(p["p_commercial"])),
            development=[_point(p["development"][k]) if k in p["development"] else zero for k in periods],
            launch=[_point(p["launch"][k]) if k in p["launch"] else zero for k in periods],
            benefits=_point(p["benefits"]),
        )
        for p in data["projects"]
    ]
    budget = data["budget"]
    return PortfolioModel(
        projects=projects,
        periods=periods,
        budget=[float(Decimal(budget.get(k, "0"))) for k in periods],
        family=data["distribution"],
        rho_bucket=float(Decimal(data["correlation_within_bucket"])),
        rho_all=float(Decimal(data["correlation_across"])),
    )


def payload_of(data: Mapping[str, Any], result: Simulation) -> SimulatedPayload:
    """The `simulated` payload of a snapshot's results (spend for the budgeted periods only)."""
    budget = data["budget"]
    return SimulatedPayload(
        source=data["source"]["kind"],
        quarter=data["source"].get("quarter"),
        selection_seq=data["source"].get("selection_seq"),
        projects=[p["id"] for p in data["projects"]],
        currency=data["currency"],
        distribution=data["distribution"],
        correlation_within_bucket=Decimal(data["correlation_within_bucket"]),
        correlation_across=Decimal(data["correlation_across"]),
        trials=result.trials,
        seed=result.seed,
        mean=result.mean,
        p10=result.p10,
        p50=result.p50,
        p90=result.p90,
        p_negative=result.p_negative,
        percentiles=list(result.percentiles),
        spend=[
            SimulatedPeriod(
                period=s.period,
                budget=s.budget,
                mean=s.mean,
                p10=s.p10,
                p50=s.p50,
                p90=s.p90,
                p_over_budget=s.p_over_budget,
            )
            for s in result.spend
            if s.period in budget
        ],
        drivers=[SimulatedDriver(id=d.id, share=d.share) for d in result.drivers],
        without_ranges=[p["id"] for p in data["projects"] if not p["ranged"]],
    )


# -- which projects, as they stand ----------------------------------------------------------------


def _selection_record(conn: Connection, source: Source) -> LedgerRecord:
    from governance.review.records import quarter_subject

    if source.kind == "quarter":
        assert source.quarter is not None
        record = latest_record(conn, quarter_subject(source.quarter), "selected")
        if record is None:
            raise NotFoundError(
                f"the {source.quarter} review recorded no selection: "
                f"run `governance review --quarter {source.quarter}` first"
            )
        return record
    seq = source.selection_seq
    if seq is None:
        seq = conn.scalar(select(LedgerRow.seq).where(LedgerRow.kind == "selected").order_by(LedgerRow.seq.desc()))
        if seq is None:
            raise NotFoundError("no selection is on record: run a quarterly review, or name projects with --project")
    record = next(iter_records(conn, since_seq=seq, batch=1), None)
    if record is None or record.seq != seq or record.kind != "selected":
        found = "not on record" if record is None or record.seq != seq else f"a {record.kind} record"
        raise NotFoundError(f"record #{seq} is {found}, not a selection (`selected`)")
    return record


def _quarter_of_subject(subject: str) -> str | None:
    return subject[2:] if subject.startswith("Q-") else None


def _contents(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[Any, Proposal]]:
    rows = {r.id: r for r in conn.execute(select(ProposalRow).where(ProposalRow.id.in_(list(ids))))}
    keys = [r.snapshot for r in rows.values()]
    texts = {
        k: t for k, t in conn.execute(select(SnapshotRow.key, SnapshotRow.content).where(SnapshotRow.key.in_(keys)))
    }
    return {i: (r, Proposal.model_validate_json(texts[r.snapshot])) for i, r in rows.items()}


def _ahead(
    conn: Connection, loaded: LoadedPolicy, ids: Sequence[str], quarter: str | None
) -> dict[str, tuple[Any, Proposal]]:
    """Each id's row and estimates as they stand: an active or paused project's from the period after
    `quarter` on (its status report for `quarter` replacing the plan where it forecasts)."""
    from governance.lifecycle import REVIEWABLE
    from governance.reports import latest_reports
    from governance.review.facts import remaining

    found = _contents(conn, ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFoundError(f"not on file: {', '.join(missing)}")
    if quarter is None:
        return found
    reports: dict[tuple[str, str], StatusReport] = latest_reports(conn, [quarter])
    first = fiscal_period(quarter_dates(quarter)[1] + dt.timedelta(days=1), loaded.policy)
    return {
        i: (row, remaining(proposal, reports.get((i, quarter)), first) if row.state in REVIEWABLE else proposal)
        for i, (row, proposal) in found.items()
    }


def risk_inputs(
    conn: Connection,
    loaded: LoadedPolicy,
    source: Source,
    *,
    today: dt.date,
    trials: int | None,
    seed: int,
    against_budget: Mapping[str, Decimal] | None = None,
) -> dict[str, Any]:
    """The inputs snapshot of a simulation of `source` under the current policy (`against_budget`: projects
    named by id simulated against this budget instead of the policy's, as a saved scenario has it)."""
    from governance.calendar import quarter_of

    policy = loaded.policy
    if policy.portfolio is None and source.kind != "quarter" and against_budget is None:
        raise NotFoundError("the policy has no portfolio section: there is no budget to simulate against")
    rules = policy.simulation
    origin: dict[str, Any] = {"kind": source.kind}
    if source.kind == "projects":
        ids = list(dict.fromkeys(source.ids))
        quarter = quarter_of(today)
        given = against_budget if against_budget is not None else (policy.portfolio.budget if policy.portfolio else {})
        budget = {p: str(a) for p, a in sorted(given.items())}
    else:
        record = _selection_record(conn, source)
        body = record.body_as(SelectedPayload)
        ids = list(body.selected)
        quarter = _quarter_of_subject(record.subject) or quarter_of(today)
        problem = get_snapshot(conn, record.inputs) if record.inputs else {}
        budget = dict(sorted(problem.get("budget", {}).items()))
        origin |= {"quarter": _quarter_of_subject(record.subject), "selection_seq": record.seq}
        origin = {k: v for k, v in origin.items() if v is not None}
        if not ids:
            raise NotFoundError(f"the selection in record #{record.seq} funds nothing: there is nothing to simulate")
    ahead = _ahead(conn, loaded, ids, quarter)
    projects = []
    for i in ids:
        row, proposal = ahead[i]
        projects.append({"id": i, "bucket": row.bucket} | estimates(proposal, policy.discount_rate))
    periods = sorted(set(budget) | {p for e in projects for p in (*e["development"], *e["launch"])})
    return {
        "source": origin,
        "currency": policy.currency,
        "discount_rate": str(policy.discount_rate),
        "distribution": rules.distribution if rules else "pert",
        "correlation_within_bucket": str(rules.correlation_within_bucket if rules else Decimal(0)),
        "correlation_across": str(rules.correlation_across if rules else Decimal(0)),
        "trials": trials if trials is not None else (rules.trials if rules else 10_000),
        "seed": seed,
        "periods": periods,
        "budget": budget,
        "projects": projects,
    }


def simulate_inputs(data: Mapping[str, Any]) -> SimulatedPayload:
    """Draw a snapshot's trials and make its payload (what `run_risk` records and replay re-makes)."""
    return payload_of(data, simulate(model_from_snapshot(data), int(data["trials"]), int(data["seed"])))


def run_risk(
    store: Store,
    ledger: Ledger,
    source: Source,
    actor: Actor | None,
    *,
    trials: int | None = None,
    seed: int = DEFAULT_SEED,
) -> RiskRun:
    """Simulate `source` and record it as `simulated` (authorised as `simulate`); `actor` None: only
    simulate, record nothing (what-if)."""
    with store.read() as conn:
        loaded = current_policy(conn)
        if actor is not None:
            acting = authorise(loaded.policy, actor, "simulate")
        inputs = risk_inputs(
            conn, loaded, source, today=today_in(loaded.policy, ledger.clock.now()), trials=trials, seed=seed
        )
    payload = simulate_inputs(inputs)
    if actor is None:
        return RiskRun(inputs, payload, None)
    subject = f"Q-{inputs['source']['quarter']}" if "quarter" in inputs["source"] else "portfolio"
    with store.write() as conn:
        written = ledger.append(
            conn,
            [
                NewRecord(
                    kind="simulated",
                    subject=subject,
                    outcome=f"{payload.trials} trials, P50 {payload.p50}",
                    policy_version=current_policy(conn).version,
                    payload=payload,
                    inputs=inputs,
                )
            ],
            acting.recorded_by,
        )
    return RiskRun(inputs, payload, written[-1].seq)


def replay_simulated(data: Mapping[str, Any], recorded: SimulatedPayload) -> tuple[bool, str]:
    """Draw a `simulated` record's trials again from its snapshot: the same payload, byte for byte?"""
    again = simulate_inputs(data)
    if canonical_text(again) == canonical_text(recorded):
        return True, f"{again.trials} trials, seed {again.seed}: P50 {again.p50}, the same results"
    return False, f"{again.trials} trials, seed {again.seed}: P50 {again.p50} vs recorded {recorded.p50}"
