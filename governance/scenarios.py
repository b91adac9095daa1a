"""Saved scenarios: what-ifs of the portfolio kept by name, compared, and committed by the board.

A scenario is the selection problem a quarterly review would solve now (governance.review's
`selection_problem` for the quarter that ended last) with changes: budgets per period, bucket
bounds, the value measure, candidates forced in or out, criterion weights (governance.scenario_weights),
or a draft policy (`--policy FILE`). A draft
policy changes what the review would build from it: its portfolio section (budget, bucket bounds,
value measure, frontier, gap, time limit), its buckets, its review rules (which projects continue),
its scoring weights (active projects' scores are re-computed under it; proposals keep the score of
their newest score card) and its discount rate (NPV, ECV); the changes given with it apply on top.

Scenarios are working documents, not decisions: they live in the `scenarios` table (created and
deleted, never changed), each with its changes, the policy in force and the ledger head it was made
at, who made it (authenticated) and when (the injected clock), and its solved selection with the
simulation of that selection's value and spend (governance.risk, against the scenario's budget; the
policy's simulation settings, seed 1). Making and deleting one is the `manage-scenarios` action (its
creator may also delete it); reading them is open.

`commit_scenario` is the board's decision path: the votes must reach the quorum and carry under the
policy's voting rule, the person deciding must hold `commit-scenario` and record it, and the
scenario is solved again: when the portfolio moved since it was made and the selection comes out
otherwise, it is refused (make it again). It appends a `selected` record (subject `portfolio`, the
problem as its inputs snapshot, so `governance replay` re-solves it) and the board's
`scenario-committed` record naming it. Recusal is not applied: a selection overrides no project's
review outcome, as a quarterly answer's override does.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from governance.adoption import current_policy
from governance.authority import Actor, authorise, carried, parse_review_votes
from governance.calendar import last_ended_quarter, today_in
from governance.canonical import canonical_text, to_plain
from governance.clock import format_utc
from governance.errors import (
    ConfigError,
    ConflictError,
    DecisionRefused,
    Forbidden,
    InputRefused,
    NotFoundError,
    Problem,
)
from governance.ledger import Ledger, NewRecord, head
from governance.people import Directory
from governance.policy import LoadedPolicy, policy_from_text
from governance.store import Store
from models.decision import ReviewVote
from models.records import (
    SCENARIO_NAME_PATTERN,
    ScenarioChanges,
    ScenarioCommittedPayload,
    SelectedPayload,
    SimulatedPayload,
    parse_payload,
)
from models.selection import SelectionProblem, SelectionResult
from models.tables import LedgerRow, ScenarioRow

__all__ = [
    "CommittedScenario",
    "Comparison",
    "Scenario",
    "ScenarioFigures",
    "changes_of",
    "check_name",
    "commit_scenario",
    "compare_scenarios",
    "create_scenario",
    "delete_scenario",
    "describe_changes",
    "figures",
    "get_scenario",
    "list_scenarios",
    "partition",
]

_NAME = re.compile(SCENARIO_NAME_PATTERN)


def _refused(problems: list[Problem]) -> InputRefused:
    return InputRefused(problems, message=f"scenario refused, nothing was saved: {len(problems)} problem(s)")


SCENARIO_SUBJECT = "portfolio"


@dataclass(frozen=True, slots=True)
class Scenario:
    """A saved scenario as stored: its changes, where it was made, and its solved selection and risk."""

    name: str
    changes: ScenarioChanges
    policy_version: str
    draft_policy: str | None
    ledger_seq: int
    created_by: str
    created_at: str
    problem: SelectionProblem
    result: SelectionResult
    risk: SimulatedPayload | None

    @property
    def selected(self) -> tuple[str, ...]:
        return tuple(self.result.selected) if self.result.status in ("optimal", "gap") else ()


@dataclass(frozen=True, slots=True)
class CommittedScenario:
    """What `commit_scenario` recorded: the `selected` and `scenario-committed` records."""

    name: str
    selected_seq: int
    committed_seq: int
    selected: tuple[str, ...]


def check_name(name: str) -> str:
    """`name` if it is a scenario name (1-40 of a-z, 0-9 and '-', not starting with '-').

    Raises:
        InputRefused: any other name.
    """
    if not _NAME.fullmatch(name):
        message = "a scenario name is 1 to 40 lowercase letters, digits and dashes, not starting with a dash"
        shown = name if len(name) <= 60 else f"{name[:40]}... ({len(name)} characters)"
        raise _refused([Problem("command line", "NAME", shown, "invalid-value", message)])
    return name


def changes_of(
    *,
    budget: dict[str, Decimal] | None = None,
    buckets: dict[str, tuple[Decimal, Decimal]] | None = None,
    value_measure: str | None = None,
    force_in: Sequence[str] = (),
    force_out: Sequence[str] = (),
    weights: dict[str, Decimal] | None = None,
) -> ScenarioChanges:
    """The changes as the command line gives them (checked against the portfolio when the scenario is made)."""
    return ScenarioChanges.model_validate(
        {
            "budget": {k: str(v) for k, v in sorted((budget or {}).items())},
            "buckets": {
                k: {"min_share": str(lo), "max_share": str(hi)} for k, (lo, hi) in sorted((buckets or {}).items())
            },
            "value_measure": value_measure,
            "force_in": list(dict.fromkeys(force_in)),
            "force_out": list(dict.fromkeys(force_out)),
            "weights": {k: str(v) for k, v in sorted((weights or {}).items())},
        }
    )


def _force_problems(problem: SelectionProblem, changes: ScenarioChanges) -> list[Problem]:
    candidates = {c.id: c for c in problem.candidates}
    problems: list[Problem] = []
    for flag, ids in (("--force-in", changes.force_in), ("--force-out", changes.force_out)):
        for i in ids:
            if i not in candidates:
                shown = ", ".join(sorted(candidates)[:8]) + (", ..." if len(candidates) > 8 else "")
                problems.append(Problem("command line", flag, i, "unknown-reference", f"no candidate {i} ({shown})"))
            elif flag == "--force-in" and candidates[i].force == "out":
                message = f"{i} is kept out of the selection: {candidates[i].force_reason}"
                problems.append(Problem("command line", flag, i, "inconsistent", message))
    for i in sorted(set(changes.force_in) & set(changes.force_out)):
        problems.append(Problem("command line", "--force-out", i, "inconsistent", f"{i} is also forced in"))
    return problems


def _forced(problem: SelectionProblem, changes: ScenarioChanges) -> SelectionProblem:
    from dataclasses import replace

    forced = {i: ("in", "forced in by the scenario") for i in changes.force_in}
    forced |= {i: ("out", "forced out by the scenario") for i in changes.force_out}
    return replace(
        problem,
        candidates=tuple(
            c.model_copy(update={"force": forced[c.id][0], "force_reason": forced[c.id][1]}) if c.id in forced else c
            for c in problem.candidates
        ),
    )


def _problem(
    conn: Connection, in_force: LoadedPolicy, draft: LoadedPolicy | None, changes: ScenarioChanges, today: dt.date
) -> SelectionProblem:
    """The selection a review of the quarter that ended last would solve now, with the scenario's changes."""
    from governance.candidates import with_overrides
    from governance.review import selection_problem

    loaded = draft or in_force
    if loaded.policy.portfolio is None:
        which = "the draft policy" if draft else "the adopted policy"
        raise ConfigError(f"{which} has no portfolio section: there is no selection to make a scenario of")
    from governance.scenario_weights import reweighted, weight_problems

    problem = selection_problem(conn, loaded, last_ended_quarter(today), today)
    problems = _force_problems(problem, changes) + weight_problems(loaded.policy, changes.weights)
    try:
        problem = with_overrides(
            problem,
            budget=dict(changes.budget) or None,
            buckets={b: (v.min_share, v.max_share) for b, v in changes.buckets.items()} or None,
            value_measure=changes.value_measure,
        )
    except InputRefused as refused:
        problems = [*refused.problems, *problems]
    if problems:
        raise _refused(problems)
    return _forced(reweighted(conn, problem, changes.weights), changes)


def _risk(
    conn: Connection, loaded: LoadedPolicy, problem: SelectionProblem, result: SelectionResult, today: dt.date
) -> SimulatedPayload | None:
    from governance.risk import DEFAULT_SEED, Source, risk_inputs, simulate_inputs

    if result.status not in ("optimal", "gap") or not result.selected:
        return None
    source = Source("projects", ids=tuple(result.selected))
    data = risk_inputs(conn, loaded, source, today=today, trials=None, seed=DEFAULT_SEED, against_budget=problem.budget)
    return simulate_inputs(data)


def describe_changes(changes: ScenarioChanges) -> list[str]:
    """A scenario's changes in words, one a line (none: the portfolio as it stands)."""
    from governance.money import money

    lines = [f"budget {p}: {money(a)}" for p, a in changes.budget.items()]
    lines += [f"bucket {b}: {v.min_share} to {v.max_share}" for b, v in changes.buckets.items()]
    if changes.value_measure:
        lines.append(f"value measure {changes.value_measure}")
    lines += [f"forced in: {i}" for i in changes.force_in] + [f"forced out: {i}" for i in changes.force_out]
    lines += [f"weight {c}: {w}" for c, w in changes.weights.items()]
    if changes.policy:
        lines.append(f"draft policy {changes.policy[:12]}")
    return lines or ["none: the portfolio as it stands"]


def _from_row(row: Any) -> Scenario:
    from governance.selection import problem_from_snapshot

    solved = json.loads(row.result)
    risk = solved["risk"]
    return Scenario(
        name=row.name,
        changes=ScenarioChanges.model_validate_json(row.changes),
        policy_version=row.policy_version,
        draft_policy=row.draft_policy,
        ledger_seq=row.ledger_seq,
        created_by=row.created_by,
        created_at=row.created_at,
        problem=problem_from_snapshot(json.loads(row.problem)),
        result=SelectedPayload.model_validate(solved["selection"]).to_result(),
        risk=None if risk is None else SimulatedPayload.model_validate(risk),
    )


def _row(conn: Connection, name: str) -> Any:
    row = conn.execute(select(ScenarioRow.__table__).where(ScenarioRow.name == name)).one_or_none()
    if row is None:
        known = list(conn.scalars(select(ScenarioRow.name).order_by(ScenarioRow.name)))
        raise NotFoundError(f"no scenario named {name!r} (saved: {', '.join(known) or 'none'})")
    return row


def create_scenario(
    store: Store,
    ledger: Ledger,
    name: str,
    changes: ScenarioChanges,
    actor: Actor,
    *,
    draft: LoadedPolicy | None = None,
) -> Scenario:
    """Make the scenario `name` from the portfolio as it stands with `changes`, solve and simulate it, save it.

    Raises:
        InputRefused: a bad name, or changes the portfolio does not take (unknown period, bucket or
            candidate, a share out of range, a measure some candidate lacks), each a `Problem`.
        ConflictError: a scenario of that name exists. Forbidden: no `manage-scenarios`.
    """
    from governance.portfolio import problem_json
    from governance.selection import solve

    check_name(name)
    if draft is not None:
        changes = changes.model_copy(update={"policy": draft.version})
    with store.read() as conn:
        in_force = current_policy(conn)
        acting = authorise(in_force.policy, actor, "manage-scenarios")
        if conn.scalar(select(ScenarioRow.name).where(ScenarioRow.name == name)) is not None:
            raise ConflictError(f"a scenario named {name!r} exists already: delete it first, or choose another name")
        today = today_in(in_force.policy, ledger.clock.now())
        seq = head(conn)[0]
        problem = _problem(conn, in_force, draft, changes, today)
        result = solve(problem)
        risk = _risk(conn, draft or in_force, problem, result, today)
    solved = {"selection": SelectedPayload.from_result(result), "risk": risk}
    row = {
        "name": name,
        "changes": canonical_text(changes),
        "draft_policy": draft.text if draft else None,
        "policy_version": in_force.version,
        "ledger_seq": seq,
        "created_by": acting.recorded_by,
        "created_at": format_utc(ledger.clock.now()),
        "problem": canonical_text(problem_json(problem)),
        "result": canonical_text(to_plain(solved)),
    }
    with store.write() as conn:
        if conn.scalar(select(ScenarioRow.name).where(ScenarioRow.name == name)) is not None:
            raise ConflictError(f"a scenario named {name!r} exists already: delete it first, or choose another name")
        conn.execute(insert(ScenarioRow).values(**row))
        return _from_row(_row(conn, name))


def list_scenarios(store: Store) -> list[Scenario]:
    """Every saved scenario, by name."""
    with store.read() as conn:
        return [_from_row(r) for r in conn.execute(select(ScenarioRow.__table__).order_by(ScenarioRow.name))]


def get_scenario(store: Store, name: str) -> Scenario:
    """The saved scenario `name`. Raises NotFoundError (naming the saved ones) or InputRefused (a bad name)."""
    check_name(name)
    with store.read() as conn:
        return _from_row(_row(conn, name))


def delete_scenario(store: Store, name: str, actor: Actor) -> None:
    """Delete a saved scenario: its creator, or a person with `manage-scenarios`.

    Raises:
        NotFoundError: no such scenario. Forbidden: neither its creator nor allowed to manage scenarios.
    """
    check_name(name)
    with store.write() as conn:
        row = _row(conn, name)
        policy = current_policy(conn).policy
        try:
            authorise(policy, actor, "manage-scenarios")
        except Forbidden as refused:
            person = Directory.of(policy).for_account(actor.account) if actor.account else None
            me = actor.person or (person.id if person else None)
            if me is None or me != row.created_by:
                raise Forbidden(
                    f"{refused.message}; nor did they make scenario {name} ({row.created_by} did)"
                ) from None
        conn.execute(delete(ScenarioRow).where(ScenarioRow.name == name))


def _committed_before(conn: Connection, scenario: Scenario) -> int | None:
    for seq, payload in conn.execute(
        select(LedgerRow.seq, LedgerRow.payload).where(LedgerRow.kind == "scenario-committed").order_by(LedgerRow.seq)
    ):
        body = parse_payload("scenario-committed", payload)
        assert isinstance(body, ScenarioCommittedPayload)
        if (body.scenario, body.made_at_seq, body.created_by) == (
            scenario.name,
            scenario.ledger_seq,
            scenario.created_by,
        ):
            return int(seq)
    return None


def _check_board(policy: Any, name: str, votes: list[ReviewVote], decided_by: str) -> None:
    board = policy.board
    roster = {m.name for m in board.members}
    strangers = sorted(({v.member for v in votes} | {decided_by}) - roster)
    if strangers:
        raise DecisionRefused(f"not on the board roster: {', '.join(strangers)} (members: {', '.join(sorted(roster))})")
    if len(votes) < board.quorum:
        raise DecisionRefused(
            f"no quorum: {len(votes)} vote(s) cast on committing scenario {name}, the quorum is {board.quorum}; "
            "give --vote NAME=accept|reject"
        )
    passed, note = carried(board, votes)
    if not passed:
        raise DecisionRefused(f"the votes do not carry committing scenario {name}: {note}")


def commit_scenario(
    store: Store,
    ledger: Ledger,
    name: str,
    *,
    votes: Sequence[str],
    rationale: str,
    actor: Actor,
    decided_by: str = "",
) -> CommittedScenario:
    """Make a saved scenario's selection the portfolio's, by the board's decision (see the module docstring).

    Raises:
        DecisionRefused: no rationale, bad votes, no quorum, votes that do not carry, a decider who does
            not record it, or a selection that is not optimal now.
        Forbidden: the person recording it may not `commit-scenario`.
        ConflictError: the portfolio changed since the scenario was made and it now selects otherwise, or
            the scenario was committed already.
        NotFoundError: no such scenario.
    """
    from governance.portfolio import problem_json
    from governance.selection import solve

    check_name(name)
    if not rationale.strip():
        raise DecisionRefused("a decision needs --rationale")
    parsed = parse_review_votes(votes)
    with store.write() as conn:
        scenario = _from_row(_row(conn, name))
        in_force = current_policy(conn)
        acting = authorise(in_force.policy, actor, "commit-scenario")
        decider = decided_by.strip().lower() or acting.person.id
        _check_board(in_force.policy, name, parsed, decider)
        if decider != acting.person.id:
            raise DecisionRefused(
                f"the decision names {decider} as deciding, but it is recorded by {acting.recorded_by}: "
                "the person deciding records it (or a delegate for them)"
            )
        earlier = _committed_before(conn, scenario)
        if earlier is not None:
            raise ConflictError(f"scenario {name} was committed already (record {earlier}); nothing was recorded")
        today = today_in(in_force.policy, ledger.clock.now())
        draft = policy_from_text(scenario.draft_policy) if scenario.draft_policy else None
        problem = _problem(conn, in_force, draft, scenario.changes, today)
        result = solve(problem)
        if result.status not in ("optimal", "gap"):
            raise DecisionRefused(f"scenario {name} has no selection now ({result.status}): nothing to commit")
        now_seq = head(conn)[0]
        if tuple(result.selected) != scenario.selected:
            gained = sorted(set(result.selected) - set(scenario.selected))
            lost = sorted(set(scenario.selected) - set(result.selected))
            raise ConflictError(
                f"the portfolio changed since scenario {name} was made (ledger record {scenario.ledger_seq}, now "
                f"{now_seq}): solved again it also selects {', '.join(gained) or 'nothing else'} and drops "
                f"{', '.join(lost) or 'nothing'}; make the scenario again"
            )
        payload = ScenarioCommittedPayload(
            scenario=name,
            changes=scenario.changes,
            created_by=scenario.created_by,
            made_at_seq=scenario.ledger_seq,
            selected_seq=now_seq + 1,
            selected=list(result.selected),
            votes=parsed,
            decided_by=decider,
            meeting_date=today,
            rationale=rationale.strip(),
        )
        selected, committed = ledger.append(
            conn,
            [
                NewRecord(
                    kind="selected",
                    subject=SCENARIO_SUBJECT,
                    outcome=result.status,
                    policy_version=in_force.version,
                    payload=SelectedPayload.from_result(result),
                    inputs=json.loads(canonical_text(problem_json(problem))),
                ),
                NewRecord(
                    kind="scenario-committed",
                    subject=SCENARIO_SUBJECT,
                    outcome=name,
                    policy_version=in_force.version,
                    payload=payload,
                ),
            ],
            acting.recorded_by,
        )
    return CommittedScenario(name, selected.seq, committed.seq, tuple(result.selected))


@dataclass(frozen=True, slots=True)
class ScenarioFigures:
    """One scenario's column in a comparison: the selection's value and spend, and its simulation's figures
    (None where nothing was selected to simulate)."""

    name: str
    status: str
    value_measure: str
    value: Decimal | None
    count: int
    spend: dict[str, Decimal]
    budget: dict[str, Decimal]
    mean: Decimal | None
    p10: Decimal | None
    p50: Decimal | None
    p90: Decimal | None
    p_negative: Decimal | None
    p_over_budget: dict[str, Decimal]
    selected: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    """Scenarios side by side: each one's figures, the budget periods of any of them, the projects every
    one selects, and the projects only some select (id -> the names of those that do)."""

    scenarios: tuple[ScenarioFigures, ...]
    periods: tuple[str, ...]
    in_all: tuple[str, ...]
    in_some: dict[str, tuple[str, ...]]
    titles: dict[str, str]
    currency: str | None


def figures(scenario: Scenario) -> ScenarioFigures:
    """A scenario's figures for a comparison (its stored result and simulation)."""
    result, risk = scenario.result, scenario.risk
    return ScenarioFigures(
        name=scenario.name,
        status=result.status,
        value_measure=result.value_measure,
        value=result.objective,
        count=len(scenario.selected),
        spend={s.period: s.spend for s in result.spend_by_period},
        budget={s.period: s.budget for s in result.spend_by_period},
        mean=risk.mean if risk else None,
        p10=risk.p10 if risk else None,
        p50=risk.p50 if risk else None,
        p90=risk.p90 if risk else None,
        p_negative=risk.p_negative if risk else None,
        p_over_budget={s.period: s.p_over_budget for s in risk.spend} if risk else {},
        selected=scenario.selected,
    )


def compare_scenarios(store: Store, names: Sequence[str]) -> Comparison:
    """Two or more saved scenarios side by side (in the order named).

    Raises:
        InputRefused: fewer than two names, a name given twice, or a bad name. NotFoundError: an unknown one.
    """
    for name in names:
        check_name(name)
    twice = sorted({n for n in names if list(names).count(n) > 1})
    if len(names) < 2 or twice:
        why = f"{', '.join(twice)} named more than once" if twice else "name two scenarios or more"
        raise _refused([Problem("command line", "NAME", " ".join(names), "invalid-value", why)])
    with store.read() as conn:
        scenarios = [_from_row(_row(conn, n)) for n in names]
    columns = tuple(figures(s) for s in scenarios)
    in_all, in_some = partition({s.name: s.selected for s in scenarios})
    titles = {c.id: c.title for s in scenarios for c in s.problem.candidates}
    return Comparison(
        scenarios=columns,
        periods=tuple(sorted({p for c in columns for p in c.budget})),
        in_all=in_all,
        in_some=in_some,
        titles={i: titles[i] for i in sorted({*in_all, *in_some})},
        currency=scenarios[0].result.currency,
    )


def partition(selections: dict[str, tuple[str, ...]]) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """The ids every selection holds (sorted), and each id only some hold -> the names holding it (in order)."""
    chosen = [set(ids) for ids in selections.values()]
    every = set.intersection(*chosen)
    some = sorted(set.union(*chosen) - every)
    return tuple(sorted(every)), {i: tuple(n for n, ids in selections.items() if i in ids) for i in some}
