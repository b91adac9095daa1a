"""The quarterly review as a user runs it, and re-runs after a real process was killed at each crash point."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest
import yaml

from governance.crashpoints import CRASH_POINTS

from ..commands import GOVERNANCE, run
from ..conftest import EXAMPLES

Q3 = str(EXAMPLES / "status" / "2026Q3")
Q4 = str(EXAMPLES / "status" / "2026Q4")
VOTES = ("--vote", "ana=accept", "--vote", "raj=accept", "--vote", "mia=accept")
DECIDE_Q3 = ("decide", "--quarter", "2026Q3", "--by", "ana", "--rationale", "Accepted as recommended.", *VOTES)
SMALL_CHUNKS = {"GOVERNANCE_CHUNK_SIZE": "3"}


def _crash(cwd: Path, point: str, *args: str) -> None:
    """Run a command that kills itself (SIGKILL) at `point`; then kill what it left (the embedded server)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVERNANCE_", "PREFECT_"))}
    env.update(
        COLUMNS="200",
        GOVERNANCE_CLOCK_START="2026-11-23T09:00:00Z",
        GOVERNANCE_ID_SEED="cli",
        GOVERNANCE_CRASH_AT=point,
        **SMALL_CHUNKS,
    )
    # Output goes to a file, not a pipe: the killed process's orphans (the embedded Prefect server)
    # would hold a pipe open.
    log = cwd / f"crash-{point}.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen([GOVERNANCE, *args], cwd=cwd, env=env, stdout=sink, stderr=sink, start_new_session=True)
        returncode = proc.wait(timeout=300)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    assert returncode == -signal.SIGKILL, log.read_text()


def _count(db: Path, kind: str, outcome: str | None = None) -> int:
    with sqlite3.connect(db) as conn:
        if outcome is None:
            return int(conn.execute("SELECT count(*) FROM ledger WHERE kind = ?", (kind,)).fetchone()[0])
        sql = "SELECT count(*) FROM ledger WHERE kind = ? AND outcome = ?"
        return int(conn.execute(sql, (kind, outcome)).fetchone()[0])


def _states(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT id, state FROM proposals ORDER BY id").fetchall())


def _reviewed_per_project(db: Path, quarter: str) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT subject, count(*) FROM ledger WHERE kind = 'reviewed' AND payload LIKE ? GROUP BY subject",
            (f'%"quarter":"{quarter}"%',),
        ).fetchall()
    return dict(rows)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the policy and the eight running projects (a template the tests copy)."""
    folder = tmp_path_factory.mktemp("imported")
    assert run(folder, "init").returncode == 0
    done = run(folder, "import", "projects", str(EXAMPLES / "projects"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "Imported 8 project(s); 0 already on file."
    return folder


@pytest.fixture(scope="module")
def proposed(imported: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template after `governance review --quarter 2026Q3` (on the embedded server): awaiting the board."""
    folder = tmp_path_factory.mktemp("proposed")
    shutil.copy(imported / "governance.db", folder / "governance.db")
    result = run(folder, "review", "--quarter", "2026Q3", "--reports", Q3)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Status reports: 8 reported."
    assert lines[1].startswith("Quarterly review 2026Q3 (record 19): ")
    assert "Awaiting the board: governance decide --quarter 2026Q3 --by NAME --rationale TEXT" in result.stdout
    assert result.stderr == ""
    return folder


@pytest.fixture(scope="module")
def reference(proposed: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Project states after a review that nothing interrupted."""
    folder = tmp_path_factory.mktemp("reference")
    shutil.copy(proposed / "governance.db", folder / "governance.db")
    done = run(folder, *DECIDE_Q3, env=SMALL_CHUNKS)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Confirmed the 2026Q3 review (record 20): 8 outcome(s) recorded (")
    return _states(folder / "governance.db")


def _copy(template: Path, tmp_path: Path) -> Path:
    shutil.copy(template / "governance.db", tmp_path / "governance.db")
    return tmp_path / "governance.db"


@pytest.mark.parametrize("point", ["after-confirmation", "mid-outcomes", "after-outcomes"])
def test_a_decision_killed_mid_way_finishes_on_rerun_without_doubles(
    proposed: Path, reference: dict[str, str], tmp_path: Path, point: str
) -> None:
    db = _copy(proposed, tmp_path)
    _crash(tmp_path, point, *DECIDE_Q3)
    assert _count(db, "review-confirmed") == 1
    partial = {"after-confirmation": 0, "mid-outcomes": 3, "after-outcomes": 8}[point]
    assert sum(_reviewed_per_project(db, "2026Q3").values()) == partial
    again = run(tmp_path, *DECIDE_Q3, env=SMALL_CHUNKS)
    assert again.returncode == 0, again.stderr
    assert f"{8 - partial} outcome(s) recorded" in again.stdout
    assert _count(db, "review-confirmed") == 1
    assert _reviewed_per_project(db, "2026Q3") == {f"P-2026-000{i}": 1 for i in range(1, 9)}
    assert _states(db) == reference
    checked = run(tmp_path, "verify")
    assert checked.returncode == 0 and checked.stdout.startswith("Ledger verified"), checked.stdout + checked.stderr


@pytest.mark.parametrize("point", ["after-ingest", "after-proposal"])
def test_a_review_run_killed_mid_way_finishes_on_rerun_without_doubles(
    imported: Path, reference: dict[str, str], tmp_path: Path, point: str
) -> None:
    db = _copy(imported, tmp_path)
    _crash(tmp_path, point, "review", "--quarter", "2026Q3", "--reports", Q3)
    assert _count(db, "status-reported") == 8
    assert _count(db, "review-proposed") == (1 if point == "after-proposal" else 0)
    again = run(tmp_path, "review", "--quarter", "2026Q3", "--reports", Q3)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == "Status reports: 8 unchanged."
    assert (_count(db, "status-reported"), _count(db, "review-proposed"), _count(db, "selected")) == (8, 1, 1)
    assert run(tmp_path, *DECIDE_Q3, env=SMALL_CHUNKS).returncode == 0
    assert _states(db) == reference


def test_every_crash_point_is_tested() -> None:
    assert set(CRASH_POINTS) == {
        "after-ingest",
        "after-proposal",
        "after-confirmation",
        "mid-outcomes",
        "after-outcomes",
    }


def test_second_quarter_pauses_stops_completes_and_takes_overrides(proposed: Path, tmp_path: Path) -> None:
    db = _copy(proposed, tmp_path)
    assert run(tmp_path, *DECIDE_Q3).returncode == 0
    result = run(tmp_path, "review", "--quarter", "2026Q4", "--reports", Q4, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    recommended = {p["id"]: p["recommended"] for p in data["projects"]}
    assert recommended["P-2026-0001"] == "pause"  # CPI below 0.80 for two quarters
    assert recommended["P-2026-0002"] == "stop"  # negative ECV at high risk
    assert recommended["P-2026-0003"] == "complete"
    assert data["state"] == "awaiting-confirmation"
    assert "1 project(s) sent no status report for 2026Q4" in data["findings"]
    refused = run(tmp_path, "decide", "--quarter", "2026Q4", "--by", "zoe", "--rationale", "x")
    assert refused.returncode == 1
    assert (
        refused.stderr == "error[decision-refused]: not on the board roster: zoe (members: ana, lee, mia, raj, tom)\n"
    )
    change = (
        "decide",
        "--quarter",
        "2026Q4",
        "--rationale",
        "Accepted, with one change.",
        "--override",
        "P-2026-0001=continue: the supplier pays for the extra board spin",
    )
    alone = run(tmp_path, *change)  # one member turning a pause into continue: the board has not decided
    assert alone.stderr == (
        "error[decision-refused]: no quorum: 0 vote(s) cast on the 2026Q4 answer, the quorum is 3 "
        "(5 eligible member(s)); give --vote NAME=accept|reject\n"
    )
    split = run(tmp_path, *change, "--vote", "ana=accept", "--vote", "raj=reject", "--vote", "mia=reject")
    assert split.stderr == (
        "error[decision-refused]: the votes do not carry the 2026Q4 answer: 1 of 3 votes accept; "
        "a majority needs more than half\n"
    )
    done = run(tmp_path, *change, *VOTES)
    assert done.returncode == 0, done.stderr
    assert _states(db)["P-2026-0001"] == "active"
    assert _states(db)["P-2026-0002"] == "stopped"
    assert _states(db)["P-2026-0003"] == "completed"
    with_override = run(tmp_path, "show", "P-2026-0001", "--json")
    assert with_override.returncode == 0
    assert "the supplier pays for the extra board spin" in with_override.stdout


def test_bad_reports_are_refused_and_nothing_is_recorded(imported: Path, tmp_path: Path) -> None:
    db = _copy(imported, tmp_path)
    report = yaml.safe_load((EXAMPLES / "status" / "2026Q4" / "smt.yaml").read_text())
    report.update(project="NW-RUN-NOBODY", risk_level="dire")
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(report))
    result = run(tmp_path, "review", "--quarter", "2026Q4", "--reports", str(tmp_path / "bad.yaml"))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error[input-refused]: submission refused, nothing was filed: 1 problem(s) in 1 file(s)",
        f"  {tmp_path / 'bad.yaml'}, record 1, risk_level: Input should be 'low', 'medium', 'high' or 'critical' "
        "[invalid-value]",
    ]
    assert _count(db, "status-reported") == 0 and _count(db, "review-proposed") == 0


# A what-if selection of three candidates (also tests/cli/test_progress.py): the best pair beats the greedy pick.
CANDIDATES = {
    "currency": "EUR",
    "portfolio": {"value_measure": "npv", "budget": {"FY2027": 100}},
    "buckets": [{"bucket": "core", "min_share": 0, "max_share": 1}],
    "candidates": [
        {"id": "A", "title": "Alpha", "bucket": "core", "npv": 60, "costs": [{"period": "FY2027", "amount": 60}]},
        {"id": "B", "title": "Beta", "bucket": "core", "npv": 50, "costs": [{"period": "FY2027", "amount": 50}]},
        {"id": "C", "title": "Gamma", "bucket": "core", "npv": 45, "costs": [{"period": "FY2027", "amount": 50}]},
    ],
}


def test_select_what_if_on_a_candidates_file(tmp_path: Path) -> None:
    path = tmp_path / "candidates.yaml"
    path.write_text(yaml.safe_dump(CANDIDATES))
    result = run(tmp_path, "select", "--candidates", str(path), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["status"], data["selected"], data["objective"]) == ("optimal", ["B", "C"], "95")
    assert data["greedy"]["selected"] == ["A"] and data["greedy"]["value_difference"] == "35"
    shown = run(tmp_path, "select", "--candidates", str(path))
    assert shown.returncode == 0, shown.stderr
    assert (
        "A spreadsheet's greedy choice (value per cost until the budget runs out): value EUR 60, EUR 35 less than "
        "the selection; only in the optimum: B, C; only in greedy: A."
    ) in " ".join(shown.stdout.split())
    wider = run(tmp_path, "select", "--candidates", str(path), "--budget", "FY2027=160", "--json")
    assert json.loads(wider.stdout)["selected"] == ["A", "B", "C"]
    infeasible = run(tmp_path, "select", "--candidates", str(path), "--bucket", "core=0.9:1", "--budget", "FY2027=200")
    assert infeasible.returncode == 1
    assert "No selection (infeasible). Conflicting constraints:" in infeasible.stdout
    limited = run(tmp_path, "select", "--candidates", str(path), "--time-limit", "0")
    assert (limited.returncode, limited.stdout, limited.stderr.splitlines()) == (
        1,
        "",
        [
            "error[input-refused]: submission refused, nothing was filed: 1 problem(s) in 1 file(s)",
            "  command line, --time-limit, 0: the time limit is 1 to 86400 seconds [out-of-range]",
        ],
    )
    timed = json.loads(run(tmp_path, "select", "--candidates", str(path), "--time-limit", "5", "--json").stdout)
    assert timed["solver"]["options"]["time_limit_seconds"] == 5 and timed["selected"] == ["B", "C"]
    schema = run(tmp_path, "schema", "candidates")
    assert schema.returncode == 0 and json.loads(schema.stdout)["title"] == "CandidatesFile"
    bad = run(tmp_path, "select", "--candidates", str(path), "--budget", "FY2027=-5")
    assert (bad.returncode, bad.stdout, bad.stderr.splitlines()) == (
        1,
        "",
        [
            "error[input-refused]: submission refused, nothing was filed: 1 problem(s) in 1 file(s)",
            "  command line, --budget, FY2027: amount must not be negative [negative-amount]",
        ],
    )


def test_auditor_replays_and_exports_the_review(proposed: Path, tmp_path: Path) -> None:
    import hashlib

    _copy(proposed, tmp_path)
    assert run(tmp_path, *DECIDE_Q3).returncode == 0
    replayed = run(tmp_path, "replay", "--all")
    assert (replayed.returncode, replayed.stdout) == (0, "Replayed 9 record(s): 9 match.\n")
    one = run(tmp_path, "replay", "Q-2026Q3", "--json")
    assert json.loads(one.stdout) == [
        {
            "seq": 18,
            "kind": "selected",
            "subject": "Q-2026Q3",
            "status": "match",
            "detail": json.loads(one.stdout)[0]["detail"],
        }
    ]
    exported = run(tmp_path, "export", "--since", "2026-11-23", "--until", "2026-11-23")
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [r["seq"] for r in lines] == list(range(1, 29))
    for r in lines:
        columns = [r[c] for c in ("seq", "record_id", "kind", "subject", "outcome", "recorded_by", "recorded_at")]
        columns += [r[c] for c in ("engine_version", "policy_version", "inputs", "prev_hash")]
        header = json.dumps(columns, ensure_ascii=False, separators=(",", ":"))  # the auditor's two lines
        assert hashlib.sha256(f"{header}\n{r['payload']}".encode()).hexdigest() == r["hash"]
    assert run(tmp_path, "export", "--since", "2026-11-24").stdout == ""
    as_csv = run(tmp_path, "export", "--format", "csv", "-o", str(tmp_path / "all.csv"))
    assert as_csv.stdout == f"Exported 28 record(s) to {tmp_path / 'all.csv'}.\n"
    assert len((tmp_path / "all.csv").read_text().splitlines()) >= 29
    bad = run(tmp_path, "export", "--since", "2026-11-31")  # bad usage, in tests/cli/test_app.py
    assert (bad.returncode, bad.stdout) == (2, "")


def test_packs_verify_and_a_tampered_record_fails_verify_pack_and_replay(proposed: Path, tmp_path: Path) -> None:
    from pypdf import PdfReader

    db = _copy(proposed, tmp_path)
    assert run(tmp_path, *DECIDE_Q3).returncode == 0
    keys = run(tmp_path, "keys", "init", "--organisation", "Nordwind GmbH")
    assert keys.returncode == 0, keys.stderr
    written = run(tmp_path, "pack", "quarter", "2026Q3")
    assert (written.returncode, written.stdout) == (0, "Wrote out/board-pack-2026Q3.pdf\n"), written.stderr
    audit = run(tmp_path, "pack", "audit", "--since", "2026-11-23", "--until", "2026-11-23", "-o", "out")
    assert audit.returncode == 0, audit.stderr
    pack = tmp_path / "out" / "board-pack-2026Q3.pdf"
    first = pack.read_bytes()
    again = run(tmp_path, "pack", "quarter", "2026Q3")
    assert again.returncode == 0 and pack.read_bytes() == first  # signed, and still byte-identical
    reader = PdfReader(pack)
    assert reader.metadata is not None and reader.metadata.title == "Quarterly board pack 2026Q3"
    assert "P-2026-0005" in "".join(page.extract_text() for page in reader.pages)
    checked = run(
        tmp_path, "verify-pack", "out/board-pack-2026Q3.pdf", str(tmp_path / "out" / "audit-2026-11-23-2026-11-23.pdf")
    )
    assert checked.returncode == 0, checked.stderr
    board, audited = checked.stdout.splitlines()
    assert board.startswith(
        "out/board-pack-2026Q3.pdf: verified as the pack re-rendered from the ledger, byte for byte "
        "(11 record(s), head 28:"
    )
    assert board.endswith("..., 15 pages; signature trusted).")
    assert audited.startswith(
        f"{tmp_path / 'out' / 'audit-2026-11-23-2026-11-23.pdf'}: verified as the pack re-rendered"
    )
    # An attacker with database access changes one byte of a recorded outcome.
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER ledger_no_update")
        # P-2026-0003 continues (P-2026-0002, ECV -2.04M, is paused since bucket shares are of spend).
        seq = conn.execute("SELECT seq FROM ledger WHERE kind = 'reviewed' AND subject = 'P-2026-0003'").fetchone()[0]
        swap = 'replace(payload, \'"outcome":"continue"\', \'"outcome":"continuf"\')'
        conn.execute(f"UPDATE ledger SET payload = {swap} WHERE seq = ?", (seq,))
    broken = run(tmp_path, "verify-pack", "out/board-pack-2026Q3.pdf")
    assert (broken.returncode, broken.stdout) == (1, "")
    assert broken.stderr == (
        "out/board-pack-2026Q3.pdf: FAILED\n"
        f"  record {seq}: differs from the ledger in payload\n"
        "  the ledger cannot make the quarterly board pack 2026Q3 again (the reviewed payload does not fit "
        "ReviewedPayload: outcome: Input should be 'continue', 'pause', 'resume', 'stop' or 'complete' "
        "[payload-invalid])\n"
        f"error[ledger-broken]: 1 of 1 pack(s) failed verification: record {seq}: differs from the ledger in payload\n"
    )
    offline = run(tmp_path, "verify-pack", "--offline", "out/board-pack-2026Q3.pdf")
    assert offline.returncode == 0  # the pack itself is intact: only the ledger changed
    replayed = run(tmp_path, "replay", str(seq))
    assert replayed.returncode == 1
    assert f"│ {seq}" in replayed.stdout and "mismatch" in replayed.stdout
    # One changed byte inside the signed file breaks the signature, whatever the ledger says.
    data = bytearray(first)
    offset = data.index(b"/Producer")
    data[offset + 2] ^= 1
    (tmp_path / "out" / "tampered.pdf").write_bytes(bytes(data))
    forged = run(tmp_path, "verify-pack", "--offline", "out/tampered.pdf")
    assert forged.returncode == 1
    assert "  signature GovernanceSignature: not intact" in forged.stderr.splitlines()


def test_verify_pack_names_a_page_drawn_over_and_calls_an_unsigned_pack_unverifiable_offline(
    proposed: Path, tmp_path: Path
) -> None:
    """An unsigned board pack with "BOARD DECIDED KILL" drawn over page 1 keeps its attachment and its
    stamps: online it fails, naming the page; offline no unsigned pack is verified, tampered or not."""
    from pypdf import PdfReader, PdfWriter
    from weasyprint import HTML

    from governance.packs.remake import first_difference

    _copy(proposed, tmp_path)
    assert run(tmp_path, *DECIDE_Q3).returncode == 0
    assert run(tmp_path, "pack", "quarter", "2026Q3").returncode == 0
    genuine = (tmp_path / "out" / "board-pack-2026Q3.pdf").read_bytes()
    good = run(tmp_path, "verify-pack", "out/board-pack-2026Q3.pdf")
    assert (good.returncode, good.stderr) == (0, "")
    assert re.fullmatch(
        r"out/board-pack-2026Q3\.pdf: verified as the pack re-rendered from the ledger, byte for byte "
        r"\(11 record\(s\), head 28:[0-9a-f]{17}\.\.\., 15 pages; not signed\)\.\n",
        good.stdout,
    ), good.stdout
    stamp = HTML(string='<p style="font: bold 40pt sans-serif; color: #c00">BOARD DECIDED KILL</p>').write_pdf()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(genuine)))
    writer.pages[0].merge_page(PdfReader(io.BytesIO(stamp)).pages[0])
    writer.write(tmp_path / "out" / "tampered.pdf")
    at = first_difference((tmp_path / "out" / "tampered.pdf").read_bytes(), genuine)
    tampered = run(tmp_path, "verify-pack", "out/tampered.pdf")
    problem = f"page 1 differs from the pack re-rendered from the ledger (first difference at byte {at})"
    assert (tampered.returncode, tampered.stdout) == (1, "")
    assert tampered.stderr == (
        f"out/tampered.pdf: FAILED\n  {problem}\nerror[ledger-broken]: 1 of 1 pack(s) failed verification: {problem}\n"
    )
    for name in ("board-pack-2026Q3.pdf", "tampered.pdf"):
        offline = run(tmp_path, "verify-pack", "--offline", f"out/{name}")
        assert (offline.returncode, offline.stdout) == (1, "")
        assert offline.stderr == (
            f"error[unverifiable]: out/{name}: an unsigned pack cannot be verified offline: its pages can be "
            "checked only against the ledger (run verify-pack without --offline)\n"
        )


def test_select_with_a_chance_constraint(tmp_path: Path) -> None:
    risky = {
        "id": "R",
        "title": "Risky",
        "bucket": "core",
        "npv": 100,
        "costs": [{"period": "FY2027", "amount": 90}],
        "estimates": [
            {
                "period": "FY2027",
                "development": {"low": 80, "likely": 90, "high": 130},
                "launch": {"low": 0, "likely": 0, "high": 0},
            }
        ],
    }
    path = tmp_path / "candidates.yaml"
    path.write_text(yaml.safe_dump({**CANDIDATES, "candidates": [*CANDIDATES["candidates"], risky]}))
    plain = json.loads(run(tmp_path, "select", "--candidates", str(path), "--json").stdout)
    assert (plain["selected"], "chance" in plain) == (["R"], False)
    chance = ["select", "--candidates", str(path), "--chance", "0.1", "--scenarios", "50", "--scenario-seed", "3"]
    result = run(tmp_path, *chance, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["selected"], data["objective"]) == (["B", "C"], "95")
    assert data["chance"] == {
        "alpha": "0.1",
        "form": "per-period",
        "scenarios": 50,
        "seed": 3,
        "allowed": 5,
        "periods": [{"period": "FY2027", "in_sample_violations": 0, "out_of_sample": "0.000000"}],
        "in_sample_any": 0,
        "trials": 100000,
        "trials_seed": 4,
        "out_of_sample_any": "0.000000",
    }
    shown = " ".join(run(tmp_path, *chance).stdout.split())
    assert (
        "Chance constraint (per period): P(spend > budget) <= 0.1, as at most 5 of 50 scenarios (seed 3) over "
        "budget in each period. FY2027: 0 of 50 scenarios over budget; 0.00% of 100,000 fresh trials (alpha 10%) "
        "any period: 0 of 50 scenarios; 0.00% of fresh trials"
    ) in shown
    for args, line in (
        (["--chance", "2"], "  command line, --chance, 2: alpha is a probability from 0 to 1, at most 4 decimal "
         "places [out-of-range]"),
        (["--scenarios", "50"], "  command line, --scenarios, 50: --scenarios needs --chance ALPHA: the policy "
         "sets no chance constraint [missing]"),
    ):  # fmt: skip
        bad = run(tmp_path, "select", "--candidates", str(path), *args)
        assert (bad.returncode, bad.stdout, bad.stderr.splitlines()) == (
            1,
            "",
            ["error[input-refused]: submission refused, nothing was filed: 1 problem(s) in 1 file(s)", line],
        )
    word = run(tmp_path, "select", "--candidates", str(path), "--chance", "often")
    assert (word.returncode, word.stdout) == (2, "")
    assert "'often': expected a probability, like 0.1" in word.stderr
