"""The review's plan: per project, the facts, the rules that fired and the recommendation; then the selection.

`plan_review` reads only. How rules and selection combine (the policy's `portfolio.precedence`,
default `rules`): a stop, pause or complete from the rules stands; a project the rules would continue
(or resume) but the selection leaves unfunded is recommended for pause, "not funded within budget".
With precedence `selection`, a project paused by a rule but funded by the selection continues (stop
and complete always stand).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection

from governance.adoption import current_policy
from governance.calendar import fiscal_period, last_ended_quarter, previous_quarter, quarter_dates, today_in
from governance.canonical import canonical_text
from governance.errors import ConfigError
from governance.financials import financials
from governance.ledger import Ledger
from governance.policy import LoadedPolicy
from governance.reports import latest_reports
from governance.review.facts import ProjectOnFile, load_projects, quarter_facts, recorded_facts, remaining
from governance.rules import check
from governance.store import Store
from models.decision import ReviewOutcome
from models.policy import Policy, ReviewRule
from models.proposal import Proposal
from models.records import FiredRule, ReviewProject, SelectedPayload
from models.selection import SelectionProblem
from models.status_report import StatusReport

__all__ = ["ReviewPlan", "apply_selection", "current_problem", "plan_review", "rules_outcome", "selection_problem"]

# Which fired rule decides: a complete before a stop before a pause (then by rule id).
_PRECEDENCE = {"complete": 0, "stop": 1, "pause": 2}


@dataclass(frozen=True, slots=True)
class ReviewPlan:
    """What `propose_review` records: per project, the facts, the rules that fired, the recommendation.

    `projects` are the `review-proposed` record's projects; `selection` (the `selected` record's
    payload), `selection_problem` (its inputs, as JSON data) and `problem` are set where the policy
    has a portfolio section (`problem` also by `plan_review(..., solve=False)`).
    """

    quarter: str
    as_of: dt.date
    projects: tuple[ReviewProject, ...] = ()
    findings: tuple[str, ...] = ()
    selection: SelectedPayload | None = None
    selection_problem: Mapping[str, Any] | None = None
    problem: SelectionProblem | None = None


def _fired(rule: ReviewRule, quarters: list[str], facts_by_quarter: dict[str, dict[str, Any]]) -> FiredRule | None:
    """The rule, with the figures of each quarter it held in, if it held in all of its quarters."""
    evidence = []
    for q in quarters[: rule.for_quarters]:
        result = check(rule.when, facts_by_quarter[q])
        evidence.append(f"{result.explained()} ({q})")
        if not result.held:
            return None
    span = f" for {rule.for_quarters} quarters" if rule.for_quarters > 1 else ""
    return FiredRule(rule=rule.id, outcome=rule.outcome, reason=f"{rule.reason}{span}", evidence=evidence)


def rules_outcome(
    policy: Policy, state: str, quarters: list[str], facts_by_quarter: dict[str, dict[str, Any]]
) -> tuple[ReviewOutcome, list[str], list[FiredRule]]:
    """What the review rules recommend for a project in `state` (active or paused) on its facts for each
    of `quarters` (the quarter under review first): the outcome, its reasons, the rules that fired."""
    fired = [f for f in (_fired(rule, quarters, facts_by_quarter) for rule in policy.review_rules) if f is not None]
    fired.sort(key=lambda f: (_PRECEDENCE[f.outcome], f.rule))
    if fired:
        return fired[0].outcome, [f"{f.rule}: {f.reason}: {'; '.join(f.evidence)}" for f in fired], fired
    return ("resume" if state == "paused" else "continue"), ["no review rule fired"], []


def _project_plan(
    loaded: LoadedPolicy,
    project: ProjectOnFile,
    ahead: Proposal,
    quarters: list[str],
    reports: dict[tuple[str, str], StatusReport],
) -> ReviewProject:
    """One project's facts, the rules that fired on them and the rules' recommendation."""
    policy = loaded.policy
    quarter = quarters[0]
    fin = financials(ahead, policy.discount_rate)
    base = {
        "score": project.score,
        "ecv": fin.ecv,
        "npv": fin.npv,
        "open_conditions": project.open_conditions,
        "overdue_conditions": project.overdue_conditions,
        "state": project.state,
        "bucket": project.bucket,
    }
    facts_by_quarter = {
        q: quarter_facts(
            reports.get((project.id, q)), quarter_dates(q)[1] + dt.timedelta(days=policy.review.report_due_days), base
        )
        for q in quarters
    }
    findings: list[str] = []
    if project.score_note:
        findings.append(project.score_note)
    now = facts_by_quarter[quarter]
    if now["report_missing"]:
        findings.append(f"no status report for {quarter}")
    elif now["report_late_days"]:
        findings.append(f"status report for {quarter} came {now['report_late_days']} day(s) after its due date")
    outcome, reasons, fired = rules_outcome(policy, project.state, quarters, facts_by_quarter)
    return ReviewProject(
        id=project.id,
        reference=project.reference,
        title=project.title,
        bucket=project.bucket,
        state=project.state,
        rules_outcome=outcome,
        recommended=outcome,
        reasons=reasons,
        rules_fired=fired,
        findings=findings,
        facts=recorded_facts(now),
        funded=None,
    )


def plan_review(
    conn: Connection, loaded: LoadedPolicy, quarter: str, today: dt.date, *, solve: bool = True
) -> ReviewPlan:
    """Apply the review rules and the selection to every active and paused project (reads only)."""
    policy = loaded.policy
    depth = max((r.for_quarters for r in policy.review_rules), default=1)
    quarters = [quarter]
    while len(quarters) < depth:
        quarters.append(previous_quarter(quarters[-1]))
    reports = latest_reports(conn, quarters)
    _, quarter_end = quarter_dates(quarter)
    first_period = fiscal_period(quarter_end + dt.timedelta(days=1), policy)
    per_project: list[ReviewProject] = []
    ahead: dict[str, Proposal] = {}
    for project in load_projects(conn, loaded, today):
        ahead[project.id] = remaining(project.proposal, reports.get((project.id, quarter)), first_period)
        per_project.append(_project_plan(loaded, project, ahead[project.id], quarters, reports))
    findings: list[str] = []
    missing = sum(1 for p in per_project if p.facts.report_missing)
    late = sum(1 for p in per_project if p.facts.report_late_days)
    if missing:
        findings.append(f"{missing} project(s) sent no status report for {quarter}")
    if late:
        findings.append(f"{late} project(s) reported late")
    if policy.portfolio is None:
        findings.append("the policy has no portfolio section: no selection was run")
    plan = ReviewPlan(quarter=quarter, as_of=today, projects=tuple(per_project), findings=tuple(findings))
    if policy.portfolio is None:
        return plan
    problem = _build_problem(conn, loaded, plan, ahead, first_period)
    plan = replace(plan, problem=problem)
    return apply_selection(plan, problem, policy.portfolio.precedence) if solve else plan


def _build_problem(
    conn: Connection, loaded: LoadedPolicy, plan: ReviewPlan, ahead: dict[str, Proposal], first_period: str
) -> SelectionProblem:
    from governance.portfolio import pipeline_candidates, problem_for_policy, project_candidate

    policy = loaded.policy
    assert policy.portfolio is not None
    candidates = []
    for p in plan.projects:
        if p.rules_outcome in ("stop", "complete"):
            continue
        force_out = None
        if p.rules_outcome == "pause" and policy.portfolio.precedence == "rules":
            force_out = f"review rule {p.rules_fired[0].rule}: pause"
        # project_candidate reads the project as JSON data (its facts' decimals as written).
        candidates.append(project_candidate(p.model_dump(), ahead[p.id], force_out))
    candidates += pipeline_candidates(conn, policy, first_period, exclude={p.id for p in plan.projects})
    return problem_for_policy(policy, candidates, conn)


def _funded(project: ReviewProject, funded: bool, left_out: dict[str, list[str]], precedence: str) -> ReviewProject:
    """A continuing (or pausing) project once the selection has run: funded or not, and what that changes."""
    if project.rules_outcome == "pause":
        if funded and precedence == "selection":
            reason = "the selection funds it and the policy gives the selection precedence over the review rules"
            return project.model_copy(
                update={
                    "funded": funded,
                    "recommended": "continue" if project.state == "active" else "resume",
                    "reasons": [*project.reasons, reason],
                }
            )
        return project.model_copy(update={"funded": funded})
    if funded:
        return project.model_copy(update={"funded": funded})
    why = "; ".join(left_out.get(project.id, []))
    return project.model_copy(
        update={
            "funded": funded,
            "recommended": "pause",
            "reasons": ["not funded within budget" + (f" ({why})" if why else "")],
        }
    )


def apply_selection(plan: ReviewPlan, problem: SelectionProblem, precedence: str) -> ReviewPlan:
    """`plan` with `problem` solved: its `selection` and `selection_problem` set and each project's
    `funded`; a continuing project left out is recommended for pause "not funded within budget", and
    a rule's pause gives way to the selection when `precedence` is "selection"."""
    from governance.portfolio import problem_json
    from governance.selection import solve

    result = solve(problem)
    solved = replace(
        plan,
        selection_problem=json.loads(canonical_text(problem_json(problem))),
        selection=SelectedPayload.from_result(result),
    )
    if result.status not in ("optimal", "gap"):
        finding = f"portfolio selection is {result.status}; the recommendations stand on the review rules alone" + (
            ". Conflicting: " + "; ".join(result.conflicts) if result.conflicts else ""
        )
        return replace(solved, findings=(*plan.findings, finding))
    chosen = set(result.selected)
    left_out = {item.id: item.reasons for item in result.left_out}
    projects = tuple(
        p if p.rules_outcome in ("stop", "complete") else _funded(p, p.id in chosen, left_out, precedence)
        for p in plan.projects
    )
    return replace(solved, projects=projects)


def selection_problem(conn: Connection, loaded: LoadedPolicy, quarter: str, today: dt.date) -> SelectionProblem:
    """The selection a review of `quarter` would solve now (for `governance select`: nothing recorded)."""
    plan = plan_review(conn, loaded, quarter, today, solve=False)
    assert plan.problem is not None
    return plan.problem


def current_problem(store: Store, ledger: Ledger) -> SelectionProblem:
    """The selection a review of the quarter that ended last would solve now (`governance select`)."""
    with store.read() as conn:
        loaded = current_policy(conn)
        if loaded.policy.portfolio is None:
            raise ConfigError("the adopted policy has no portfolio section: give --candidates FILE")
        today = today_in(loaded.policy, ledger.clock.now())
        return selection_problem(conn, loaded, last_ended_quarter(today), today)
