"""The `governance` command: the outer edge. It starts flows and calls governance/ read paths.

A `GovernanceError` prints as one line (`error[code]: ...`) and exits 1; anything else is a bug
and is allowed to surface as one.
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.console import Console
from rich.table import Table

from flows.runtime import configure_prefect, drain_prefect
from governance import intake
from governance.errors import ConfigError, GovernanceError, InputRefused
from governance.ledger import Ledger, get_snapshot, latest_record, records_for, verify
from governance.policy import load_policy
from governance.settings import Settings, default_actor, load_settings
from governance.store import Store
from models.tables import ProposalRow

if TYPE_CHECKING:
    from flows.gates import GateReviewResult, ScoreReport
    from flows.intake import IntakeReport

__all__ = ["app", "main"]

app = typer.Typer(
    name="governance",
    help="Portfolio governance engine: intake, stage gates, board decisions and an auditable ledger.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
server_app = typer.Typer(
    help="A local Prefect server (and deployment runner) for faster commands.", no_args_is_help=True
)
app.add_typer(server_app, name="server")
policy_app = typer.Typer(help="Check policy files.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
condition_app = typer.Typer(help="Conditions of conditional go decisions.", no_args_is_help=True)
app.add_typer(condition_app, name="condition")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

AsOption = Annotated[
    str | None, typer.Option("--as", help="Who records this (else GOVERNANCE_ACTOR, else the OS user).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _store(settings: Settings) -> Store:
    return Store(settings.resolved_database_url())


def _ledger(settings: Settings) -> Ledger:
    return Ledger(settings.clock(), settings.ids())


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


@app.command()
def init(
    policy: Annotated[str, typer.Option(help="Bundled policy name (stage-gate, it-demand) or a policy file.")] = "",
    as_: AsOption = None,
) -> None:
    """Create or upgrade the database and adopt a policy.

    Example: governance init --policy it-demand
    """
    settings = load_settings()
    store = _store(settings)
    before, after = store.upgrade()
    actor = default_actor(as_, settings)
    with store.read() as conn:
        current = intake.adopted_policy(conn)
    if policy:
        loaded = load_policy(policy)
    elif current is None:
        loaded = load_policy("stage-gate")
    else:
        loaded = current
    adopted = loaded is not current and intake.adopt_policy(store, _ledger(settings), loaded, actor)
    schema = "created" if before is None else ("upgraded" if before != after else "up to date")
    out.print(f"Database {store.safe_url}: schema {after} ({schema}).")
    verb = "adopted" if adopted else "in force"
    out.print(f"Policy {loaded.policy.name} ({loaded.policy.title}) {verb}, version {loaded.short_version}.")


def _gateway(settings: Settings, flow_name: str) -> tuple[str, str, str] | None:
    """The local runner's gateway (url, token, flow) for this flow, when `governance server start` runs it."""
    import os

    from flows.runtime import read_server_state, server_healthy

    gateway_names = {"intake_flow": "intake", "score_flow": "score"}
    if os.environ.get("PREFECT_API_URL") or flow_name not in gateway_names:
        return None
    state = read_server_state(settings)
    if not state or "gateway_url" not in state or not server_healthy(str(state.get("api_url"))):
        return None
    return str(state["gateway_url"]), str(state["gateway_token"]), gateway_names[flow_name]


def _call_flow(settings: Settings, module: str, name: str, *args: Any) -> Any:
    """Run the flow `module.name`, on the Prefect the README's rule picks, quietly.

    With `governance server start` running, the runner's gateway runs it (this process never
    imports Prefect: the fast path); otherwise it runs in this process. The flow module is imported
    only here, after the Prefect environment is set: read commands never import prefect.
    """
    gateway = _gateway(settings, name)
    if gateway is not None:
        from flows.gateway import call

        return call(*gateway, list(args))
    configure_prefect(settings)
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    flow_ = getattr(importlib.import_module(module), name)
    try:
        # Without this every sync flow call waits about a second for its heartbeat thread.
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            return flow_(*args)
    finally:
        drain_prefect()


def _run_intake(paths: list[str], actor: str, settings: Settings) -> IntakeReport:
    return cast(
        "IntakeReport",
        _call_flow(
            settings, "flows.intake", "intake_flow", paths, actor, settings.resolved_database_url(), settings.chunk_size
        ),
    )


@app.command()
def submit(
    paths: Annotated[list[Path], typer.Argument(help="Proposal files (YAML, JSON, CSV) and folders.")],
    as_: AsOption = None,
    json_: JsonOption = False,
) -> None:
    """File proposals through the intake flow; a changed proposal under the same reference is an amendment.

    Example: governance submit examples/proposals/
    """
    settings = load_settings()
    # Refuse bad input before paying for a flow run: the flow validates again on its own.
    intake.check_submission(_store(settings), [str(p) for p in paths])
    report = _run_intake([str(p) for p in paths], default_actor(as_, settings), settings)
    if report.problems:
        raise InputRefused(report.problems)
    if json_:
        _print_json([f.__dict__ for f in report.filings])
        return
    _filings_table(report.filings)
    out.print(_summary_line(report.filings))


def _summary_line(filings: list[intake.Filing]) -> str:
    filed = [f.proposal_id for f in filings if f.action == "filed"]
    counts = Counter(f.action for f in filings)
    parts = []
    if filed:
        parts.append(
            f"Filed {len(filed)} proposal(s) ({filed[0]} .. {filed[-1]})" if len(filed) > 1 else f"Filed {filed[0]}"
        )
    if counts["amended"]:
        parts.append(f"{counts['amended']} amended")
    if counts["unchanged"]:
        parts.append(f"{counts['unchanged']} unchanged (already on file)")
    out_count = Counter(
        reason for f in filings if f.state == "screened-out" and f.action != "unchanged" for reason in f.reasons
    )
    line = "; ".join(parts) or "Nothing to file"
    screened_out = sum(1 for f in filings if f.state == "screened-out" and f.action != "unchanged")
    if screened_out:
        line += (
            f"; {screened_out} screened out (must-meet: " + ", ".join(f"{r} x{n}" for r, n in out_count.items()) + ")"
        )
    return line


def _filings_table(filings: list[intake.Filing]) -> None:
    table = Table(title="Intake", show_lines=False)
    for column in ("id", "reference", "action", "state", "reasons"):
        table.add_column(column)
    for f in filings:
        style = "red" if f.state == "screened-out" else ("dim" if f.action == "unchanged" else "")
        table.add_row(f.proposal_id, f.reference, f.action, f.state, "; ".join(f.reasons), style=style)
    out.print(table)


@app.command()
def withdraw(
    proposal: Annotated[str, typer.Argument(help="Proposal id (P-2026-0007) or reference.")],
    reason: Annotated[str, typer.Option(help="Why it is withdrawn (kept in the ledger).")],
    as_: AsOption = None,
) -> None:
    """Withdraw a proposal before its decision.

    Example: governance withdraw P-2026-0007 --reason "merged into P-2026-0003"
    """
    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    if not reason.strip():
        raise ConfigError("--reason must not be empty")
    filing = intake.withdraw(store, _ledger(settings), proposal, default_actor(as_, settings), reason.strip())
    out.print(f"Withdrew {filing.proposal_id} ({filing.reference}).")


@app.command("list")
def list_(
    state: Annotated[str | None, typer.Option(help="Only proposals in this state.")] = None,
    bucket: Annotated[str | None, typer.Option(help="Only proposals in this strategic bucket.")] = None,
    json_: JsonOption = False,
) -> None:
    """List proposals and where each stands.

    Example: governance list --state screened --bucket platform
    """
    from sqlalchemy import select

    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    query = select(ProposalRow).order_by(ProposalRow.id)
    if state:
        query = query.where(ProposalRow.state == state)
    if bucket:
        query = query.where(ProposalRow.bucket == bucket)
    with store.read() as conn:
        rows = conn.execute(query).all()
    data = [
        {
            "id": r.id,
            "reference": r.reference,
            "title": r.title,
            "bucket": r.bucket,
            "state": r.state,
            "version": r.version,
            "sponsor": r.sponsor,
        }
        for r in rows
    ]
    if json_:
        _print_json(data)
        return
    table = Table(title=f"Proposals ({len(data)})")
    for column in ("id", "reference", "title", "bucket", "state", "version", "sponsor"):
        table.add_column(column)
    for d in data:
        table.add_row(*(str(d[c]) for c in ("id", "reference", "title", "bucket", "state", "version", "sponsor")))
    out.print(table)


@app.command()
def show(
    proposal: Annotated[str, typer.Argument(help="Proposal id (P-2026-0007) or reference.")],
    json_: JsonOption = False,
) -> None:
    """Show a proposal and its full history from the ledger.

    Example: governance show P-2026-0007
    """
    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    with store.read() as conn:
        row = intake.find_proposal(conn, proposal)
        content = get_snapshot(conn, row.snapshot)
        history = records_for(conn, row.id)
    if json_:
        _print_json(
            {
                "id": row.id,
                "reference": row.reference,
                "state": row.state,
                "version": row.version,
                "proposal": content,
                "history": [
                    {
                        "seq": r.seq,
                        "kind": r.kind,
                        "outcome": r.outcome,
                        "recorded_by": r.recorded_by,
                        "recorded_at": r.recorded_at.isoformat(),
                        "policy_version": r.policy_version,
                        "hash": r.hash,
                        "payload": r.payload,
                    }
                    for r in history
                ],
            }
        )
        return
    out.print(f"[bold]{row.id}[/bold]  {row.reference}  {content['title']}")
    out.print(
        f"State: {row.state} (version {row.version}); bucket {row.bucket}; "
        f"sponsor {row.sponsor}; submitter {row.submitter}"
    )
    out.print(content["summary"], markup=False)
    table = Table(title="History")
    for column in ("seq", "kind", "outcome", "recorded by", "recorded at (UTC)", "details", "hash"):
        table.add_column(column)
    for r in history:
        table.add_row(
            str(r.seq),
            r.kind,
            r.outcome or "",
            r.recorded_by,
            r.recorded_at.strftime("%Y-%m-%d %H:%M:%S"),
            _details(r.kind, r.payload),
            r.hash[:12],
        )
    out.print(table)


def _details(kind: str, payload: dict[str, Any]) -> str:
    if kind in ("screened", "screened-out"):
        failed = [r["description"] for r in payload.get("rules", []) if not r["passed"]]
        return "failed: " + "; ".join(failed) if failed else f"{len(payload.get('rules', []))} must-meet rules passed"
    if kind == "amended":
        return f"v{payload['version']}: changed " + ", ".join(payload.get("changed", []))
    if kind == "withdrawn":
        return str(payload.get("reason", ""))
    if kind == "filed":
        return f"from {payload['source']['file']} {payload['source']['record']}"
    if kind == "scored":
        parts = [f"{c['id']} {c['score']} x {c['weight']} = {c['contribution']}" for c in payload["criteria"]]
        parts += [f"{m['id']} {'met' if m['met'] else 'NOT met'}" for m in payload["must_meet"]]
        return f"gate {payload['gate']}: " + "; ".join(parts) + f"; ECV {payload['financials']['ecv']}"
    if kind == "recommended":
        return f"gate {payload['gate']}: " + "; ".join(payload["recommendation"]["reasons"])
    if kind == "decided":
        votes = ", ".join(f"{v['member']}={v['outcome']}" for v in payload["votes"])
        recused = (
            "; recused: " + ", ".join(f"{m} ({r})" for m, r in payload["recused"].items()) if payload["recused"] else ""
        )
        conditions = (
            "; conditions: " + ", ".join(c["id"] for c in payload["conditions"]) if payload["conditions"] else ""
        )
        return (
            f"gate {payload['gate']} by {payload['decided_by']} ({votes}){recused}{conditions}: {payload['rationale']}"
        )
    if kind == "superseded":
        return f"voids record {payload['superseded_seq']}: {payload['rationale']}"
    if kind == "condition-closed":
        return f"{payload['condition_id']}: {payload['note']}"
    if kind == "migrated":
        return f"imported {payload['state_after']}, approved {payload['approved_on']}"
    if kind == "status-reported":
        indices = f"CPI {payload['cpi']}, SPI {payload['spi']}"
        return f"{payload['quarter']} v{payload['version']}: {indices}, risk {payload['risk_level']}"
    if kind == "reviewed":
        who = (
            f"override by {payload['decided_by']}"
            if payload["overridden"]
            else f"as recommended ({payload['decided_by']})"
        )
        return f"{payload['quarter']}: {who}: " + "; ".join(payload["reasons"]) + f"; {payload['rationale']}"
    return ""


@app.command("verify")
def verify_(
    expect_head: Annotated[
        str | None, typer.Option(help="SEQ:HASH noted earlier; also catches a chain cut short.")
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Walk the ledger's hash chain, its snapshots and policies; name the first record that fails.

    Example: governance verify --expect-head 64:3f2a...
    """
    from governance.errors import IntegrityError

    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    expected = None
    if expect_head:
        seq, _, digest = expect_head.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise ConfigError(f"--expect-head must be SEQ:HASH (64 hex digits), got {expect_head!r}")
        expected = (int(seq), digest.lower())
    report = verify(store, expect_head=expected)
    if json_:
        _print_json(report.as_dict())
        if not report.ok:
            raise typer.Exit(1)
        return
    if not report.ok:
        for problem in report.problems[1:]:
            err.print(f"  also: {problem}")
        raise IntegrityError(f"ledger does not verify: {report.problems[0]}")
    out.print(
        f"Ledger verified: {report.records} records, head {report.head_seq}:{report.head_hash}; "
        f"{report.snapshots} snapshots ({report.snapshot_bytes:,} bytes), {report.policies} policies."
    )


@app.command()
def schema(
    kind: Annotated[str, typer.Argument(help="proposal, policy, status-report, project or candidates")],
) -> None:
    """Print the JSON Schema of a file format.

    Example: governance schema proposal > proposal.schema.json
    """
    from pydantic import BaseModel

    from models.assessment import Assessment
    from models.policy import Policy
    from models.proposal import Proposal
    from models.selection import CandidatesFile
    from models.status_report import MigratedProject, StatusReport

    models: dict[str, type[BaseModel]] = {
        "proposal": Proposal,
        "policy": Policy,
        "assessment": Assessment,
        "status-report": StatusReport,
        "project": MigratedProject,
        "candidates": CandidatesFile,
    }
    if kind not in models:
        raise ConfigError(f"unknown schema {kind!r}; choose one of: {', '.join(models)}")
    _print_json(models[kind].model_json_schema(by_alias=True))


@policy_app.command("check")
def policy_check(
    file: Annotated[str, typer.Argument(help="A policy file, or a bundled policy name.")],
    json_: JsonOption = False,
) -> None:
    """Check a policy before using it: every problem named, or its version, gates and derived weights.

    Example: governance policy check policies/stage-gate.yaml
    """
    from governance.errors import PolicyError
    from governance.scoring import gate_weights

    try:
        loaded = load_policy(file)
        weights = {g.number: gate_weights(loaded.policy, g.number) for g in loaded.policy.gates}
    except PolicyError as error:
        for problem in error.problems[1:]:
            err.print(f"  also: {problem}", markup=False)
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
        _print_json(data)
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


def _run_score(paths: list[str], actor: str, settings: Settings) -> list[dict[str, Any]]:
    report = cast(
        "ScoreReport", _call_flow(settings, "flows.gates", "score_flow", paths, actor, settings.resolved_database_url())
    )
    if report.problems:
        raise InputRefused(report.problems)
    return report.ranking


def _run_gate(proposal_id: str, actor: str, settings: Settings) -> GateReviewResult:
    """The gate review as a local flow run: it stops at "awaiting decision"."""
    return cast(
        "GateReviewResult",
        _call_flow(settings, "flows.gates", "gate_review_flow", proposal_id, actor, settings.resolved_database_url()),
    )


@app.command()
def score(
    paths: Annotated[list[Path], typer.Argument(help="Assessment files (YAML, JSON, CSV) and folders.")],
    as_: AsOption = None,
    json_: JsonOption = False,
) -> None:
    """Score proposals at their next gate from assessors' ratings (the scoring flow); print the ranking.

    Example: governance score examples/assessments/
    """
    from governance import gates
    from governance.assessments import read_assessments

    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    actor = default_actor(as_, settings)
    gates.record_scores(store, _ledger(settings), read_assessments([str(p) for p in paths]), actor, dry_run=True)
    ranking = _run_score([str(p) for p in paths], actor, settings)
    if json_:
        _print_json(ranking)
        return
    table = Table(title="Ranking")
    for column in ("rank", "id", "gate", "score", "ECV", "flags"):
        table.add_column(column)
    for rank, r in enumerate(ranking, start=1):
        style = "red" if r["knocked_out"] else ""
        table.add_row(str(rank), r["id"], str(r["gate"]), r["score"], r["ecv"], r["flags"], style=style)
    out.print(table)
    out.print(f"Scored {len(ranking)} proposal(s); see `governance show ID` for each criterion's contribution.")


@app.command()
def gate(
    proposal: Annotated[str, typer.Argument(help="Proposal id (P-2026-0007) or reference.")],
    as_: AsOption = None,
    json_: JsonOption = False,
) -> None:
    """Evaluate a scored proposal at its next gate and record the recommendation.

    On the embedded default the run stops at "awaiting decision" (record it with `governance decide`);
    with a Prefect server the gate-review deployment suspends until the chair answers in the UI.

    Example: governance gate P-2026-0007
    """
    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    actor = default_actor(as_, settings)
    with store.read() as conn:
        row = intake.find_proposal(conn, proposal)
    mode = configure_prefect(settings)
    if mode.kind != "embedded":
        from prefect.deployments import run_deployment
        from prefect.exceptions import ObjectNotFound

        try:
            run = run_deployment(  # sync context: returns the flow run itself
                "gate-review/gate-review",
                parameters={"proposal_id": row.id, "actor": actor, "database_url": settings.resolved_database_url()},
                timeout=0,
            )
        except ObjectNotFound:
            raise ConfigError(
                f"{mode.api_url} has no gate-review deployment: use `governance server start`, or deploy "
                "prefect.yaml and start a worker"
            ) from None
        assert not inspect.isawaitable(run)
        ui = (mode.api_url or "").removesuffix("/api")
        out.print(f"Gate review of {row.id} started on {mode.api_url}: the board answers in the Prefect UI")
        out.print(f"  {ui}/runs/flow-run/{run.id}  (Resume, or POST /api/flow_runs/{run.id}/resume)")
        return
    result = _run_gate(row.id, actor, settings)
    if json_:
        _print_json(result.__dict__)
        return
    out.print(f"Gate {result.gate} recommendation: {result.recommendation} ({'; '.join(result.reasons)})")
    out.print(
        f"{result.proposal_id} awaits the board: governance decide {result.proposal_id} --gate {result.gate} "
        "--outcome ... --by CHAIR --rationale ... --vote NAME=OUTCOME ..."
    )


@app.command()
def decide(
    proposal: Annotated[str | None, typer.Argument(help="Proposal id (P-2026-0007) or reference.")] = None,
    gate: Annotated[int | None, typer.Option(help="The gate being decided.")] = None,
    outcome: Annotated[str | None, typer.Option(help="go, conditional-go, hold, recycle or kill.")] = None,
    by: Annotated[str, typer.Option("--by", help="The board member who decides (the chair).")] = "",
    rationale: Annotated[str, typer.Option(help="Why (required; kept in the ledger).")] = "",
    quarter: Annotated[
        str | None, typer.Option(help="Answer the quarterly review of this quarter instead (2026Q4).")
    ] = None,
    override: Annotated[
        list[str], typer.Option(help="With --quarter: 'P-2026-0007=OUTCOME: rationale', once per change.")
    ] = [],  # noqa: B006
    vote: Annotated[list[str], typer.Option(help="NAME=OUTCOME, once per member who voted.")] = [],  # noqa: B006
    condition: Annotated[list[str], typer.Option(help="'WHAT by YYYY-MM-DD, owner: WHO' (conditional go).")] = [],  # noqa: B006
    conflict: Annotated[list[str], typer.Option(help="A member who declared a conflict (recused).")] = [],  # noqa: B006
    meeting_date: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD (default: today in the policy's time zone).")
    ] = None,
    as_: AsOption = None,
) -> None:
    """Record the board's decision at a gate; the votes must support the outcome under the policy's rule.

    Example: governance decide P-2026-0007 --gate 2 --outcome conditional-go --by ana --rationale "..."
    --vote ana=conditional-go --vote raj=conditional-go --vote lee=hold
    --condition "security review by 2027-02-01, owner: CISO"

    The quarterly review: governance decide --quarter 2026Q4 --by ana --rationale "..."
    --override "P-2026-0007=stop: the market moved"
    """
    import datetime as dt

    from pydantic import ValidationError

    from governance import board, gates
    from governance.errors import DecisionRefused
    from models.decision import DecisionInput

    if not by.strip() or not rationale.strip():
        raise DecisionRefused("a decision needs --by (the board member deciding) and --rationale")
    if quarter is not None:
        if proposal is not None or gate is not None or outcome is not None or vote or condition or conflict:
            raise DecisionRefused("--quarter answers a quarterly review: give no proposal, --gate, --outcome or votes")
        from flows.cli_review import confirm_quarter

        confirm_quarter(quarter, by, rationale, override, meeting_date, as_)
        return
    if proposal is None or gate is None or outcome is None:
        raise DecisionRefused("a gate decision needs PROPOSAL, --gate and --outcome (or --quarter for a review)")
    if override:
        raise DecisionRefused("--override belongs to a quarterly review (--quarter)")

    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    ledger = _ledger(settings)
    with store.read() as conn:
        row = intake.find_proposal(conn, proposal)
        policy = intake.current_policy(conn).policy
    try:
        day = dt.date.fromisoformat(meeting_date) if meeting_date else gates.today_in(policy, ledger.clock.now())
        decision = DecisionInput(
            proposal_id=row.id,
            gate=gate,
            outcome=outcome,
            rationale=rationale,
            decided_by=by.strip().lower(),
            meeting_date=day,
            votes=board.parse_votes(vote),
            conditions=[board.parse_condition(c) for c in condition],
            conflicts=[c.strip().lower() for c in conflict],
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False))
        raise DecisionRefused(f"invalid decision: {problems}") from None
    except ValueError as exc:
        raise DecisionRefused(f"invalid --meeting-date: {exc}") from None
    record = board.decide(store, ledger, decision, default_actor(as_, settings))
    payload = record.payload
    dissent = f"; dissent: {', '.join(payload['dissent'])}" if payload["dissent"] else ""
    out.print(
        f"Recorded {outcome} for {row.id} at gate {gate} (record {record.seq}, {record.hash[:12]}): "
        f"tally {', '.join(f'{o} {n}' for o, n in payload['tally']['counts'].items())}{dissent}."
    )
    for c in payload["conditions"]:
        out.print(f"  condition {c['id']}: {c['text']} (owner {c['owner']}, due {c['due']})")


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

    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    record = board.supersede(store, _ledger(settings), proposal, gate, rationale, default_actor(as_, settings))
    out.print(
        f"Superseded record {record.payload['superseded_seq']} (record {record.seq}); {record.subject} awaits "
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

    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    record = board.close_condition(store, _ledger(settings), condition_id, note, default_actor(as_, settings))
    out.print(f"Closed {condition_id} (record {record.seq}).")


@app.command()
def agenda(json_: JsonOption = False) -> None:
    """What awaits the board: proposals at a gate with their recommendations, open and overdue conditions.

    Example: governance agenda --json
    """
    from sqlalchemy import select

    from governance import gates

    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    ledger = _ledger(settings)
    with store.read() as conn:
        policy = intake.current_policy(conn).policy
        today = gates.today_in(policy, ledger.clock.now())
        waiting = []
        for row in conn.execute(
            select(ProposalRow).where(ProposalRow.state == "awaiting-decision").order_by(ProposalRow.id)
        ):
            rec = latest_record(conn, row.id, "recommended")
            assert rec is not None
            waiting.append(
                {
                    "id": row.id,
                    "reference": row.reference,
                    "title": row.title,
                    "gate": rec.payload["gate"],
                    "recommendation": rec.payload["recommendation"]["outcome"],
                    "score": rec.payload["score"],
                    "ecv": rec.payload["ecv"],
                    "reasons": rec.payload["recommendation"]["reasons"],
                }
            )
        conditions = []
        for (pid,) in conn.execute(select(ProposalRow.id).order_by(ProposalRow.id)):
            for c in gates.open_conditions(conn, pid):
                conditions.append(dict(c, proposal=pid, overdue=str(c["due"]) < today.isoformat()))
        from governance.review import pending_reviews

        reviews = pending_reviews(conn)
    if json_:
        _print_json(
            {
                "date": today.isoformat(),
                "awaiting_decision": waiting,
                "open_conditions": conditions,
                "reviews_awaiting_confirmation": reviews,
            }
        )
        return
    for r in reviews:
        counts = ", ".join(f"{n} {o}" for o, n in r["counts"].items())
        out.print(
            f"Quarterly review {r['quarter']} awaits the board (record {r['seq']}: {counts}): "
            f"governance decide --quarter {r['quarter']} --by NAME --rationale TEXT",
            markup=False,
        )
    table = Table(title=f"Awaiting the board ({today})")
    for column in ("id", "title", "gate", "recommendation", "score", "ECV"):
        table.add_column(column)
    for w in waiting:
        table.add_row(w["id"], w["title"], str(w["gate"]), w["recommendation"], str(w["score"]), str(w["ecv"]))
    out.print(table)
    ctable = Table(title="Open conditions")
    for column in ("id", "proposal", "condition", "owner", "due"):
        ctable.add_column(column)
    for c in conditions:
        ctable.add_row(
            c["id"],
            c["proposal"],
            c["text"],
            c["owner"],
            c["due"] + (" OVERDUE" if c["overdue"] else ""),
            style="red" if c["overdue"] else "",
        )
    out.print(ctable)


@app.command()
def demo(
    folder: Annotated[Path, typer.Option(help="Where the demo keeps its database.")] = Path("demo-run"),
    as_: AsOption = None,
) -> None:
    """Run the whole engine on the bundled samples in a fresh database of its own.

    Example: governance demo
    """
    from flows.demo import run_demo

    run_demo(folder, default_actor(as_, load_settings()), out)


@server_app.command("start")
def server_start(port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 4200) -> None:
    """Start a local Prefect server (own SQLite) and a runner serving the deployments.

    Example: governance server start --port 4200
    """
    from flows.server import start

    out.print(start(load_settings(), port))


@server_app.command("stop")
def server_stop() -> None:
    """Stop the local Prefect server and its runner."""
    from flows.server import stop

    out.print(stop(load_settings()))


@server_app.command("status")
def server_status() -> None:
    """Say whether the local server runs and which mode commands use now."""
    from flows.server import status

    out.print(status(load_settings()))


import flows.cli_audit  # noqa: E402 - registers the auditor's commands on `app`
import flows.cli_packs  # noqa: E402 - registers the pack commands on `app`
import flows.cli_review  # noqa: E402, F401 - registers the review commands on `app`


def main() -> None:
    """Entry point: run the app, turning our errors into one clear line and a non-zero exit."""
    try:
        app()
    except InputRefused as refused:
        err.print(f"error[{refused.code}]: {refused.message}", markup=False)
        for problem in refused.problems:
            err.print(f"  {problem}", markup=False)
        sys.exit(1)
    except GovernanceError as error:
        err.print(f"error[{error.code}]: {error.message}", markup=False)
        sys.exit(1)
