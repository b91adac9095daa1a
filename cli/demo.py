"""`governance demo`: every capability built so far, on the bundled samples, in a fresh database."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli import render
from cli.context import load_settings, out
from governance import adoption, intake, views
from governance.authority import Actor
from governance.calendar import today_in
from governance.errors import ConfigError, GovernanceError
from governance.ledger import Ledger, records_for, verify
from governance.policy import load_policy
from governance.store import Store
from models.policy import Policy
from models.records import DecidedPayload

__all__ = ["EXAMPLES", "app", "run_demo"]

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

app = typer.Typer()


@app.command()
def demo(
    folder: Annotated[Path, typer.Option(help="Where the demo keeps its database.")] = Path("demo-run"),
) -> None:
    """Run the whole engine on the bundled samples in a fresh database of its own.

    The demo is a script playing every part: the portfolio office (pmo) files, scores and runs the
    reviews; the chair (ana) records the board's decisions. Your own commands act as your OS user.

    Example: governance demo
    """
    from cli.context import working

    with working("The demo: filing, scoring, gates, two quarterly reviews, packs"):
        run_demo(folder, out)


def run_demo(folder: Path, console: Console) -> None:
    """Every capability built so far, on the bundled samples, in a fresh database under `folder`."""
    from flows.launch import run_gate, run_intake, run_review, run_score

    actor = "pmo"  # the portfolio office runs the steps the role matrix does not guard
    chair, office = Actor.of("ana", via="demo"), Actor.of("pmo", via="demo")
    try:
        folder = folder.resolve()
        folder.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Path.resolve before Python 3.13)
        raise ConfigError(f"--folder {folder}: not a folder the demo can use ({exc})") from None
    db = folder / "governance.db"
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)
    os.environ["GOVERNANCE_DATABASE_URL"] = f"sqlite:///{db}"
    settings = load_settings()
    store = Store(settings.resolved_database_url())
    ledger = Ledger(settings.clock(), settings.ids(), key=settings.ledger_secret())

    console.rule("1. A fresh database and the Stage-Gate policy")
    store.upgrade()
    policy = load_policy("stage-gate")
    adoption.adopt_policy(store, ledger, policy, chair)
    console.print(f"Database {db}; policy {policy.policy.title}, version {policy.short_version}.")

    console.rule("2. Submitters file the sample proposals (intake flow on Prefect)")
    report = run_intake(settings, [str(EXAMPLES / "proposals")], actor)
    render.filings_table(report.filings, console)
    console.print(render.summary_line(report.filings))

    console.rule("3. The same folder again: filing is idempotent")
    again = run_intake(settings, [str(EXAMPLES / "proposals")], actor)
    console.print(render.summary_line(again.filings))

    console.rule("4. A submitter amends a proposal, another withdraws one")
    amended = run_intake(settings, [str(EXAMPLES / "amendments")], actor)
    render.filings_table(amended.filings, console)
    withdrawn_ref = (
        "NW-KIOSK-LEGACY"
        if "NW-KIOSK-LEGACY" in {f.reference for f in report.filings}
        else report.filings[-1].reference
    )
    done = intake.withdraw(store, ledger, withdrawn_ref, office, "Superseded by the cloud service platform")
    console.print(f"Withdrew {done.proposal_id} ({done.reference}).")

    console.rule("5. The portfolio now")
    with store.read() as conn:
        rows = [(p.bucket, p.state) for p in views.proposals(conn)]
        history = records_for(conn, amended.filings[0].proposal_id) if amended.filings else []
    table = Table(title="Proposals by bucket and state")
    states = sorted({s for _, s in rows})
    table.add_column("bucket")
    for s in states:
        table.add_column(s, justify="right")
    counts = Counter(rows)
    for bucket in sorted({b for b, _ in rows}):
        table.add_row(bucket, *(str(counts[(bucket, s)] or "") for s in states))
    console.print(table)
    if history:
        trail = Table(title=f"Ledger history of {amended.filings[0].proposal_id}")
        for column in ("seq", "kind", "outcome", "recorded by", "hash"):
            trail.add_column(column)
        for r in history:
            trail.add_row(str(r.seq), r.kind, r.outcome or "", r.recorded_by, r.hash[:16])
        console.print(trail)

    console.rule("6. Assessors rate the proposals; the scoring flow ranks them (gate 1)")
    ranking = run_score(settings, [str(EXAMPLES / "assessments")], actor)
    title = f"Gate 1 ranking (top 10 of {len(ranking)})"
    render.ranking(ranking[:10], policy.policy.currency, console, title=title)

    console.rule("7. Gate reviews: the engine recommends, the board decides")
    ids = {f.reference: f.proposal_id for f in report.filings}
    for ref in ("NW-THERMO-V2", "NW-AIRQ-SENSOR", "NW-EMS-OUTSOURCE", "NW-ERP-LABEL"):
        result = run_gate(settings, ids[ref], actor)
        console.print(
            f"{result.proposal_id} {ref}: gate {result.gate} recommendation {result.recommendation} "
            f"({'; '.join(render.gate_reason(r, policy.policy.currency) for r in result.reasons)})"
        )
    from governance import board
    from models.decision import DecisionInput

    meeting = {"meeting_date": today_in(policy.policy, ledger.clock.now()), "decided_by": "ana"}
    decisions = [
        DecisionInput.model_validate(
            dict(
                meeting,
                proposal_id=ids["NW-THERMO-V2"],
                gate=1,
                outcome="go",
                rationale="Flagship product; platform dependencies are funded.",
                votes=[
                    {"member": m, "outcome": o}
                    for m, o in (("ana", "go"), ("raj", "go"), ("lee", "go"), ("mia", "hold"))
                ],
            )
        ),
        DecisionInput.model_validate(
            dict(
                meeting,
                proposal_id=ids["NW-AIRQ-SENSOR"],
                gate=1,
                outcome="conditional-go",
                rationale="Promising, but the sensor supplier is unproven.",
                votes=[{"member": m, "outcome": "conditional-go"} for m in ("ana", "raj", "lee")],
                conditions=[
                    {"text": "Second-source the particulate sensor", "owner": "Tom Becker", "due": "2027-03-31"}
                ],
            )
        ),
        # Tom declared a conflict (his former employer is the EMS partner): he is recused.
        DecisionInput.model_validate(
            dict(
                meeting,
                proposal_id=ids["NW-EMS-OUTSOURCE"],
                gate=1,
                outcome="kill",
                rationale="Legal review found the partner contract unenforceable in our jurisdiction.",
                conflicts=["tom"],
                votes=[{"member": m, "outcome": "kill"} for m in ("ana", "raj", "lee", "mia")],
            )
        ),
    ]
    for decision in decisions:
        record = board.decide(store, ledger, decision, chair)
        decided = record.body_as(DecidedPayload)
        recused = ", ".join(f"{m} ({why})" for m, why in decided.recused.items()) or "none"
        console.print(
            f"Board decided {decision.outcome} for {decision.proposal_id} (record {record.seq}; "
            f"dissent: {', '.join(decided.dissent) or 'none'}; recused: {recused})."
        )
    try:
        board.decide(store, ledger, decisions[0], chair)
    except GovernanceError as refused:
        console.print(f"A second decision for the same gate is refused: {refused}")
    # Authority comes from the policy's people and role matrix, for every way in.
    for who, attempt in (
        ("An account that is nobody in the policy", Actor(account="intern", via="os-user")),
        ("A board member without the chair's role", Actor.of("lee", via="demo")),
    ):
        try:
            board.supersede(store, ledger, ids["NW-THERMO-V2"], 1, "I disagree", attempt)
        except GovernanceError as refused:
            console.print(f"{who} may not supersede a decision: {refused}")
    from governance.board import recusals

    for spelling in ("Ribeiro, Ana", "Ana Ribeiro (CEO)", "\u0410na Ribeiro"):
        barred = recusals(policy.policy, "Jonas Berg", spelling, ())
        console.print(f"A proposal sponsored by {spelling!a} recuses {', '.join(barred) or 'nobody'}.")

    console.rule("8. Running projects are imported; two quarterly reviews follow")
    from governance import projects, review
    from models.decision import ReviewAnswer

    imported = projects.import_projects(store, ledger, [EXAMPLES / "projects"], actor)
    console.print(f"Imported {len(imported)} running projects (one `migrated` record each).")
    for quarter in ("2026Q3", "2026Q4"):
        reviewed = run_review(settings, quarter, [str(EXAMPLES / "status" / quarter)], actor)
        tally = ", ".join(f"{n} {o}" for o, n in sorted(reviewed.counts.items()))
        console.print(f"Quarterly review {quarter} (record {reviewed.proposed_seq}): {tally}.")
        for finding in reviewed.findings:
            console.print(f"  finding: {finding}")
        render.review_table(reviewed.projects, only_changes=False, console=console, currency=policy.policy.currency)
        answer = ReviewAnswer(
            quarter=quarter,
            decided_by="ana",
            meeting_date=today_in(policy.policy, ledger.clock.now()),
            rationale="The board accepts the review's recommendations.",
            votes=[{"member": m, "vote": "accept"} for m in ("ana", "raj", "lee")],
        )
        confirmed = review.confirm_review(store, ledger, answer, chair)
        outcomes = ", ".join(f"{n} {o}" for o, n in sorted(confirmed.outcomes.items()))
        console.print(f"The board confirmed {quarter} (record {confirmed.confirmed_seq}): {outcomes}.")
    _imported_plan(store, ledger, ids_of(store, "NW-RUN-SMT"), policy.policy.currency, console)
    with store.read() as conn:
        recorded = review.recorded_selection(conn, "2026Q4")
    assert recorded is not None  # the example policy has a portfolio section
    console.rule("9. The portfolio selection the 2026Q4 review recorded (HiGHS), against a spreadsheet's greedy pick")
    console.print(
        "The review solved it before the board met; the outcomes the board confirmed above follow from it "
        "(a project left out is paused). The next quarter's review selects again."
    )
    render.selection(*recorded, console)

    console.rule("10. The portfolio's risk: the 2026Q4 selection simulated (Monte Carlo), recorded")
    from cli.risk import describe_source, render_risk
    from governance.risk import Source, run_risk

    risk = run_risk(store, ledger, Source("quarter", quarter="2026Q4"), office)
    render_risk(risk.payload, describe_source(risk.payload), risk.seq, console)

    console.rule("11. Scenarios: the selection with less budget, side by side (saved, not recorded)")
    from cli.scenario import render_comparison
    from governance.scenarios import changes_of, compare_scenarios, create_scenario

    create_scenario(store, ledger, "as-planned", changes_of(), office)
    create_scenario(store, ledger, "lean", changes_of(budget={"FY2027": Decimal(6_000_000)}), office)
    console.print(
        "`governance scenario create lean --budget FY2027=6000000` saves the selection solved and simulated "
        "under that change; `scenario commit` makes one the board's selection by the board's vote."
    )
    render_comparison(compare_scenarios(store, ["as-planned", "lean"]), console)

    console.rule("12. Benefits: what the go decisions promised against what was realised; what is due")
    _benefits(store, policy.policy, ledger.clock.now(), console)
    _due(store, policy.policy, ledger.clock.now(), console)

    console.rule("13. The auditor verifies the ledger, replays every decision, and asks how good they were")
    checked = verify(store, key=ledger.key)
    console.print(
        f"Ledger {'verified' if checked.ok else 'BROKEN'}: {checked.records} records, head "
        f"{checked.head_seq}:{checked.head_hash}; {checked.snapshots} snapshots, {checked.policies} policy."
    )
    from governance.replay import describe_replay, replay_all

    replays = Counter(r.status for r in replay_all(store))
    console.print("Replay: " + ", ".join(f"{n} {status}" for status, n in sorted(replays.items())) + ".")
    _counterfactual(store, console)
    from cli.analytics import render_analytics
    from governance.analytics import analytics, ledger_day

    console.print(
        "`governance analytics`: how good the decisions were, gate by gate (few decisions here have an outcome "
        "yet; `governance pack analytics` makes it a PDF with the reliability chart)."
    )
    with store.read() as conn:
        render_analytics(analytics(conn, ledger_day(conn)), console)

    console.rule("14. Decision packs (PDF/A-3, the records attached) into out/")
    from governance.packs import audit_job, gate_job, quarter_job, write_packs
    from governance.packs.check import check_pack

    packs_dir = Path("out").resolve()
    day = ledger.clock.now().date()
    jobs = [gate_job(store, d.proposal_id, 1, packs_dir) for d in decisions]
    jobs.append(gate_job(store, ids["NW-ERP-LABEL"], 1, packs_dir, pre_read=True))
    jobs.append(quarter_job(store, "2026Q4", packs_dir))
    with describe_replay(store) as replay:
        jobs.append(audit_job(store, day, day, packs_dir, replay))
    for path in write_packs(jobs, settings.signing_pair()):
        pack_check = check_pack(path, store)
        console.print(
            f"{path.relative_to(packs_dir.parent)}: {pack_check.pages} page(s), {pack_check.records} record(s); "
            f"verify-pack {'ok' if pack_check.ok else 'FAILED: ' + '; '.join(pack_check.problems)}",
        )
    console.print(f"Try: GOVERNANCE_DATABASE_URL=sqlite:///{db} governance show {report.filings[0].proposal_id}")
    console.print("     governance verify-pack out/board-pack-2026Q4.pdf   (--offline: a signed pack, by signature)")
    store.dispose()


def ids_of(store: Store, reference: str) -> str:
    with store.read() as conn:
        return str(intake.find_proposal(conn, reference).id)


def _imported_plan(store: Store, ledger: Ledger, project: str, currency: str, console: Console) -> None:
    """A status report read from a Microsoft Project plan, checked and not recorded (`import status --dry-run`)."""
    from cli.imports import render_import
    from governance.imports.mspdi import read_mspdi_status
    from governance.reports import file_status_reports

    plan = EXAMPLES / "imports" / "smt-plan.xml"
    read, sources = read_mspdi_status(str(plan), project, currency, risk_level="medium")
    filed = file_status_reports(store, ledger, read, "pmo", dry_run=True)  # checked, nothing recorded
    console.print(
        f"`governance import status {plan.relative_to(EXAMPLES.parent)} --project {project} --risk medium --dry-run`: "
        "a status report from the project's Microsoft Project plan (registers, Jira and Azure DevOps exports "
        "come in through a column map)."
    )
    render_import(read, filed, sources, plan.name, True, False, currency, console)


def _due(store: Store, policy: Policy, now: dt.datetime, console: Console) -> None:
    """`governance agenda --due` today, and the post-implementation review it will list in July 2027."""
    from governance.due import due_items

    today = today_in(policy, now)
    later = dt.date(2027, 7, 20)
    with store.read() as conn:
        items = due_items(conn, today, policy)
        reviews = [i for i in due_items(conn, later, policy) if i.what == "benefits-review-due"]
    console.print(
        "`governance agenda --due`: what is due or overdue today. The due-check flow emits the same facts as "
        "Prefect events, and deploy/automations.yaml turns them into notifications."
    )
    render.due(today, items, console)
    render.due(later, reviews, console)


def _benefits(store: Store, policy: Policy, now: dt.datetime, console: Console) -> None:
    """`governance benefits` for the portfolio and for the project the 2026Q4 review completed."""
    from cli.benefits import render_portfolio, render_project
    from governance.benefits import portfolio_totals, quarters_after, realisation
    from governance.benefits_review import rules_of

    today = today_in(policy, now)
    with store.read() as conn:
        items = realisation(conn, policy, today)
    render_portfolio(items, portfolio_totals(items), policy.currency, today.isoformat(), console)
    for item in items:
        if item.completed_quarter is not None:
            render_project(item, policy.currency, today.isoformat(), console)
            due = quarters_after(item.completed_quarter, rules_of(policy).after_quarters)
            console.print(
                f"Its post-implementation review looks back on {due}: `governance benefits-review FILE` records "
                "what the benefits came to, and `governance agenda --due` lists it once it falls due."
            )


def _counterfactual(store: Store, console: Console) -> None:
    """What the past would have said under a draft raising gate 1's thresholds (`replay --policy DRAFT`)."""
    from governance.counterfactual import counterfactual_replay
    from governance.parsing import parse_yaml
    from governance.policy import BUNDLED_POLICIES, _from_data

    data = parse_yaml((BUNDLED_POLICIES / "stage-gate.yaml").read_text(encoding="utf-8"))
    data["gates"][0]["thresholds"].update(go=68, conditional_go=64)
    result = counterfactual_replay(store, _from_data(data, "stage-gate (draft)"))
    console.print(
        f"Counterfactual replay under a draft with gate 1's go threshold at 68 and conditional go at 64 "
        f"(`governance replay --policy DRAFT.yaml`): {len(result.differences)} of {sum(result.examined.values())} "
        "decisions would differ, and nothing is recorded."
    )
    for d in result.differences:
        console.print(f"  record {d.seq} {d.subject} ({d.kind}): {d.was} -> {d.would_be}: {d.why}")
