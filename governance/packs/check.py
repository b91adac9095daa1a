"""`verify-pack`: does a pack say what the ledger says, and is it as it was written?

Offline (the pack alone): every attached record re-hashes to its own hash, every page carries a
stamp, the stamps name the pack's record (one-record packs) or the newest record it covers (the
head, many-record packs) and a policy version of those records, and any signature is intact, valid
and covers the whole file. Online (with the database): each attached record is the ledger's record
at that sequence number, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from governance.packs.reader import read_pack
from governance.record_layout import RECORD_FIELDS, rehash
from governance.signing import SignatureCheck, check_signatures
from governance.store import Store
from models.tables import LedgerRow

__all__ = ["PackCheck", "check_pack", "sign_pack"]


@dataclass
class PackCheck:
    path: str
    title: str | None
    pages: int
    records: int
    head: str | None
    signatures: list[SignatureCheck] = field(default_factory=list)
    against_ledger: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def sign_pack(path: Path, moment: Any, key_path: Path, cert_path: Path) -> Path:
    """Sign a written pack in place (atomically): the signature is an incremental update of its bytes."""
    from governance.packs.render import write_atomic
    from governance.signing import sign_pdf

    signed = sign_pdf(
        path.read_bytes(), key_path, cert_path, moment, "Decision pack of the portfolio governance ledger"
    )
    with write_atomic(path) as handle:
        handle.write(signed)
    return path


def check_pack(path: Path, store: Store | None = None, cert_path: Path | None = None) -> PackCheck:
    """Check a pack against itself and its signature, and (with `store`) against the ledger."""
    contents = read_pack(path)
    records = contents.records
    result = PackCheck(str(path), contents.title, contents.page_count, len(records), None)
    problems = result.problems
    if not records:
        problems.append("the pack has no attached ledger record")
        return result
    by_seq = {int(r["seq"]): r for r in records}
    incomplete = False
    for r in records:
        missing = [f for f in RECORD_FIELDS if f not in r]
        incomplete = incomplete or bool(missing)
        if missing:
            problems.append(f"record {r.get('seq')}: the attachment lacks {', '.join(missing)}")
        elif _rehash(r) != r["hash"]:
            problems.append(f"record {r['seq']}: the attached record does not re-hash to its hash (altered)")
    if incomplete:
        return result  # nothing else can be read from a record without its fields
    newest = by_seq[max(by_seq)]
    result.head = f"{newest['seq']}:{newest['hash']}"
    versions = {r["policy_version"] for r in records if r.get("policy_version")}
    for number, stamp in enumerate(contents.stamps, start=1):
        if stamp is None:
            problems.append(f"page {number}: no record stamp")
            continue
        if stamp.kind == "record" and (stamp.seq not in by_seq or by_seq[stamp.seq]["hash"] != stamp.hash):
            problems.append(
                f"page {number}: its stamp (record {stamp.seq} {stamp.hash[:12]}) is not the attached record"
            )
        if stamp.kind == "head" and (stamp.seq, stamp.hash) != (newest["seq"], newest["hash"]):
            problems.append(f"page {number}: its head {stamp.seq}:{stamp.hash[:12]} is not the newest attached record")
        if versions and stamp.policy_version not in versions:
            problems.append(f"page {number}: its policy {stamp.policy_version[:12]} is no attached record's policy")
    data = path.read_bytes()
    try:
        result.signatures = check_signatures(data, cert_path)
    except Exception as exc:  # noqa: BLE001 - a signature that cannot be read is a failed check
        problems.append(f"signature: cannot be validated ({exc})")
    for signature in result.signatures:
        if not signature.ok:
            what = "intact" if not signature.intact else ("valid" if not signature.valid else "covering the file")
            problems.append(f"signature {signature.field}: not {what}")
    if store is not None:
        result.against_ledger = True
        with store.read() as conn:
            stored = {
                int(row.seq): row
                for start in range(0, len(by_seq), 500)
                for row in conn.execute(select(LedgerRow).where(LedgerRow.seq.in_(sorted(by_seq)[start : start + 500])))
            }
        for seq in sorted(by_seq):
            row = stored.get(seq)
            if row is None:
                problems.append(f"record {seq}: not in the ledger")
                continue
            ledger = {f: getattr(row, f) for f in RECORD_FIELDS}
            attached = by_seq[seq]
            differ = [f for f in RECORD_FIELDS if str(ledger[f]) != str(attached.get(f))]
            if differ:
                problems.append(f"record {seq}: differs from the ledger in {', '.join(differ)}")
            elif rehash(ledger) != row.hash:
                problems.append(f"record {seq}: the ledger's stored bytes do not match its hash (altered)")
    return result


def _rehash(record: dict[str, Any]) -> str | None:
    """The attached record's hash, or None when its fields are not what a record holds (an altered pack)."""
    try:
        return rehash(record)
    except (TypeError, AttributeError, ValueError):
        return None
