"""The auditor's commands: verify, schema (file formats, record kinds); replay, export: tests/cli/test_review.py."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from models.records import RECORD_KINDS, record_schema

from ..commands import run
from ..conftest import EXAMPLES


def test_schema_export(tmp_path: Path) -> None:
    proposal = json.loads(run(tmp_path, "schema", "proposal").stdout)
    assert proposal["title"] == "Proposal"
    assert proposal["additionalProperties"] is False
    assert sorted(proposal["required"]) == sorted(
        [
            "reference",
            "title",
            "summary",
            "sponsor",
            "submitter",
            "bucket",
            "start_date",
            "end_date",
            "costs",
            "p_technical",
            "p_commercial",
        ]
    )
    policy = json.loads(run(tmp_path, "schema", "policy").stdout)
    assert policy["title"] == "Policy"


def test_every_record_kind_s_schema_is_its_payload_model_s(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda kind: run(tmp_path, "schema", "record", kind), RECORD_KINDS))
    for kind, result in zip(RECORD_KINDS, results, strict=True):
        assert (result.returncode, result.stderr) == (0, ""), kind
        assert json.loads(result.stdout) == record_schema(kind), kind
    assert json.loads(results[RECORD_KINDS.index("decided")].stdout)["title"] == "DecidedPayload"


_KINDS = (
    "policy-adopted, filed, screened, screened-out, amended, withdrawn, scored, recommended, decided, superseded, "
    "condition-closed, migrated, status-reported, review-proposed, selected, review-confirmed, reviewed"
)


def test_a_record_schema_needs_a_known_kind(tmp_path: Path) -> None:
    """Bad usage (typer's message, exit 2) naming the kinds; a file format takes no record kind."""
    wide = {"COLUMNS": "1000"}  # one line per message, whatever the terminal
    for args, message in (
        (("record",), f"name a record kind: {_KINDS}"),
        (("record", "noted"), f"'noted' is not one of {_KINDS}"),
        (("proposal", "decided"), "only `record` takes a record kind, not proposal"),
    ):
        result = run(tmp_path, "schema", *args, env=wide)
        assert (result.returncode, result.stdout) == (2, ""), args
        assert f"Invalid value for 'RECORD_KIND': {message}" in result.stderr, result.stderr


NO_KEY = (
    "Records not authenticated: no ledger key is configured (GOVERNANCE_LEDGER_KEY_FILE), so a record added or "
    "rewritten by hand, its hashes recomputed, would pass."
)


def test_tampered_ledger_fails_verify_naming_the_record(workdir: Path) -> None:
    import sqlite3

    ok = run(workdir, "verify", "--json")
    report = json.loads(ok.stdout)
    assert (ok.returncode, report["ok"], report["records"]) == (0, True, 1)
    con = sqlite3.connect(workdir / "governance.db")
    con.execute("DROP TRIGGER ledger_no_update")
    con.execute("UPDATE ledger SET recorded_by = 'mallory' WHERE seq = 1")
    con.commit()
    con.close()
    broken = run(workdir, "verify")
    assert (broken.returncode, broken.stderr.splitlines()) == (
        1,
        [
            f"  note: {NO_KEY}",
            "error[ledger-broken]: ledger does not verify: record 1: stored bytes do not match its hash (altered)",
        ],
    )
    cut = run(workdir, "verify", "--json", "--expect-head", f"2:{'A' * 12}")
    assert cut.returncode == 1
    assert json.loads(cut.stdout)["problems"] == [
        "record 1: stored bytes do not match its hash (altered)",
        "record 2: expected head is missing (the chain ends at 1)",
    ]


def test_expect_head_takes_the_prefix_a_screen_shows(workdir: Path) -> None:
    head = json.loads(run(workdir, "verify", "--json").stdout)["head"]
    seq, _, digest = head.partition(":")
    for noted in (digest[:12], digest[:12].upper(), digest):
        ok = run(workdir, "verify", "--expect-head", f"{seq}:{noted}")
        assert (ok.returncode, ok.stderr) == (0, ""), noted
    wrong = ("0" if digest[0] != "0" else "1") + digest[1:12]
    failed = run(workdir, "verify", "--expect-head", f"{seq}:{wrong}")
    assert (failed.returncode, failed.stderr.splitlines()) == (
        1,
        [
            f"  note: {NO_KEY}",
            f"error[ledger-broken]: ledger does not verify: record {seq}: hash differs from the expected head {wrong}",
        ],
    )
    wide = {"COLUMNS": "1000"}
    for value in (f"{seq}:{digest[:11]}", f"{seq}:{'z' * 12}", digest[:12]):
        refused = run(workdir, "verify", "--expect-head", value, env=wide)
        assert (refused.returncode, refused.stdout) == (2, ""), value
        assert (
            "Invalid value for '--expect-head': must be SEQ:HASH, the hash whole or its first 12 or more hex digits "
            f"(as screens show it), got {value!r}"
        ) in refused.stderr, refused.stderr


def test_an_auditor_opens_the_sqlite_file_read_only(workdir: Path) -> None:
    """`sqlite:///file:PATH?mode=ro&uri=true`: the audit commands read; a command that records is refused
    with one line and the file is left as it was (a relative PATH is the working folder's, as for any URL)."""
    import hashlib

    proposal = workdir / "one.yaml"
    proposal.write_text((EXAMPLES / "proposals" / "10-cloud-iot-core-platform.yaml").read_text(encoding="utf-8"))
    assert run(workdir, "submit", str(proposal)).returncode == 0
    writable = run(workdir, "verify")
    read_only = {"GOVERNANCE_DATABASE_URL": "sqlite:///file:governance.db?mode=ro&uri=true"}

    def database() -> str:
        return hashlib.sha256((workdir / "governance.db").read_bytes()).hexdigest()

    before = database()
    verified = run(workdir, "verify", env=read_only)
    assert (verified.returncode, verified.stdout, verified.stderr) == (0, writable.stdout, "")
    shown = run(workdir, "show", "P-2026-0001", env=read_only)
    assert (shown.returncode, shown.stderr) == (0, "")
    assert shown.stdout == run(workdir, "show", "P-2026-0001").stdout
    refused = run(workdir, "withdraw", "P-2026-0001", "--reason", "testing", env=read_only)
    url = f"sqlite:///file:{workdir / 'governance.db'}?mode=ro&uri=true"
    assert (refused.returncode, refused.stdout, refused.stderr.splitlines()) == (
        1,
        "",
        [
            f"error[store-unavailable]: the database {url} is opened read-only (mode=ro): this command records, "
            "so it needs GOVERNANCE_DATABASE_URL without mode=ro"
        ],
    )
    # The file's bytes as they were; a reader in WAL mode keeps SQLite's shared-memory index beside it, and
    # the write-ahead log stays empty.
    assert database() == before
    assert (workdir / "governance.db-wal").read_bytes() == b""
    assert not [p.name for p in workdir.iterdir() if p.name.startswith("file:")]  # no file made of the URL


def test_columns_that_are_not_utf8_are_named_not_a_traceback(workdir: Path) -> None:
    """SQLite keeps any bytes: a hand-edited record, subject or snapshot that is not UTF-8 is reported as
    altered, by record and snapshot, like any other change."""
    import sqlite3

    proposal = workdir / "one.yaml"
    proposal.write_text((EXAMPLES / "proposals" / "10-cloud-iot-core-platform.yaml").read_text(encoding="utf-8"))
    assert run(workdir, "submit", str(proposal)).returncode == 0
    con = sqlite3.connect(workdir / "governance.db")
    for (trigger,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        con.execute(f"DROP TRIGGER {trigger}")
    (snapshot,) = con.execute("SELECT key FROM snapshots ORDER BY key LIMIT 1").fetchone()
    con.execute("UPDATE ledger SET payload = CAST(X'7B2266223A22FF227D' AS TEXT) WHERE seq = 2")  # {"f":"\xff"}
    con.execute("UPDATE snapshots SET content = CAST(X'7B2266223A22FF227D' AS TEXT) WHERE key = ?", (snapshot,))
    con.commit()
    con.close()
    broken = run(workdir, "verify", "--json")
    assert (broken.returncode, broken.stderr) == (1, "")
    assert json.loads(broken.stdout)["problems"] == [
        "record 2: stored bytes do not match its hash (altered)",
        f"snapshot {snapshot}: content does not match its key (altered)",
    ]


def test_verify_pack_on_a_file_that_is_not_a_pack_says_so_in_one_line(workdir: Path) -> None:
    bad = workdir / "board-pack.pdf"
    bad.write_bytes(b"%PDF-1.7\n" + b"\x00" * 64)
    result = run(workdir, "verify-pack", str(bad))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith(f"error[input-refused]: {bad}: not a readable decision pack (")
    assert result.stderr.endswith("); nothing was checked\n") and result.stderr.count("\n") == 1
    missing = run(workdir, "verify-pack", str(workdir / "nowhere.pdf"))
    assert (missing.returncode, missing.stderr) == (
        1,
        f"error[not-found]: {workdir / 'nowhere.pdf'}: no such file\n",
    )


def test_the_ledger_key_seals_authenticates_and_names_a_record_the_engine_did_not_append(workdir: Path) -> None:
    """keys ledger, keys seal, records appended with MACs; a record inserted by hand is named with the key
    and passes without it (the note says why); a host without the key may not append any more."""
    import sqlite3

    from governance.ledger_key import read_key_file
    from governance.record_layout import key_id, rehash

    keyed = {"GOVERNANCE_HOME": str(workdir / ".governance")}
    made = run(workdir, "keys", "ledger", env=keyed)
    key_file = workdir / ".governance" / "keys" / "ledger.key"
    name = key_id(read_key_file(key_file))
    assert (made.returncode, made.stderr, oct(key_file.stat().st_mode & 0o777)) == (0, "", "0o600")
    assert made.stdout.splitlines() == [
        f"Ledger key {key_file} (private, mode 0600; key id {name}).",
        "Records appended with it from now on get a MAC. Keep it on the engine's hosts, never in the database; "
        "seal the records already there with `governance keys seal`.",
    ]
    again = run(workdir, "keys", "ledger", env=keyed)
    assert (again.returncode, again.stderr.splitlines()) == (
        1,
        [
            f"error[config-invalid]: a ledger key exists already at {key_file}: it is kept (records appended with "
            "it would no longer verify with another key)"
        ],
    )
    unsealed = run(workdir, "verify", env=keyed)
    assert (unsealed.returncode, unsealed.stderr.splitlines()) == (
        1,
        [
            "error[ledger-broken]: ledger does not verify: records 1-1 are not authenticated: none has a MAC "
            "(a ledger from before its key is sealed once with `governance keys seal`)"
        ],
    )
    sealed = run(workdir, "keys", "seal", env=keyed)
    assert sealed.returncode == 0, sealed.stderr
    assert sealed.stdout.startswith(f"Sealed records 1-1 with the ledger key {name} (head 1:")
    proposal = workdir / "one.yaml"
    proposal.write_text((EXAMPLES / "proposals" / "10-cloud-iot-core-platform.yaml").read_text(encoding="utf-8"))
    assert run(workdir, "submit", str(proposal), env=keyed).returncode == 0
    verified = run(workdir, "verify", env=keyed)
    assert (verified.returncode, verified.stdout.splitlines()[1]) == (
        0,
        f"Records authenticated with the ledger key {name}: 3 MAC(s) checked.",
    )

    con = sqlite3.connect(workdir / "governance.db")
    columns = [c[1] for c in con.execute("PRAGMA table_info(ledger)")]
    head = dict(zip(columns, con.execute("SELECT * FROM ledger WHERE seq = 3").fetchone(), strict=True))
    forged = dict(head, seq=4, record_id="forged", kind="condition-closed", subject="C-2026-0001-G1-1")
    forged.update(outcome="closed", inputs=None, prev_hash=head["hash"], payload='{"note":"forged"}')
    forged["hash"] = rehash(forged)
    con.execute(f"INSERT INTO ledger VALUES ({', '.join('?' * len(columns))})", [forged[c] for c in columns])
    con.commit()
    con.close()
    named = run(workdir, "verify", "--expect-head", f"4:{forged['hash']}", env=keyed)
    assert (named.returncode, named.stderr.splitlines()) == (
        1,
        [
            "error[ledger-broken]: ledger does not verify: record 4 was not appended by the engine (it has no MAC, "
            "though record 1 before it has one)",
        ],
    )
    elsewhere = {"GOVERNANCE_HOME": str(workdir / "no-key")}
    passes = run(workdir, "verify", env=elsewhere)
    assert (passes.returncode, passes.stdout.splitlines()[1]) == (
        0,
        NO_KEY.removesuffix(".") + "; 3 record(s) carry a MAC only the key can check.",
    )
    refused = run(workdir, "withdraw", "P-2026-0001", "--reason", "testing", env=elsewhere)
    assert (refused.returncode, refused.stderr.splitlines()) == (
        1,
        [
            "error[config-invalid]: the ledger is authenticated with a ledger key (record 3 has a MAC) and this "
            "process has none: set GOVERNANCE_LEDGER_KEY_FILE to the engine's key file; nothing was recorded"
        ],
    )


def test_export_xlsx_writes_the_portfolio_workbook(workdir: Path) -> None:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    target = workdir / "portfolio.xlsx"
    done = run(workdir, "export", "--format", "xlsx", "-o", str(target))
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        f"Exported the ranking, the selection, its frontier and the portfolio to {target}.\n",
        "",
    )
    first = target.read_bytes()
    assert run(workdir, "export", "--format", "xlsx", "-o", str(target)).returncode == 0
    assert target.read_bytes() == first  # the engine's clock, not the wall clock
    book = load_workbook(target)
    assert {ws.title: list(ws.iter_rows(values_only=True)) for ws in book} == {
        "Ranking": [
            ("rank", "id", "reference", "title", "bucket", "state", "gate", "score", "ECV (EUR)", "NPV (EUR)",
             "knocked out", "flags"),
        ],
        "Selection": [("selection",), ("no selection recorded yet (a quarterly review makes one)",)],
        "Frontier": [("frontier",), ("no selection recorded yet",)],
        "Portfolio": [
            ("id", "reference", "title", "bucket", "state", "sponsor", "score", "ECV (EUR)", "decision", "funded"),
        ],
    }  # fmt: skip
    assert book.properties.created.isoformat() == book.properties.modified.isoformat() == "2026-11-23T09:00:00"
