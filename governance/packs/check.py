"""`verify-pack`: is a pack, byte for byte, what the ledger says, and is it as it was written?

Offline (the pack alone): every attached record re-hashes to its own hash, every page carries a
stamp, the stamps name the pack's record (one-record packs) or the newest record it covers (the
head, many-record packs) and a policy version of those records, and any signature is intact, valid
and covers the whole file, its update adding nothing but the signature. That proves a signed pack
is as its signer wrote it; an unsigned pack's pages prove nothing offline (anyone can draw over a
page and keep the attachment), so it is reported unverifiable.

Online (with the database): each attached record is the ledger's record at that sequence number,
byte for byte, and the file is the pack made again from the ledger (`remake`), byte for byte: for a
signed pack, its first revision (the bytes before the signature's update). A pack whose pages were
changed in any way fails, naming the page (or the byte) where it first differs.

With a signing key configured (`cert_path`), a pack must carry a signature that chains to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from governance.errors import GovernanceError
from governance.packs.reader import PackContents, read_pack
from governance.packs.remake import Remade, differing_pages, first_difference, identify, remake
from governance.record_layout import RECORD_FIELDS, rehash
from governance.signing import SignatureCheck, check_signatures, signature_update
from governance.store import Store
from models.records import RecordPayloadError
from models.tables import LedgerRow

__all__ = ["PackCheck", "check_pack", "sign_pack"]

# Offline, an unsigned pack's pages are not evidence of anything: this is what `verify-pack` says about one.
UNSIGNED_OFFLINE = (
    "an unsigned pack cannot be verified offline: its pages can be checked only against the ledger "
    "(run verify-pack without --offline)"
)


@dataclass
class PackCheck:
    """What `check_pack` found. `ok` only when nothing is wrong and the pack was verified (`unverifiable`
    says why it could not be: an unsigned pack offline, an audit extract of a ledger that has grown since)."""

    path: str
    title: str | None
    pages: int
    records: int
    head: str | None
    signatures: list[SignatureCheck] = field(default_factory=list)
    against_ledger: bool = False
    pack: str | None = None  # which pack it is ("gate 1 decision pack of P-2026-0007"), online
    remade: bool = False  # the file is the pack made again from the ledger, byte for byte
    unverifiable: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.unverifiable is None


def sign_pack(path: Path, moment: Any, key_path: Path, cert_path: Path) -> Path:
    """Sign a written pack in place (atomically): the signature is an incremental update of its bytes."""
    from governance.packs.render import signed_pdf, write_atomic

    signed = signed_pdf(path.read_bytes(), moment, (key_path, cert_path))
    with write_atomic(path) as handle:
        handle.write(signed)
    return path


def check_pack(
    path: Path, store: Store | None = None, cert_path: Path | None = None, *, expected: Remade | None = None
) -> PackCheck:
    """Check a pack against itself and its signature, and (with `store`) against the ledger and the pack
    made again from it.

    `cert_path`: the configured signing certificate; the pack must then be signed with its key.
    `expected`: the pack made again already (`remake(store, identify(read_pack(path)))`), to check many
    files against one rendering (a few tenths of a second each); made here when not given.

    Raises:
        UnreadableFile: the file is not a pack that can be read (nothing was checked).
    """
    # Online, the comparison with the pack made again covers every page's stamp: the text is read (most of
    # the time a check takes) only when the pack is checked against itself.
    contents = read_pack(path, text=store is None)
    if not contents.stamps and (contents.title or "").startswith("Audit extract "):
        contents = read_pack(path)  # which extract it is depends on its first page (was replay run for it)
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
    unsigned = _check_signatures(path.read_bytes(), cert_path, result)
    if store is not None:
        result.against_ledger = True
        _check_records(store, by_seq, problems)
        if unsigned is not None and _compare_with_remade(
            store, contents, unsigned, int(newest["seq"]), expected, result
        ):
            return result
        if not contents.stamps:
            contents = read_pack(path)
    _check_stamps(contents, by_seq, newest, problems)
    if store is None and not result.signatures:
        result.unverifiable = UNSIGNED_OFFLINE
    return result


def _check_stamps(
    contents: PackContents, by_seq: dict[int, dict[str, Any]], newest: dict[str, Any], problems: list[str]
) -> None:
    versions = {r["policy_version"] for r in by_seq.values() if r.get("policy_version")}
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


def _check_signatures(data: bytes, cert_path: Path | None, result: PackCheck) -> bytes | None:
    """Check the signatures into `result`; return the bytes to compare with the pack made again (the whole
    file when unsigned, the first revision when signed), or None when the signature cannot be read."""
    problems = result.problems
    try:
        result.signatures = check_signatures(data, cert_path)
    except Exception as exc:  # noqa: BLE001 - a signature that cannot be read is a failed check
        problems.append(f"signature: cannot be validated ({exc})")
        return None
    for signature in result.signatures:
        if not signature.ok:
            what = "intact" if not signature.intact else ("valid" if not signature.valid else "covering the file")
            problems.append(f"signature {signature.field}: not {what}")
        elif cert_path is not None and not signature.trusted:
            problems.append(f"signature {signature.field}: not made with the configured signing key ({cert_path})")
    if not result.signatures:
        if cert_path is not None:
            problems.append(f"not signed, though packs are signed with the configured key ({cert_path})")
        return data
    try:
        unsigned, changes = signature_update(data)
    except Exception as exc:  # noqa: BLE001 - a revision history that cannot be read is a failed check
        problems.append(f"signature: its update cannot be read ({type(exc).__name__}: {str(exc)[:200]})")
        return None
    problems.extend(changes)
    return unsigned


def _check_records(store: Store, by_seq: dict[int, dict[str, Any]], problems: list[str]) -> None:
    """Each attached record against the ledger's record at its sequence number."""
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


def _compare_with_remade(
    store: Store, contents: PackContents, data: bytes, newest: int, expected: Remade | None, result: PackCheck
) -> bool:
    """The file (a signed pack's first revision) against the pack made again from the ledger: whether they
    were compared (equal, or a problem naming the difference)."""
    problems = result.problems
    try:
        identity = identify(contents)
    except ValueError:  # a payload that is not its kind's (pydantic's ValidationError is a ValueError)
        identity = None
    if identity is None:
        problems.append("the pack is none this engine makes (no gate, quarter or audit pack): cannot re-render it")
        return False
    result.pack = identity.describe()
    if expected is None or expected.identity != identity:
        try:
            expected = remake(store, identity)
        except (GovernanceError, RecordPayloadError) as exc:  # a pack the ledger lacks, or an altered ledger
            problems.append(f"the ledger cannot make the {result.pack} again ({exc})")
            return False
    if data in expected.candidates:
        result.remade = True
        return True
    if identity.kind == "audit" and expected.ledger_head > newest:
        # Its chain verification shows the ledger of its day: the extract cannot be made as it was.
        if problems or not result.signatures:  # else the signature vouches for the file (checked above)
            result.unverifiable = (
                "an audit extract cannot be re-rendered once the ledger has grown (it shows the chain of its day): "
                "make it again to check it, or sign extracts"
            )
        return False
    # A gate pack may have been made before or after a supersession: name the difference to the nearer one.
    nearest = max(expected.candidates, key=lambda candidate: first_difference(data, candidate))
    problems.append(_difference(data, nearest))
    return True


def _difference(data: bytes, expected: bytes) -> str:
    """Where the file first differs from the pack made again: the pages that draw differently, or the byte."""
    offset = first_difference(data, expected)
    pages = differing_pages(data, expected)
    if pages:
        which = f"page {pages[0]}" if len(pages) == 1 else f"pages {', '.join(map(str, pages))}"
        verb = "differs" if len(pages) == 1 else "differ"
        return f"{which} {verb} from the pack re-rendered from the ledger (first difference at byte {offset})"
    return f"the file differs from the pack re-rendered from the ledger at byte {offset}"


def _rehash(record: dict[str, Any]) -> str | None:
    """The attached record's hash, or None when its fields are not what a record holds (an altered pack)."""
    try:
        return rehash(record)
    except (TypeError, AttributeError, ValueError):
        return None
