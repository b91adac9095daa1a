"""The board's commands: score, gate, decide, supersede, agenda, condition close, policy check."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli import render
from cli.context import (
    AsOption,
    JsonOption,
    acting,
    choice,
    currency,
    err,
    ledger,
    opened,
    out,
    print_json,
    quarter,
    recorded_as,
    working,
)
from governance.settings import Settings
from governance.store import Store
from models.decision import OUTCOMES

__all__ = ["app", "condition_app", "policy_app"]

app = typer.Typer()
condition_app = typer.Typer(help="Conditions of conditional go decisions.", no_args_is_help=True)
policy_app = typer.Typer(help="Check policy files.", no_args_is_help=True)


@app.command()
def score(
    paths: Annotated[list[Path], typer.Argument(help="Assessment files (YAML, JSON, CSV) and folders.")],
    json_: JsonOption = False,
) -> None:
    """Score proposals at their next gate from assessors' ratings (the scoring flow); print the ranking.

    Example: governance score examples/assessments/
    """
    from flows.launch import run_score
    from governance import gates
    from governance.assessments import read_assessments
    from governance.inputs import read_here

    settings, db = opened()
    actor = recorded_as(db)
    files = read_here(paths)  # read once, here: the flow gets them from the database
    gates.record_scores(db, ledger(settings), read_assessments(files), actor, dry_run=True)
    with working("Scoring (the scoring flow)"):
        ranking = run_score(settings, files, actor)
    if json_:
        print_json(ranking)
        return
    render.ranking(ranking, currency(db))
    out.print(f"Scored {len(ranking)} proposal(s); see `governance show ID` for each criterion's contribution.")


@app.command()
def gate(
    proposal: Annotated[str | None, typer.Argument(help="Proposal id (P-2026-0007) or reference.")] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Every proposal awaiting a gate (scored, not yet recommended on).")
    ] = False,
    json_: JsonOption = False,
) -> None:
    """Evaluate a scored proposal at its next gate and record the recommendation.

    On the embedded default the run stops at "awaiting decision" (record it with `governance decide`);
    with a Prefect server the gate-review deployment suspends until the chair answers in the UI.
    `--all` gates every proposal awaiting a gate in one flow run; one that is refused does not stop the others.

    Example: governance gate P-2026-0007 (or: governance gate --all)
    """
    from flows.launch import prefect_mode, run_gate, start_gate_review
    from governance.intake import find_proposal
    from governance.ledger import latest_record
    from governance.lifecycle import check_transition

    if (proposal is None) == (not all_):
        raise typer.BadParameter("give one proposal or --all", param_hint="'PROPOSAL' / '--all'")
    settings, db = opened()
    actor = recorded_as(db)
    if all_:
        _gate_all(settings, db, actor, json_)
        return
    assert proposal is not None
    with db.read() as conn:
        row = find_proposal(conn, proposal)
        if row.state != "awaiting-decision":
            check_transition(row.id, row.state, "recommended")  # refused here, before a run starts
        scored = latest_record(conn, row.id, "scored")
    mode = prefect_mode(settings)
    if mode.kind != "embedded":
        assert scored is not None  # the lifecycle allows a recommendation only after a score card
        started = start_gate_review(settings, mode, row.id, row.gate, scored.seq, actor)
        verb = "already open" if started.reused else "started"
        out.print(f"Gate review of {row.id} {verb} on {mode.api_url}: the board answers in the Prefect UI")
        out.print(f"  {started.ui_url}  (Resume, or POST /api/flow_runs/{started.run_id}/resume)")
        return
    with working(f"Gate review of {row.id}"):
        result = run_gate(settings, row.id, actor)
    if json_:
        print_json(result.__dict__)
        return
    reasons = "; ".join(render.gate_reason(r, currency(db)) for r in result.reasons)
    out.print(f"Gate {result.gate} recommendation: {result.recommendation} ({reasons})")
    out.print(
        f"{result.proposal_id} awaits the board: governance decide {result.proposal_id} --gate {result.gate} "
        "--outcome ... --rationale ... --vote NAME=OUTCOME ..."
    )


def _gate_all(settings: Settings, db: Store, actor: str, json_: bool) -> None:
    """`gate --all`: one flow run on the embedded default, or a gate-review run per proposal on a server."""
    from dataclasses import asdict

    from flows.launch import prefect_mode, run_gate_all, start_gate_review
    from governance.intake import find_proposal
    from governance.ledger import latest_record
    from governance.views import proposals

    mode = prefect_mode(settings)
    if mode.kind != "embedded":
        with db.read() as conn:
            waiting = []
            for p in proposals(conn, state="scored"):
                row, scored = find_proposal(conn, p.id), latest_record(conn, p.id, "scored")
                assert scored is not None  # the lifecycle has a score card in state "scored"
                waiting.append((p.id, row.gate, scored.seq))
        for pid, gate, scored_seq in waiting:
            started = start_gate_review(settings, mode, pid, gate, scored_seq, actor)
            verb = "already open" if started.reused else "started"
            out.print(f"Gate review of {pid} {verb}: {started.ui_url}")
        out.print(f"{len(waiting)} gate review(s) on {mode.api_url}: the board answers each in the Prefect UI")
        return
    with working("Gate reviews of every proposal awaiting a gate"):
        report = run_gate_all(settings, actor)
    if json_:
        print_json([asdict(g) for g in report.gated])
    else:
        render.gated(report.gated, currency(db))
    refused = [g for g in report.gated if g.error is not None]
    if refused:
        err.print(
            f"error[{refused[0].code}]: {len(refused)} of {len(report.gated)} proposal(s) not gated "
            "(the others were recorded):"
        )
        for g in refused:
            err.print(f"  {g.proposal_id}: {g.error}")
        raise typer.Exit(1)


@app.command()
def decide(
    proposal: Annotated[str | None, typer.Argument(help="Proposal id (P-2026-0007) or reference.")] = None,
    gate: Annotated[int | None, typer.Option(min=1, max=20, help="The gate being decided.")] = None,
    outcome: Annotated[
        str | None, typer.Option(callback=choice(*OUTCOMES), help="go, conditional-go, hold, recycle or kill.")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="The member deciding: you, or whom you act for (default: you).")] = "",
    rationale: Annotated[str, typer.Option(help="Why (required; kept in the ledger).")] = "",
    quarter: Annotated[
        str | None,
        typer.Option(callback=quarter, help="Answer the quarterly review of this quarter instead (2026Q4)."),
    ] = None,
    override: Annotated[
        list[str], typer.Option(help="With --quarter: 'P-2026-0007=OUTCOME: rationale', once per change.")
    ] = [],  # noqa: B006 - typer reads the default; it is never mutated
    vote: Annotated[
        list[str],
        typer.Option(help="NAME=OUTCOME, once per member who voted (--quarter: NAME=accept|reject)."),
    ] = [],  # noqa: B006
    condition: Annotated[list[str], typer.Option(help="'WHAT by YYYY-MM-DD, owner: WHO' (conditional go).")] = [],  # noqa: B006
    conflict: Annotated[list[str], typer.Option(help="A member who declared a conflict (recused).")] = [],  # noqa: B006
    signature: Annotated[
        list[str], typer.Option(help="NAME=SIGNATURE from `governance sign` (policies with signed votes).")
    ] = [],  # noqa: B006
    print_motion: Annotated[
        bool, typer.Option("--print-motion", help="Print the motion for voters to sign; record nothing.")
    ] = False,
    meeting_date: Annotated[
        dt.datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="YYYY-MM-DD: from the date of the recommendation (or review) decided on to today (the default).",
        ),
    ] = None,
    as_: AsOption = None,
) -> None:
    """Record the board's decision at a gate; the votes must support the outcome under the policy's rule.

    Example: governance decide P-2026-0007 --gate 2 --outcome conditional-go --rationale "..."
    --vote ana=conditional-go --vote raj=conditional-go --vote lee=hold
    --condition "security review by 2027-02-01, owner: CISO"

    The quarterly review: governance decide --quarter 2026Q4 --rationale "..."
    --override "P-2026-0007=stop: the market moved" --vote ana=accept --vote raj=accept --vote lee=accept

    You decide as the person your OS user (PostgreSQL: your login) is in the policy's people, or
    for someone else with --as where the policy delegates it.
    """
    from governance import board
    from governance.errors import DecisionRefused
    from models.records import DecidedPayload

    if quarter is not None:
        if proposal is not None or gate is not None or outcome is not None or condition or conflict or signature:
            raise typer.BadParameter(
                "answers a quarterly review: give no PROPOSAL, --gate, --outcome, --condition, --conflict "
                "or --signature",
                param_hint="'--quarter'",
            )
    else:
        if proposal is None or gate is None or outcome is None:
            raise typer.BadParameter(
                "a gate decision needs all three (or --quarter for a quarterly review)",
                param_hint="'PROPOSAL', '--gate', '--outcome'",
            )
        if override:
            raise typer.BadParameter("belongs to a quarterly review (--quarter)", param_hint="'--override'")
    if not rationale.strip():
        raise DecisionRefused("a decision needs --rationale")
    day = meeting_date.date() if meeting_date else None
    settings, db = opened()
    actor = acting(db, as_)
    book = ledger(settings)
    if quarter is not None:
        from governance import review

        result = review.answer_quarter(
            db, book, quarter, by, rationale, override, day, actor, votes=vote, chunk_size=settings.chunk_size
        )
        outcomes = ", ".join(f"{n} {o}" for o, n in sorted(result.outcomes.items())) or "none new"
        out.print(
            f"Confirmed the {quarter} review (record {result.confirmed_seq}): {result.recorded} outcome(s) recorded "
            f"({outcomes}){f', {result.already} recorded before' if result.already else ''}."
        )
        return
    assert proposal is not None and gate is not None and outcome is not None
    decision = board.decision_from_options(
        db, book, proposal, gate, outcome, by, rationale, vote, condition, conflict, day, actor
    )
    if print_motion:
        from governance.canonical import canonical_text
        from governance.signatures import motion

        sys.stdout.write(canonical_text(motion(decision)) + "\n")
        return
    decision = board.with_signatures(decision, signature)
    record = board.decide(db, book, decision, actor)
    decided = record.body_as(DecidedPayload)
    dissent = f"; dissent: {', '.join(decided.dissent)}" if decided.dissent else ""
    out.print(
        f"Recorded {outcome} for {decision.proposal_id} at gate {gate} (record {record.seq}, {record.hash[:12]}): "
        f"tally {', '.join(f'{o} {n}' for o, n in decided.tally.counts.items())}{dissent}."
    )
    for c in decided.conditions:
        out.print(f"  condition {c.id}: {c.text} (owner {c.owner}, due {c.due})")


@app.command()
def supersede(
    proposal: Annotated[str, typer.Argument(help="Proposal id (P-2026-0007) or reference.")],
    gate: Annotated[int, typer.Option(help="The gate whose latest decision was wrong.")],
    rationale: Annotated[str, typer.Option(help="Why the decision is corrected (kept in the ledger).")],
    as_: AsOption = None,
) -> None:
    """Void a wrong decision with a correcting record (both stay in the ledger); then decide again.

    Example: governance supersede P-2026-0007 --gate 2 --rationale "votes were recorded for the wrong proposal"
    """
    from governance import board
    from models.records import SupersededPayload

    settings, db = opened()
    record = board.supersede(db, ledger(settings), proposal, gate, rationale, acting(db, as_))
    out.print(
        f"Superseded record {record.body_as(SupersededPayload).superseded_seq} (record {record.seq}); "
        f"{record.subject} awaits "
        f"the board's decision at gate {gate} again."
    )


@condition_app.command("close")
def condition_close(
    condition_id: Annotated[str, typer.Argument(help="Condition id, like C-2026-0007-G2-1.")],
    note: Annotated[str, typer.Option(help="How it was met (kept in the ledger).")],
    as_: AsOption = None,
) -> None:
    """Close an open condition of a conditional go.

    Example: governance condition close C-2026-0007-G2-1 --note "pen test report PT-41 accepted"
    """
    from governance import board

    settings, db = opened()
    record = board.close_condition(db, ledger(settings), condition_id, note, acting(db, as_))
    out.print(f"Closed {condition_id} (record {record.seq}).")


@app.command()
def agenda(
    json_: JsonOption = False,
    due: Annotated[
        bool,
        typer.Option(
            "--due",
            help="Only what is due or overdue today: decisions awaiting the board, overdue conditions, "
            "status reports missing at their due date, quarterly reviews ready to run, post-implementation "
            "reviews due.",
        ),
    ] = False,
) -> None:
    """What awaits the board: proposals at a gate with their recommendations, open and overdue conditions.

    With --due: what is due or overdue today, and for how long (the due-check flow sends the same facts).

    Example: governance agenda --due
    """
    from governance import views
    from governance.adoption import current_policy
    from governance.calendar import today_in

    settings, db = opened()
    with db.read() as conn:
        policy = current_policy(conn).policy
        today = today_in(policy, settings.clock().now())
        items = views.agenda(conn, today)
        if due:
            from governance.due import due_items

            found = due_items(conn, today, policy, items)
    if due:
        if json_:
            print_json({"date": today.isoformat(), "due": [item.as_dict() for item in found]})
            return
        render.due(today, found)
        return
    if json_:
        print_json(items.as_dict())
        return
    render.agenda(items, currency(db))


@policy_app.command("check")
def policy_check(
    file: Annotated[str, typer.Argument(help="A policy file, or a bundled policy name.")],
    json_: JsonOption = False,
) -> None:
    """Check a policy before using it: every problem named, or its version, gates and derived weights.

    Example: governance policy check policies/stage-gate.yaml
    """
    from governance.errors import PolicyError
    from governance.policy import load_policy
    from governance.scoring import gate_weights

    try:
        loaded = load_policy(file)
        weights = {g.number: gate_weights(loaded.policy, g.number) for g in loaded.policy.gates}
    except PolicyError as error:
        for problem in error.problems[1:]:
            err.print(f"  also: {problem}")
        raise
    data = {
        "name": loaded.policy.name,
        "version": loaded.version,
        "gates": [
            {
                "number": g.number,
                "name": g.name,
                "enters": g.enters,
                "criteria": g.criteria,
                "thresholds": g.thresholds.model_dump(mode="json"),
                "weights": {k: str(v) for k, v in weights[g.number][0].items()},
            }
            for g in loaded.policy.gates
        ],
        "weights_source": {k: str(v) for k, v in weights[1][1].items()},
    }
    if json_:
        print_json(data)
        return
    source = weights[1][1]
    method = "AHP, consistency ratio " + str(source["consistency_ratio"]) if source["method"] == "ahp" else "direct"
    out.print(f"Policy {loaded.policy.name} is valid: version {loaded.version}; weights: {method}.")
    table = Table(title="Gates")
    for column in ("gate", "name", "enters", "go / conditional / kill below", "weights"):
        table.add_column(column)
    for g in loaded.policy.gates:
        t = g.thresholds
        table.add_row(
            str(g.number),
            g.name,
            g.enters,
            f"{t.go} / {t.conditional_go} / {t.kill_below}",
            ", ".join(f"{k} {v}" for k, v in weights[g.number][0].items()),
        )
    out.print(table)


@app.command()
def sign(
    motion_file: Annotated[
        Path | None, typer.Argument(help="The motion (JSON) that `governance decide ... --print-motion` printed.")
    ] = None,
    key: Annotated[Path | None, typer.Option(help="Your Ed25519 private key (PEM).")] = None,
    new_key: Annotated[
        Path | None, typer.Option("--new-key", help="Write a new private key to this file; print its public key.")
    ] = None,
) -> None:
    """Sign your vote on a motion with your own key; the chair passes it to `decide --signature`.

    Your signature binds you to every vote, condition and word of the decision as printed.
    Example: governance sign motion.json --key ~/.governance/ana.pem
    A key of your own: governance sign --new-key ~/.governance/ana.pem (public_key goes in the people file)
    """
    from governance.adoption import current_policy
    from governance.errors import ConfigError, DecisionRefused
    from governance.signatures import new_key_pair, sign_motion
    from models.decision import DecisionInput

    if new_key is not None:
        if motion_file is not None or key is not None:
            raise typer.BadParameter("makes a key: give no MOTION or --key", param_hint="'--new-key'")
        if new_key.exists():
            raise ConfigError(f"{new_key} exists: a key is never overwritten")
        public = new_key_pair(new_key)
        out.print(f"Wrote {new_key} (keep it to yourself). In the policy's people file: public_key: {public}")
        return
    if motion_file is None or key is None:
        raise typer.BadParameter("give MOTION and --key (or --new-key FILE)", param_hint="'MOTION', '--key'")
    try:
        decision = DecisionInput.model_validate_json(motion_file.read_bytes())
    except OSError as exc:
        raise ConfigError(f"{motion_file}: cannot read: {exc.strerror}") from None
    except ValueError:
        raise DecisionRefused(f"{motion_file}: not a motion printed by `governance decide --print-motion`") from None
    _, db = opened()
    with db.read() as conn:
        policy = current_policy(conn).policy
    member, signature = sign_motion(policy, decision, key)
    out.print(f"--signature {member}={signature}")
