"""Intake on SQLite and PostgreSQL: filing, screening, duplicates, amendments, withdrawals, bad input."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance import adoption, intake
from governance.authority import Actor
from governance.errors import InputRefused, Problem, ProblemCode, TransitionError
from governance.ledger import Ledger, records_for, verify
from governance.policy import LoadedPolicy
from governance.store import Store


def proposal(reference: str = "NW-ALPHA", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reference": reference,
        "title": "Alpha heat pump controller",
        "summary": "A controller for residential heat pumps.",
        "sponsor": "Ana Ribeiro",
        "submitter": "Jonas Berg",
        "budget_owner": "Raj Mehta",
        "bucket": "new-products",
        "objectives": ["growth"],
        "start_date": "2027-01-01",
        "end_date": "2028-06-30",
        "costs": [
            {"period": "FY2027", "development": 400000, "launch": 0},
            {"period": "FY2028", "development": 150000, "launch": 120000},
        ],
        "benefits": [{"period": "FY2029", "amount": 900000}],
        "p_technical": 0.8,
        "p_commercial": 0.6,
    }
    data.update(changes)
    return data


def write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif name.endswith(".json"):
        path.write_text(json.dumps(content), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def adopted(store: Store, ledger: Ledger, stage_gate: LoadedPolicy) -> Store:
    assert adoption.adopt_policy(store, ledger, stage_gate, Actor.of("ana"))
    assert not adoption.adopt_policy(store, ledger, stage_gate, Actor.of("ana"))  # adopting again records nothing
    return store


def submit(store: Store, ledger: Ledger, *paths: Path) -> list[intake.Filing]:
    return intake.file_proposals(store, ledger, intake.check_submission(store, [str(p) for p in paths]), "jonas")


def test_file_screen_refile_amend_withdraw(adopted: Store, ledger: Ledger, tmp_path: Path) -> None:
    store = adopted
    ok = write(
        tmp_path,
        "a.yaml",
        [proposal("NW-ALPHA"), proposal("NW-BETA", budget_owner=None, depends_on=["NW-ALPHA"])],
    )
    assert submit(store, ledger, ok) == [
        intake.Filing("NW-ALPHA", "P-2026-0001", "filed", "screened", []),
        intake.Filing("NW-BETA", "P-2026-0002", "filed", "screened-out", ["A budget owner is named"]),
    ]
    # The same file again files nothing.
    assert submit(store, ledger, ok) == [
        intake.Filing("NW-ALPHA", "P-2026-0001", "unchanged", "screened", []),
        intake.Filing("NW-BETA", "P-2026-0002", "unchanged", "screened-out", []),
    ]
    # Layout and number formatting do not make a proposal "changed": the content hash is canonical.
    same = proposal("NW-ALPHA")
    same["costs"][0]["development"] = "400000.00"
    assert submit(store, ledger, write(tmp_path, "same.json", same))[0].action == "unchanged"
    # A changed proposal under the same reference is an amendment, screened again.
    fixed = write(tmp_path, "b.yaml", proposal("NW-BETA", budget_owner="Mia Lindqvist", depends_on=["NW-ALPHA"]))
    assert submit(store, ledger, fixed) == [intake.Filing("NW-BETA", "P-2026-0002", "amended", "screened", [])]
    with store.read() as conn:
        history = records_for(conn, "P-2026-0002")
        assert [(r.seq, r.kind, r.outcome) for r in history] == [
            (4, "filed", None),
            (5, "screened-out", "fail"),
            (6, "amended", None),
            (7, "screened", "pass"),
        ]
        amended = history[2].payload
        assert (amended["version"], amended["changed"]) == (2, ["budget_owner"])
        assert amended["previous_hash"] == history[0].payload["content_hash"]
        screened = history[3].payload["rules"]
        assert [r["id"] for r in screened] == [
            "budget-owner",
            "sponsor-not-submitter",
            "serves-an-objective",
            "success-probabilities",
            "size-limit",
        ]
        assert all(r["passed"] for r in screened)
        assert screened[0]["because"] == ["budget_owner present (is Mia Lindqvist): yes"]
        assert {r.policy_version for r in history if r.kind.startswith("screened")} == {
            adoption.current_policy(conn).version
        }
    # Withdrawal is a record; afterwards the proposal can be neither withdrawn nor refiled.
    assert intake.withdraw(store, ledger, "NW-BETA", Actor.of("ana"), "merged into NW-ALPHA") == intake.Filing(
        "NW-BETA", "P-2026-0002", "withdrawn", "withdrawn", ["merged into NW-ALPHA"]
    )
    with pytest.raises(
        TransitionError,
        match=r"P-2026-0002 is withdrawn: a 'withdrawn' record is not allowed now \[invalid-transition\]",
    ):
        intake.withdraw(store, ledger, "P-2026-0002", Actor.of("ana"), "again")
    changed = write(tmp_path, "c.yaml", proposal("NW-BETA", title="Beta, refiled", depends_on=["NW-ALPHA"]))
    with pytest.raises(InputRefused) as refused:
        submit(store, ledger, changed)
    assert refused.value.problems == (
        Problem(
            str(changed),
            "record 1",
            "reference",
            "closed-proposal",
            "NW-BETA is withdrawn and cannot be refiled or amended",
        ),
    )
    report = verify(store)
    assert (report.ok, report.records) == (True, 8)


def test_verify_catches_a_state_changed_outside_the_ledger(adopted: Store, ledger: Ledger, tmp_path: Path) -> None:
    submit(adopted, ledger, write(tmp_path, "a.yaml", proposal()))
    with adopted.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE proposals SET state = 'withdrawn' WHERE id = 'P-2026-0001'")
    assert verify(adopted).problems == [
        "proposal P-2026-0001: stored state 'withdrawn' differs from the ledger's 'screened'"
    ]


def test_amendment_is_refused_when_closed_even_without_prevalidation(
    adopted: Store, ledger: Ledger, tmp_path: Path
) -> None:
    """file_proposals guards the lifecycle itself, not only validate_submission."""
    store = adopted
    submit(store, ledger, write(tmp_path, "a.yaml", proposal()))
    intake.withdraw(store, ledger, "NW-ALPHA", Actor.of("ana"), "no longer needed")
    with store.read() as conn:
        policy = adoption.current_policy(conn).policy
    candidates = intake.validate_submission([str(write(tmp_path, "b.yaml", proposal(title="Alpha v2")))], policy, {})
    with pytest.raises(TransitionError):
        intake.file_proposals(store, ledger, candidates, "jonas")
    assert verify(store).records == 4


CASES: list[tuple[str, str, Any, list[tuple[str, str, str, str]]]] = [
    (
        "broken-yaml",
        "p.yaml",
        "reference: [unclosed\ntitle: x\n",
        [("", "", "parse-error", "invalid YAML at line 2 column 6: did not find expected ',' or ']'")],
    ),
    (
        "broken-json",
        "p.json",
        '{"reference": "X",}',
        [
            (
                "",
                "",
                "parse-error",
                "invalid JSON at line 1 column 19: Expecting property name enclosed in double quotes",
            )
        ],
    ),
    ("empty", "p.yaml", "  \n", [("", "", "file-empty", "file is empty")]),
    (
        "not-utf8",
        "p.yaml",
        b"title: caf\xe9\n",
        [("", "", "not-utf8", "not UTF-8 text (bad byte at offset 10)")],
    ),
    (
        "scalar",
        "p.yaml",
        "just a string\n",
        [("", "", "not-a-record", "expected a proposal (a mapping) or a list of proposals")],
    ),
    (
        "alias-bomb",
        "p.yaml",
        "a: &a [x, x]\nb: [*a, *a]\n",
        [
            (
                "",
                "",
                "parse-error",
                "invalid YAML at line 2 column 5: YAML aliases (*name) are not accepted",
            )
        ],
    ),
    (
        "wrong-types",
        "p.yaml",
        proposal(p_technical="likely", start_date="soon", objectives="growth"),
        [
            ("record 1", "objectives", "invalid-type", "Input should be a valid list"),
            (
                "record 1",
                "start_date",
                "invalid-type",
                "Input should be a valid date or datetime, input is too short",
            ),
            ("record 1", "p_technical", "invalid-type", "Input should be a valid decimal"),
        ],
    ),
    (
        "negative-and-nan",
        "p.json",
        proposal(costs=[{"period": "FY2027", "development": -5, "launch": "NaN"}]),
        [
            ("record 1", "costs[0].development", "negative-amount", "amount must not be negative"),
            ("record 1", "costs[0].launch", "not-finite", "Input should be a finite number"),
        ],
    ),
    (
        "end-before-start",
        "p.yaml",
        proposal(end_date="2026-01-01"),
        [("record 1", "(record)", "inconsistent", "end_date 2026-01-01 is before start_date 2027-01-01")],
    ),
    (
        "unknown-bucket",
        "p.yaml",
        proposal(bucket="moonshots"),
        [
            (
                "record 1",
                "bucket",
                "unknown-bucket",
                "unknown bucket 'moonshots'; the policy has: cost-reduction, improvements, new-products, platform",
            )
        ],
    ),
    (
        "unknown-dependency",
        "p.yaml",
        proposal(depends_on=["NW-NOWHERE"]),
        [
            (
                "record 1",
                "depends_on[0]",
                "unknown-reference",
                "no proposal NW-NOWHERE in this submission or on file",
            )
        ],
    ),
    (
        "markup",
        "p.yaml",
        proposal(title="<script>alert(1)</script>", summary="See <img src=x onerror=y>"),
        [
            ("record 1", "title", "markup-in-text", "text must be plain, found markup '<s'"),
            ("record 1", "summary", "markup-in-text", "text must be plain, found markup '<i'"),
        ],
    ),
    (
        "bidi-override",  # "Trojan Source": the title would read otherwise than it is stored
        "p.yaml",
        proposal(title="Alpha \u202edecnavda\u202c controller"),
        [("", "", "parse-error", "invalid YAML at title: bidirectional control character U+202E in text")],
    ),
    (
        "missing-and-unknown",
        "p.yaml",
        {k: v for k, v in proposal(colour="red").items() if k != "title"},
        [
            ("record 1", "title", "missing", "Field required"),
            ("record 1", "colour", "unknown-field", "Extra inputs are not permitted"),
        ],
    ),
    (
        "duplicate-reference",
        "p.yaml",
        [proposal(), proposal(title="Other")],
        [
            (
                "record 2",
                "reference",
                "duplicate-in-batch",
                "reference NW-ALPHA is also in {file} record 1 with other content",
            )
        ],
    ),
    (
        "csv-bad-cell",
        "p.csv",
        "reference,title,summary,sponsor,submitter,bucket,start_date,end_date,p_technical,p_commercial,development:FY2027,risks\n"
        "NW-C1,Csv one,From a sheet,Ana,Jonas,platform,2027-01-01,2027-12-31,0.5,0.5,abc,Supplier exits (L9/I2)\n",
        [
            ("row 2", "costs[0].development", "invalid-type", "Input should be a valid decimal"),
            ("row 2", "risks[0].likelihood", "out-of-range", "Input should be less than or equal to 5"),
        ],
    ),
    (
        "csv-bad-risk",
        "p.csv",
        "reference,title,risks\nNW-C1,Csv one,Supplier exits (high)\n",
        [
            ("row 2", "risks[0]", "invalid-value", "expected 'title (L3/I4)', got 'Supplier exits (high)'"),
            *[
                ("row 2", f, "missing", "Field required")
                for f in (
                    "summary",
                    "sponsor",
                    "submitter",
                    "bucket",
                    "start_date",
                    "end_date",
                    "costs",
                    "p_technical",
                    "p_commercial",
                )
            ],
        ],
    ),
    (
        "csv-unknown-column",
        "p.csv",
        "reference,colour\nX,red\n",
        [("row 1", "colour", "unknown-field", "unknown column 'colour'")],
    ),
    ("unsupported", "p.txt", "hello", [("", "", "unsupported-format", "unsupported file type .txt")]),
]


@pytest.mark.parametrize(("name", "content", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_whole_and_nothing_is_written(
    adopted: Store,
    ledger: Ledger,
    tmp_path: Path,
    name: str,
    content: Any,
    expected: list[tuple[str, str, str, str]],
) -> None:
    good = write(tmp_path, "0-good.yaml", proposal("NW-GOOD"))
    bad = write(tmp_path, name, content)
    with pytest.raises(InputRefused) as refused:
        submit(adopted, ledger, good, bad)
    assert refused.value.problems == tuple(
        Problem(str(bad), record, field, code, message.format(file=bad)) for record, field, code, message in expected
    )
    assert str(refused.value).endswith("[input-refused]")
    assert verify(adopted).records == 1  # only the policy adoption: nothing of the submission


def test_csv_row_with_bad_number_names_row_and_field(adopted: Store, ledger: Ledger, tmp_path: Path) -> None:
    bad = write(
        tmp_path,
        "p.csv",
        "reference,title,summary,sponsor,submitter,budget_owner,bucket,objectives,start_date,end_date,"
        "p_technical,p_commercial,development:FY2027\n"
        "NW-C1,Csv one,From a sheet,Ana,Jonas,Raj,platform,growth,2027-01-01,2027-12-31,0.5,0.5,12x\n",
    )
    with pytest.raises(InputRefused) as refused:
        submit(adopted, ledger, bad)
    assert refused.value.problems == (
        Problem(str(bad), "row 2", "costs[0].development", "invalid-type", "Input should be a valid decimal"),
    )


def test_csv_rows_file_like_yaml(adopted: Store, ledger: Ledger, tmp_path: Path) -> None:
    sheet = write(
        tmp_path,
        "p.csv",
        "reference,title,summary,sponsor,submitter,budget_owner,bucket,objectives,start_date,end_date,"
        "p_technical,p_commercial,development:FY2027,launch:FY2027,benefit:FY2028,"
        "fte:Firmware engineer:FY2027,risks,depends_on\n"
        "NW-C1,Csv one,From a sheet,Ana,Jonas,Raj,platform,growth;margin,2027-01-01,2027-12-31,0.5,0.5,"
        "100000,2000.50,300000,1.5,Supplier exits (L2/I4); Late chips (L3/I3),\n"
        "NW-C2,Csv two,Also,Ana,Jonas,Raj,platform,growth,2027-01-01,2027-12-31,0.5,0.5,5,,,,,NW-C1\n",
    )
    assert [f.action for f in submit(adopted, ledger, sheet)] == ["filed", "filed"]
    with adopted.read() as conn:
        from governance.ledger import get_snapshot

        row = intake.find_proposal(conn, "NW-C1")
        content = get_snapshot(conn, row.snapshot)
    assert content["costs"] == [{"development": "100000", "launch": "2000.5", "period": "FY2027"}]
    assert content["resources"] == [{"fte": "1.5", "period": "FY2027", "role": "Firmware engineer"}]
    assert content["risks"] == [
        {"impact": 4, "likelihood": 2, "mitigation": None, "title": "Supplier exits"},
        {"impact": 3, "likelihood": 3, "mitigation": None, "title": "Late chips"},
    ]
    assert content["objectives"] == ["growth", "margin"]


def test_fifty_megabyte_file_is_refused_without_reading_it(adopted: Store, ledger: Ledger, tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:
        f.truncate(50 * 1024 * 1024)
    with pytest.raises(InputRefused) as refused:
        submit(adopted, ledger, big)
    assert refused.value.problems == (
        Problem(str(big), "", "", "file-too-large", "file is 52,428,800 bytes; the limit is 2,097,152"),
    )


def test_dependency_on_a_proposal_on_file(adopted: Store, ledger: Ledger, tmp_path: Path) -> None:
    submit(adopted, ledger, write(tmp_path, "a.yaml", proposal("NW-ALPHA")))
    later = submit(adopted, ledger, write(tmp_path, "b.yaml", proposal("NW-GAMMA", excludes=["NW-ALPHA"])))
    assert later == [intake.Filing("NW-GAMMA", "P-2026-0002", "filed", "screened", [])]


def test_ids_keep_counting_past_four_digits(adopted: Store, ledger: Ledger, tmp_path: Path) -> None:
    with adopted.engine.begin() as conn:
        for pid in ("P-2026-9999", "P-2026-10000"):
            conn.exec_driver_sql(
                "INSERT INTO proposals (id, reference, title, bucket, state, sponsor, submitter, content_hash, "
                f"snapshot, version, filed_seq, last_seq, gate) VALUES ('{pid}', 'R{pid[7:]}', 't', 'platform', "
                "'screened', 's', 's', 'h', 'h', 1, 1, 1, 1)"
            )
    assert submit(adopted, ledger, write(tmp_path, "a.yaml", proposal()))[0].proposal_id == "P-2026-10001"


def test_missing_folder_and_empty_folder(adopted: Store, ledger: Ledger, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputRefused) as refused:
        submit(adopted, ledger, tmp_path / "nowhere", empty)
    assert refused.value.problems == (
        Problem(str(tmp_path / "nowhere"), "", "", "file-not-found", "no such file or folder"),
        Problem(str(empty), "", "", "file-not-found", "folder holds no .yaml, .json or .csv files"),
    )


texts = st.one_of(st.text(max_size=30), st.sampled_from(["<b>x</b>", "&amp;", "\x00", "", " ", "a" * 300]))
numbers = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True, places=3).map(str),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just("abc"),
    st.none(),
)
dates = st.one_of(st.dates().map(str), st.just("2027-02-30"), st.integers(), st.none())


@st.composite
def mangled_proposals(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(proposal(draw(st.sampled_from(["NW-H1", "nw-lower", "X", "NW-H2"]))))
    for key in draw(st.sets(st.sampled_from(sorted(data)), max_size=4)):
        data[key] = draw(st.one_of(texts, numbers, dates, st.lists(texts, max_size=2)))
    if draw(st.booleans()):
        data["costs"] = [{"period": draw(st.sampled_from(["FY2027", "2027", "FY27"])), "development": draw(numbers)}]
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=mangled_proposals(), as_json=st.booleans())
def test_any_proposal_is_accepted_or_refused_with_codes(
    tmp_path: Path, stage_gate: LoadedPolicy, data: dict[str, Any], as_json: bool
) -> None:
    path = tmp_path / ("h.json" if as_json else "h.yaml")
    path.write_text(json.dumps(data, default=str) if as_json else yaml.safe_dump(data), encoding="utf-8")
    try:
        candidates = intake.validate_submission([str(path)], stage_gate.policy, {})
    except InputRefused as refused:
        assert refused.value if False else refused.problems
        assert all(p.code in get_args(ProblemCode) and p.file == str(path) and p.message for p in refused.problems)
    else:
        assert [c.proposal.reference for c in candidates] == [data["reference"]]
