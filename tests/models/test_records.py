"""Ledger payload models (models.records): every stored payload reads back through its kind's model
and re-serialises to the same bytes; the registry names exactly the kinds the engine writes."""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel
from sqlalchemy import select

import models.records as records
from governance import adoption, board, gates, intake, lifecycle, projects, reports, review
from governance.assessments import read_assessments
from governance.authority import Actor
from governance.canonical import canonical_text, decimal_text
from governance.clock import FixedClock, SeededIds
from governance.ledger import Ledger
from governance.policy import load_policy
from governance.store import Store
from models.decision import OUTCOMES, DecisionInput, ReviewAnswer, ReviewOverride, Vote
from models.records import (
    RECORD_KINDS,
    RECORD_PAYLOADS,
    DecidedPayload,
    RecordPayload,
    RecordPayloadError,
    ReviewedPayload,
    ReviewFactsMissing,
    ReviewFactsReported,
    ReviewProject,
    ScoredPayload,
    SelectedPayload,
    StatusReportedPayload,
    VoteTally,
    parse_payload,
    record_schema,
)
from models.records._values import _PLAIN_PATTERN, _SCALED_PATTERN
from models.selection import SelectionResult
from models.tables import LedgerRow

from ..conftest import ROOT, START

FIXTURE = ROOT / "tests" / "fixtures" / "ledger-before-redesign.jsonl"
RECORDS: list[dict[str, Any]] = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
HASH = "0" * 64
# Kinds added after the fixture was recorded: their tests round-trip records the engine writes
# (simulated: tests/governance/test_risk.py; scenario-committed: tests/governance/test_scenarios.py;
# benefits-reviewed: tests/governance/review/test_benefits.py).
LATER_KINDS = frozenset({"simulated", "scenario-committed", "benefits-reviewed"})


def _richest(kind: str) -> dict[str, Any]:
    """The fixture's longest payload of a kind (the one with the most nested entries filled in)."""
    return max((r for r in RECORDS if r["kind"] == kind), key=lambda r: len(r["payload"]))


# -- the recorded ledger, byte for byte -------------------------------------------------------


def test_every_recorded_payload_reads_back_to_the_same_bytes() -> None:
    assert len(RECORDS) == 150
    for record in RECORDS:
        model = parse_payload(record["kind"], record["payload"])
        assert type(model) is RECORD_PAYLOADS[record["kind"]], record["seq"]
        assert canonical_text(model) == record["payload"], f"record {record['seq']} ({record['kind']})"


@pytest.mark.parametrize("kind", sorted(set(RECORD_KINDS) - LATER_KINDS))
def test_each_kind_round_trips_from_text_and_from_a_dict(kind: str) -> None:
    record = _richest(kind)
    text = record["payload"]
    assert canonical_text(parse_payload(kind, text)) == text
    # What a reader holding the decoded JSON (LedgerRecord.payload) does: the same bytes again.
    assert canonical_text(RECORD_PAYLOADS[kind].model_validate(json.loads(text))) == text


def test_the_fixture_holds_every_kind() -> None:
    assert {r["kind"] for r in RECORDS} == set(RECORD_KINDS) - LATER_KINDS


# -- the registry against the writers ---------------------------------------------------------


def _written_kinds() -> set[str]:
    """The `kind` of every `NewRecord(...)` in the engine and its flows: a literal, or a local variable
    assigned from literals (`kind = "screened" if ... else "screened-out"`)."""
    kinds: set[str] = set()
    for path in sorted([*(ROOT / "governance").rglob("*.py"), *(ROOT / "flows").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            assigned: dict[str, set[str]] = {}
            for node in ast.walk(function):
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    strings = {c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant)}
                    assigned.setdefault(node.targets[0].id, set()).update(s for s in strings if isinstance(s, str))
            for call in [n for n in ast.walk(function) if isinstance(n, ast.Call)]:
                if not (isinstance(call.func, ast.Name) and call.func.id == "NewRecord"):
                    continue
                given = [k.value for k in call.keywords if k.arg == "kind"] or call.args[:1]
                assert given, f"{path}:{call.lineno}: NewRecord without a kind"
                expr = given[0]
                if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
                    kinds.add(expr.value)
                elif isinstance(expr, ast.Name) and assigned.get(expr.id):
                    kinds.update(assigned[expr.id])
                else:
                    raise AssertionError(f"{path}:{call.lineno}: a kind this test cannot read: {ast.unparse(expr)}")
    return kinds


def test_the_registry_names_exactly_the_kinds_the_engine_writes() -> None:
    assert _written_kinds() == set(RECORD_KINDS)
    assert len(RECORD_KINDS) == len(set(RECORD_KINDS)) == 20
    assert tuple(RECORD_PAYLOADS) == RECORD_KINDS


def test_the_states_a_payload_names_are_the_lifecycle_s() -> None:
    decided = {lifecycle.state_after_decision(o, last) for o in OUTCOMES for last in (True, False)}
    assert set(get_args(DecidedPayload.model_fields["state_after"].annotation)) == decided
    assert set(get_args(ReviewedPayload.model_fields["state_after"].annotation)) == set(lifecycle.REVIEW_STATE.values())
    assert set(get_args(ReviewProject.model_fields["state"].annotation)) == lifecycle.REVIEWABLE


def _models() -> list[type[BaseModel]]:
    return [m for m in vars(records).values() if inspect.isclass(m) and issubclass(m, BaseModel)]


def test_every_model_is_frozen_refuses_unknown_keys_and_says_what_it_means() -> None:
    assert set(RECORD_PAYLOADS.values()) <= set(_models())
    for model in _models():
        assert model.model_config.get("frozen") is True, model
        assert model.model_config.get("extra") == "forbid", model
        doc = model.__dict__.get("__doc__") or ""
        assert doc.strip() and doc.strip().splitlines()[0].endswith("."), model


def test_every_kind_has_a_json_schema_naming_every_stored_key_as_required() -> None:
    for kind in sorted(set(RECORD_KINDS) - LATER_KINDS):
        schema = record_schema(kind)
        model = RECORD_PAYLOADS[kind]
        assert schema == model.model_json_schema()
        assert (schema["title"], schema["description"]) == (model.__name__, inspect.cleandoc(model.__doc__ or ""))
        assert schema["additionalProperties"] is False
        assert set(schema["required"]) == set(json.loads(_richest(kind)["payload"])), kind
        json.dumps(schema)  # plain JSON


def test_the_decimal_patterns_in_the_schema() -> None:
    properties = record_schema("status-reported")["properties"]
    assert properties["cpi"]["anyOf"][0] == {
        "type": "string",
        "pattern": _PLAIN_PATTERN,
        "description": "a decimal, trailing zeros removed",
    }
    frontier = record_schema("selected")["$defs"]["RecordedFrontierPoint"]["properties"]
    assert frontier["budget"] == {
        "title": "Budget",
        "type": "string",
        "pattern": _SCALED_PATTERN,
        "description": "a decimal as written, its scale kept",
    }


# -- refusals ---------------------------------------------------------------------------------

_STATUS = {
    "content_hash": HASH,
    "cpi": "0.9",
    "quarter": "2026Q4",
    "risk_level": "low",
    "source": {"file": "a.yaml", "record": "record 1"},
    "spi": None,
    "submitted_on": "2026-10-12",
    "version": 1,
}
_NOT_FIT = "the status-reported payload does not fit StatusReportedPayload: "


@pytest.mark.parametrize(
    ("changes", "message", "types"),
    [
        ({"cpi": 0.9}, "cpi: a decimal is stored as text, not as a JSON number", ["decimal-text"]),
        ({"cpi": 1}, "cpi: a decimal is stored as text, not as a JSON number", ["decimal-text"]),
        ({"cpi": "0.90"}, "cpi: 0.90 is not in the stored plain form (that is 0.9)", ["decimal-form"]),
        ({"cpi": "9E-1"}, "cpi: 9E-1 is not in the stored plain form (that is 0.9)", ["decimal-form"]),
        ({"cpi": "abc"}, "cpi: Input should be a valid decimal", ["decimal_parsing"]),
        ({"cpi": "NaN"}, "cpi: Input should be a finite number", ["finite_number"]),
        ({"version": "1"}, "version: Input should be a valid integer", ["int_type"]),
        ({"version": True}, "version: Input should be a valid integer", ["int_type"]),
        (
            {"submitted_on": "2026-10-12T00:00:00"},
            "submitted_on: 2026-10-12T00:00:00 is not a date written as YYYY-MM-DD",
            ["date-form"],
        ),
        ({"submitted_on": 20261012}, "submitted_on: a date is given as a date or as YYYY-MM-DD text", ["date-type"]),
        ({"note": "x"}, "note: Extra inputs are not permitted", ["extra_forbidden"]),
        ({"source": None}, "source: Input should be an object", ["model_type"]),
        (
            {"risk_level": "severe"},
            "risk_level: Input should be 'low', 'medium', 'high' or 'critical'",
            ["literal_error"],
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_a_payload_that_does_not_fit_is_refused(changes: dict[str, Any], message: str, types: list[str]) -> None:
    with pytest.raises(RecordPayloadError) as caught:
        parse_payload("status-reported", json.dumps(dict(_STATUS, **changes)))
    error = caught.value
    assert isinstance(error, ValueError)
    assert str(error) == f"{_NOT_FIT}{message} [payload-invalid]"
    assert (error.code, error.kind, [e["type"] for e in error.errors]) == ("payload-invalid", "status-reported", types)


def test_every_problem_is_listed_and_the_message_names_five() -> None:
    with pytest.raises(RecordPayloadError) as caught:
        parse_payload("status-reported", "{}")
    assert str(caught.value) == (
        f"{_NOT_FIT}quarter: Field required; content_hash: Field required; version: Field required; "
        "cpi: Field required; spi: Field required; and 3 more [payload-invalid]"
    )
    assert [e["loc"] for e in caught.value.errors] == [(k,) for k in RECORD_PAYLOADS["status-reported"].model_fields]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "(payload): Invalid JSON: key must be a string at line 1 column 2"),
        ("[]", "(payload): Input should be an object"),
    ],
)
def test_text_that_is_no_payload_is_refused(text: str, message: str) -> None:
    with pytest.raises(RecordPayloadError, match=r"^.*$") as caught:
        parse_payload("status-reported", text)
    assert str(caught.value) == f"{_NOT_FIT}{message} [payload-invalid]"


def test_a_key_missing_from_a_nested_entry_is_refused_with_its_place() -> None:
    record = _richest("decided")
    data = json.loads(record["payload"])
    del data["tally"]["note"]
    data["votes"][0]["outcome"] = "maybe"
    with pytest.raises(RecordPayloadError) as caught:
        parse_payload("decided", canonical_text(data))
    assert str(caught.value) == (
        "the decided payload does not fit DecidedPayload: votes.0.outcome: Input should be 'go', 'conditional-go', "
        "'hold', 'recycle' or 'kill'; tally.note: Field required [payload-invalid]"
    )


def test_facts_without_report_missing_are_refused() -> None:
    data = json.loads(_richest("review-proposed")["payload"])
    data["projects"][0]["facts"] = {}
    with pytest.raises(RecordPayloadError) as caught:
        parse_payload("review-proposed", canonical_text(data))
    assert str(caught.value) == (
        "the review-proposed payload does not fit ReviewProposedPayload: "
        "projects.0.facts: report_missing must be true or false [payload-invalid]"
    )


@pytest.mark.parametrize("call", [lambda: parse_payload("noted", "{}"), lambda: record_schema("noted")])
def test_an_unknown_kind_is_refused(call: Any) -> None:
    with pytest.raises(RecordPayloadError) as caught:
        call()
    assert str(caught.value) == (
        "unknown record kind 'noted' (the kinds are: policy-adopted, filed, screened, screened-out, amended, "
        "withdrawn, scored, recommended, decided, superseded, condition-closed, migrated, status-reported, "
        "review-proposed, selected, review-confirmed, reviewed, simulated, scenario-committed, benefits-reviewed) "
        "[unknown-record-kind]"
    )
    assert (caught.value.code, caught.value.kind, caught.value.errors) == ("unknown-record-kind", "noted", ())


def test_from_code_floats_and_date_times_are_refused() -> None:
    data = json.loads(_richest("status-reported")["payload"])
    model = StatusReportedPayload
    with pytest.raises(ValueError, match="a decimal is given as a Decimal, an int or text, not float"):
        model.model_validate(dict(data, cpi=0.9))
    with pytest.raises(ValueError, match="a date is given as a date or as YYYY-MM-DD text"):
        model.model_validate(dict(data, submitted_on=dt.datetime(2026, 10, 12, tzinfo=dt.UTC)))
    built = model.model_validate(dict(data, cpi=Decimal("0.90"), submitted_on=dt.date(2026, 10, 12)))
    assert canonical_text(built) == canonical_text(dict(data, cpi="0.9", submitted_on="2026-10-12"))
    with pytest.raises(ValueError, match="frozen"):
        built.version = 2  # type: ignore[misc]


# -- the selection result ---------------------------------------------------------------------


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    """A model's field names, nested models opened."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        inner = [a for a in get_args(info.annotation) or (info.annotation,) if a is not type(None)]
        inner += [a for b in inner for a in get_args(b)]  # list[X] -> X
        nested = [a for a in inner if inspect.isclass(a) and issubclass(a, BaseModel)]
        out[name] = _fields(nested[0]) if nested else None
    return out


def test_the_selected_payload_mirrors_the_selection_result() -> None:
    assert _fields(SelectedPayload) == _fields(SelectionResult)


def test_a_selection_result_becomes_the_payload_the_review_stored() -> None:
    for record in (r for r in RECORDS if r["kind"] == "selected"):
        result = SelectionResult.model_validate_json(record["payload"])
        # What governance.review stores today, and what the payload model gives for the same result.
        assert canonical_text(json.loads(canonical_text(result.model_dump(mode="json")))) == record["payload"]
        assert canonical_text(SelectedPayload.from_result(result)) == record["payload"]


# -- shapes the fixture lacks, written by the engine itself -----------------------------------

IT = load_policy("it-demand")  # direct weights, chair decides, two gates, no portfolio section


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _proposal(reference: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reference": reference,
        "title": f"{reference} service",
        "summary": "A service the IT board funds.",
        "sponsor": "Daniel Weiss",  # coo: recused
        "submitter": "Jonas Berg",
        "budget_owner": "Raj Mehta",
        "bucket": "grow",
        "objectives": ["digital"],
        "start_date": "2027-01-01",
        "end_date": "2028-06-30",
        "costs": [{"period": "FY2027", "development": 400000, "launch": 0}],
        "benefits": [{"period": "FY2028", "amount": 900000}],
        "p_technical": 0.8,
        "p_commercial": 0.6,
    }
    data.update(changes)
    return data


def _assess(tmp_path: Path, pid: str, gate: int, value: float) -> Any:
    ratings = dict.fromkeys(("business-value", "urgency", "architecture-fit"), value)
    if gate == 2:
        ratings["delivery-confidence"] = value
    must = {"security-reviewed": True} if gate == 2 else {}
    docs = [
        {"proposal": pid, "gate": gate, "assessor": a, "ratings": dict(ratings), "must_meet": dict(must)}
        for a in ("ciso", "demand")
    ]
    return read_assessments([_write(tmp_path, f"{pid}-{gate}.yaml", docs)])


def _decide(pid: str, gate: int, outcome: str, **changes: Any) -> DecisionInput:
    data: dict[str, Any] = {
        "proposal_id": pid,
        "gate": gate,
        "outcome": outcome,
        "rationale": "As the board agreed.",
        "decided_by": "cio",
        "meeting_date": "2026-11-23",
        "votes": [{"member": "cio", "outcome": outcome}, {"member": "ciso", "outcome": "hold"}],
    }
    data.update(changes)
    return DecisionInput.model_validate(data)


def test_records_the_engine_writes_in_shapes_the_fixture_lacks(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'governance.db'}")
    store.upgrade()
    ledger = Ledger(FixedClock(START, dt.timedelta(milliseconds=1)), SeededIds("records"), engine_version="test")
    adoption.adopt_policy(store, ledger, IT, Actor.of("ana"))
    submission = [
        _write(tmp_path, "a.yaml", _proposal("IT-ALPHA")),
        _write(tmp_path, "b.yaml", _proposal("IT-BRAVO", benefits=[])),  # no IRR, no payback
        _write(tmp_path, "c.yaml", _proposal("IT-CHARLIE", budget_owner=None)),  # screened out
    ]
    intake.file_proposals(store, ledger, intake.validate_submission(submission, IT.policy, {}), "jonas")
    cards = gates.record_scores(store, ledger, _assess(tmp_path, "P-2026-0002", 1, 7), "pmo")
    amended = _write(tmp_path, "b.yaml", _proposal("IT-BRAVO", benefits=[], summary="Changed."))
    intake.file_proposals(store, ledger, intake.validate_submission([amended], IT.policy, {}), "jonas")
    intake.withdraw(store, ledger, "P-2026-0002", Actor.of("cio"), "No longer needed")
    # Gate 1: a conditional go with a condition; gate 2 recommended with it still open; the last gate's
    # decision superseded and made again; the condition closed.
    cards += gates.record_scores(store, ledger, _assess(tmp_path, "P-2026-0001", 1, 5.5), "pmo")
    gates.record_recommendation(store, ledger, "P-2026-0001", "pmo")
    condition = {"text": "Penetration test passed", "owner": "CISO", "due": "2027-02-01"}
    votes = [Vote(member="cio", outcome="conditional-go"), Vote(member="ciso", outcome="conditional-go")]
    board.decide(
        store, ledger, _decide("P-2026-0001", 1, "conditional-go", votes=votes, conditions=[condition]), Actor.of("cio")
    )
    cards += gates.record_scores(store, ledger, _assess(tmp_path, "P-2026-0001", 2, 8), "pmo")
    gates.record_recommendation(store, ledger, "P-2026-0001", "pmo")
    board.decide(store, ledger, _decide("P-2026-0001", 2, "go"), Actor.of("cio"))
    board.supersede(store, ledger, "P-2026-0001", 2, "votes recorded for the wrong proposal", Actor.of("cio"))
    board.decide(store, ledger, _decide("P-2026-0001", 2, "go"), Actor.of("cio"))
    board.close_condition(store, ledger, "C-2026-0001-G1-1", "passed", Actor.of("cio"))
    # A paused migrated project without a score and without a report; a report with nothing spent yet.
    migrated = _proposal("IT-DELTA", bucket="run", approved_on="2025-01-20", status="paused")
    projects.import_projects(store, ledger, [_write(tmp_path, "projects.yaml", {"projects": [migrated]})], "pmo")
    report = {
        "project": "P-2026-0001",
        "quarter": "2026Q4",
        "submitted_on": "2026-11-02",
        "actual_cost": 0,
        "planned_value": 0,
        "earned_value": 0,
        "percent_complete": 0,
        "risk_level": "low",
    }
    reports.file_status_reports(
        store, ledger, reports.read_status_reports([_write(tmp_path, "r.yaml", report)], "2026Q4"), "pmo"
    )
    review.propose_review(store, ledger, "2026Q4", "pmo")
    override = ReviewOverride(project="P-2026-0001", outcome="pause", rationale="Wait for the platform.")
    answer = ReviewAnswer(
        quarter="2026Q4",
        decided_by="cio",
        meeting_date=dt.date(2026, 11, 23),
        rationale="Agreed.",
        votes=[{"member": "cio", "vote": "accept"}, {"member": "ciso", "vote": "accept"}],
        overrides=[override],
    )
    review.confirm_review(store, ledger, answer, Actor.of("cio"))
    # `previous` set; a new board and people: the board in office votes for it
    adoption.adopt_policy(
        store, ledger, load_policy("stage-gate"), Actor.of("cio"), votes=["cio=accept", "ciso=accept"]
    )

    with store.read() as conn:
        written = conn.execute(select(LedgerRow.kind, LedgerRow.payload).order_by(LedgerRow.seq)).all()
    assert {kind for kind, _ in written} == set(RECORD_KINDS) - {
        "selected",
        "simulated",
        "scenario-committed",
        "benefits-reviewed",
    }  # no portfolio section
    for kind, payload in written:
        assert canonical_text(parse_payload(kind, payload)) == payload, kind
        assert canonical_text(RECORD_PAYLOADS[kind].model_validate(json.loads(payload))) == payload, kind
    # The shapes this test is for.
    texts = "\n".join(payload for _, payload in written)
    for shape in (
        '"method":"direct"',
        '"irr":null,"irr_note":"no IRR: the cash flows never change sign"',
        '"payback_years":null',
        '"cpi":null',
        '"report_late_days":null,"report_missing":true',
        '"open_conditions":[{"due":"2027-02-01","id":"C-2026-0001-G1-1"',
        '"recused":{"coo":"sponsor of the proposal"}',
        '"next_gate":null',
        '"overridden":true',
        '"overrides":[{"outcome":"pause","project":"P-2026-0001"',
        '"funded":null',
        '"selection":null',
        '"score":null',
        '"state_after":"paused"',
    ):
        assert shape in texts, shape
    assert re.search(r'"previous":"[0-9a-f]{64}"', texts)
    # A score card as the engine builds it gives the same bytes through its model.
    for _, card in cards:
        assert canonical_text(ScoredPayload.model_validate(card.as_dict())) == canonical_text(card.as_dict())


# -- properties -------------------------------------------------------------------------------

_decimals = st.decimals(min_value=-(10**12), max_value=10**12, places=4, allow_nan=False, allow_infinity=False)


class _Probe(RecordPayload):
    """A payload with one decimal of each stored form (for the property tests)."""

    plain: records.PlainDecimal
    scaled: records.ScaledDecimal


@given(_decimals, _decimals)
def test_decimals_keep_their_value_and_their_stored_form(plain: Decimal, scaled: Decimal) -> None:
    probe = _Probe(plain=plain, scaled=scaled)
    text = canonical_text(probe)
    assert text == f'{{"plain":"{decimal_text(plain)}","scaled":"{scaled}"}}'
    assert re.fullmatch(_PLAIN_PATTERN, decimal_text(plain))
    assert re.fullmatch(_SCALED_PATTERN, str(scaled))
    back = _Probe.model_validate_json(text)
    assert back == probe
    assert str(back.scaled) == str(scaled)  # the scale too, not only the value
    assert canonical_text(back) == text


_members = st.sampled_from(["ana", "raj", "lee", "mia", "tom"])
_outcomes = st.sampled_from(["go", "conditional-go", "hold", "recycle", "kill"])
_text = st.text(st.characters(codec="utf-8"), max_size=30)


@st.composite
def _decisions(draw: st.DrawFn) -> DecidedPayload:
    members = draw(st.lists(_members, min_size=1, unique=True))
    votes = [Vote(member=m, outcome=draw(_outcomes)) for m in sorted(members)]
    counts: dict[str, int] = {}
    for v in votes:
        counts[v.outcome] = counts.get(v.outcome, 0) + 1
    outcome = draw(_outcomes)
    return DecidedPayload(
        gate=draw(st.integers(1, 20)),
        gate_name=draw(_text),
        outcome=outcome,
        rationale=draw(_text),
        decided_by=draw(_members),
        meeting_date=draw(st.dates()),
        votes=votes,
        dissent=[v.member for v in votes if v.outcome != outcome],
        recused=draw(st.dictionaries(_members, _text, max_size=2)),
        tally=VoteTally(rule="majority", counts=counts, cast=len(votes), supported=outcome, note=draw(_text)),
        conditions=[],
        recommended=draw(_outcomes),
        recommended_seq=draw(st.integers(1, 10**9)),
        attempt=draw(st.integers(1, 5)),
        state_after="in-stage",
        next_gate=draw(st.none() | st.integers(1, 20)),
    )


@given(_decisions())
def test_a_decision_reads_back_as_itself(decision: DecidedPayload) -> None:
    text = canonical_text(decision)
    assert parse_payload("decided", text) == decision
    assert canonical_text(parse_payload("decided", text)) == text


@st.composite
def _review_projects(draw: st.DrawFn) -> ReviewProject:
    base = {
        "score": draw(st.none() | _decimals),
        "ecv": draw(_decimals),
        "npv": draw(_decimals),
        "open_conditions": draw(st.integers(0, 5)),
        "overdue_conditions": 0,
        "state": "active",
        "bucket": "grow",
    }
    facts: ReviewFactsReported | ReviewFactsMissing
    if draw(st.booleans()):
        facts = ReviewFactsMissing(**base, report_missing=True, report_late_days=None)
    else:
        facts = ReviewFactsReported(
            **base,
            report_missing=False,
            report_late_days=draw(st.integers(0, 90)),
            cpi=draw(st.none() | _decimals),
            spi=draw(st.none() | _decimals),
            actual_cost=draw(_decimals),
            planned_value=draw(_decimals),
            earned_value=draw(_decimals),
            percent_complete=draw(_decimals),
            risk_level="low",
            risk_rank=1,
            milestones_hit=draw(st.integers(0, 5)),
            milestones_missed=0,
        )
    return ReviewProject(
        id="P-2026-0001",
        reference="IT-ALPHA",
        title=draw(_text),
        bucket="grow",
        state="active",
        rules_outcome="continue",
        recommended=draw(st.sampled_from(["continue", "pause"])),
        reasons=draw(st.lists(_text, max_size=2)),
        rules_fired=[],
        findings=[],
        facts=facts,
        funded=draw(st.none() | st.booleans()),
    )


@given(_review_projects())
def test_a_review_project_reads_back_as_itself_with_its_facts_as_written(project: ReviewProject) -> None:
    text = canonical_text(project)
    back = ReviewProject.model_validate_json(text)
    assert back == project
    assert canonical_text(back) == text
    facts = json.loads(text)["facts"]
    assert ("cpi" in facts) is (not project.facts.report_missing)


def test_selections_recorded_before_frontier_reasons_read_back_to_their_bytes() -> None:
    """Frontier points' `gap` and `reason` and the result's `bucket_shares_of` are left out when
    they say nothing new: a selection recorded before them reads back, and out, byte for byte."""
    fixture = Path(__file__).resolve().parent.parent / "fixtures" / "ledger-before-redesign.jsonl"
    stored = [r for r in map(json.loads, fixture.read_text(encoding="utf-8").splitlines()) if r["kind"] == "selected"]
    assert stored
    for record in stored:
        body = records.parse_payload("selected", record["payload"])
        assert isinstance(body, records.SelectedPayload)
        assert canonical_text(body.model_dump(mode="json")) == record["payload"]
        again = records.SelectedPayload.from_result(body.to_result())
        assert canonical_text(again.model_dump(mode="json")) == record["payload"]
