"""verify-pack's checks (`governance.packs.check`): a pack against itself, its signature and the ledger."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from governance.packs import PackAttachment, gate_job, write_pack
from governance.packs.check import UNSIGNED_OFFLINE, check_pack, sign_pack
from governance.signing import init_keys
from governance.store import Store

from .test_packs import build_gate_db


@pytest.fixture(scope="module")
def gate_db(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return build_gate_db(tmp_path_factory.mktemp("gate-db"))


def test_a_pack_as_written_checks_out_offline_and_against_the_ledger(gate_db: Store, tmp_path: Path) -> None:
    path = write_pack(gate_job(gate_db, "P-2026-0001", 1, tmp_path))
    offline = check_pack(path)  # unsigned: nothing wrong with it, but nothing proven either
    assert (offline.problems, offline.against_ledger, offline.records, offline.signatures) == ([], False, 1, [])
    assert (offline.ok, offline.unverifiable) == (False, UNSIGNED_OFFLINE)
    online = check_pack(path, gate_db)
    assert (online.ok, online.against_ledger, online.remade, online.problems) == (True, True, True, [])
    assert online.head is not None and online.head.startswith(f"{json.loads(_attached(path))['seq']}:")


def _attached(path: Path) -> bytes:
    from governance.packs import read_pack

    return read_pack(path).attachments["decision-record.json"]


def test_a_forged_attachment_is_caught_offline(gate_db: Store, tmp_path: Path) -> None:
    job = gate_job(gate_db, "P-2026-0001", 1, tmp_path)
    record = json.loads(job.attachments[0].data)
    record["payload"] = record["payload"].replace('"go"', '"kill"', 1)
    forged = dataclasses.replace(
        job, attachments=(PackAttachment("decision-record.json", json.dumps(record).encode(), "forged"),)
    )
    path = write_pack(forged)
    result = check_pack(path)
    assert result.problems == [f"record {record['seq']}: the attached record does not re-hash to its hash (altered)"]


def test_a_stamp_of_another_record_is_caught(gate_db: Store, tmp_path: Path) -> None:
    job = gate_job(gate_db, "P-2026-0001", 1, tmp_path)
    record = json.loads(job.attachments[0].data)
    other = job.html.replace(record["hash"], "f" * 64)
    path = write_pack(dataclasses.replace(job, html=other))
    result = check_pack(path)
    assert result.problems and all(p.endswith("is not the attached record") for p in result.problems)
    assert len(result.problems) == result.pages


def test_signed_packs_check_their_signature(gate_db: Store, tmp_path: Path) -> None:
    key, cert = init_keys(tmp_path / "keys", "Nordwind GmbH", dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    job = gate_job(gate_db, "P-2026-0001", 1, tmp_path)
    path = sign_pack(write_pack(job), job.moment, key, cert)
    [signature] = check_pack(path, gate_db, cert).signatures
    assert (signature.ok, signature.trusted) == (True, True)
    data = bytearray(path.read_bytes())
    data[data.index(b"/Producer") + 3] ^= 1
    path.write_bytes(bytes(data))
    assert "signature GovernanceSignature: not intact" in check_pack(path, gate_db, cert).problems


def test_a_stamp_written_in_the_page_s_text_is_not_taken_for_the_stamp(gate_db: Store, tmp_path: Path) -> None:
    """Text in the body that reads like a stamp (a submitter may write anything in a summary) is not the
    stamp: the stamp is read from the page's foot. (Offline: online, this pack is not the one the ledger
    makes, and fails as such.)"""
    job = gate_job(gate_db, "P-2026-0001", 1, tmp_path)
    fake = f"<p>Record 1 sha256 {'0' * 64}</p><p>Ledger head 1:{'0' * 64}</p>"
    path = write_pack(dataclasses.replace(job, html=job.html.replace("<body>", f"<body>{fake}", 1)))
    result = check_pack(path)
    assert (result.problems, result.unverifiable) == ([], UNSIGNED_OFFLINE)
    from governance.packs import read_pack

    contents = read_pack(path)
    assert f"Record 1 sha256 {'0' * 64}" in contents.pages[0]
    seq = int(str(result.head).split(":")[0])
    assert seq != 1
    assert [(s.kind, s.seq) if s else None for s in contents.stamps] == [("record", seq)] * contents.page_count
