"""Making a pack again from the ledger, for `verify-pack` to compare with the file byte for byte.

Packs are reproducible (`render`): the same ledger gives the same bytes. Which pack a file is, is
read from what the pack holds already, so packs written before this check can be checked too:

- a gate pack attaches its one record: a `decided` record (the decision pack) or a `recommended` one
  (the pre-read), about the proposal, with the gate in its payload;
- a quarterly board pack attaches the quarter's records, among them the `review-proposed` record
  about `Q-<quarter>`; the newest attached record was the newest the pack could cover;
- an audit extract names its period in its title (`Audit extract <since> to <until>`) and says on
  its first page when replay was not run for it.

A pack made again "as of" a record is the pack as it was when that record was the ledger's newest,
so a pack written before a later supersession or review still compares equal. An audit extract
shows the chain verification of the whole ledger of its day: once the ledger has grown, it cannot
be made again (`remake` says so, `check` reports it as unverifiable unless a signature vouches).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance.packs.reader import PackContents
from governance.store import Store
from models.records import DecidedPayload, RecommendedPayload, SupersededPayload

__all__ = ["PackIdentity", "Remade", "differing_pages", "first_difference", "identify", "remake"]

_AUDIT_TITLE = re.compile(r"Audit extract (\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True, slots=True)
class PackIdentity:
    """Which pack a file is: its kind ("gate", "pre-read", "quarter", "audit") and what it was made for."""

    kind: str
    subject: str  # the proposal id, the quarter (2026Q4), or the audit period (2026-10-01..2026-12-31)
    gate: int | None = None
    main_seq: int | None = None  # a gate pack's record; a board pack's newest record
    replayed: bool = True  # an audit extract: was replay run for it

    def describe(self) -> str:
        if self.kind in ("gate", "pre-read"):
            return f"gate {self.gate} {'pre-read' if self.kind == 'pre-read' else 'decision pack'} of {self.subject}"
        return f"{'quarterly board pack' if self.kind == 'quarter' else 'audit extract'} {self.subject}"


@dataclass(frozen=True, slots=True)
class Remade:
    """The pack made again: the bytes it may have, one per ledger state it may have been made in (a gate
    pack before and after each later supersession), and the ledger's newest record now."""

    identity: PackIdentity
    candidates: tuple[bytes, ...]
    ledger_head: int


def identify(contents: PackContents) -> PackIdentity | None:
    """Which pack `contents` is, from its attached records and title; None when it is none this engine makes.

    Raises:
        ValueError: the record or title that says which pack it is does not read as one (an altered pack).
    """
    records = contents.records
    if len(records) == 1 and "decision-record.json" in contents.attachments:
        record = records[0]
        if record.get("kind") == "decided":
            gate = DecidedPayload.model_validate_json(str(record["payload"])).gate
        elif record.get("kind") == "recommended":
            gate = RecommendedPayload.model_validate_json(str(record["payload"])).gate
        else:
            return None
        kind = "gate" if record["kind"] == "decided" else "pre-read"
        return PackIdentity(kind, str(record["subject"]), gate, int(record["seq"]))
    found = _AUDIT_TITLE.fullmatch(contents.title or "")
    if found is not None:
        first_page = re.sub(r"\s+", " ", contents.pages[0] if contents.pages else "")
        replayed = "Replay was not run for this extract." not in first_page
        since, until = (dt.date.fromisoformat(d) for d in found.groups())  # ValueError: not dates (altered)
        return PackIdentity("audit", f"{since}..{until}", replayed=replayed)
    proposed = [r for r in records if r.get("kind") == "review-proposed" and str(r.get("subject")).startswith("Q-")]
    if proposed:
        return PackIdentity("quarter", str(proposed[-1]["subject"])[2:], main_seq=max(int(r["seq"]) for r in records))
    return None


def remake(store: Store, identity: PackIdentity) -> Remade:
    """The pack `identity` made again from the ledger in `store`, unsigned, in this process.

    Raises:
        NotFoundError: the ledger has no such proposal, gate, quarter or period (the pack names one it lacks).
    """
    from governance.ledger import head, records_for
    from governance.packs import job_for
    from governance.packs.data import audit_content, gate_content, quarter_content
    from governance.packs.render import render_pdf
    from governance.replay import describe_replay

    here = Path()  # a job names a file; rendering to bytes writes none
    if identity.kind in ("gate", "pre-read"):
        assert identity.gate is not None and identity.main_seq is not None
        pre_read = identity.kind == "pre-read"
        with store.read() as conn:
            later = [
                r.seq
                for r in records_for(conn, identity.subject)
                if r.kind == "superseded" and r.body_as(SupersededPayload).superseded_seq == identity.main_seq
            ]
            # One pack per state the ledger may have been in: before each later supersession, and now.
            contents = [
                gate_content(conn, identity.subject, identity.gate, pre_read=pre_read, as_of=as_of)
                for as_of in [identity.main_seq, *later]
            ]
            newest = head(conn)[0]
    elif identity.kind == "quarter":
        with store.read() as conn:
            contents = [quarter_content(conn, identity.subject, as_of=identity.main_seq)]
            newest = head(conn)[0]
    else:
        since, until = (dt.date.fromisoformat(d) for d in identity.subject.split(".."))
        with contextlib.ExitStack() as stack:
            replay = stack.enter_context(describe_replay(store)) if identity.replayed else None
            contents = [audit_content(store, since, until, replay)]
        with store.read() as conn:
            newest = head(conn)[0]
    return Remade(identity, tuple(_bytes(render_pdf(job_for(c, here))) for c in contents), newest)


def _bytes(data: bytes | None) -> bytes:
    assert data is not None  # render_pdf without a target returns the bytes
    return data


def first_difference(actual: bytes, expected: bytes) -> int:
    """The offset of the first byte where `actual` and `expected` differ (the shorter one's length if one
    is the other's beginning)."""
    for offset, (a, b) in enumerate(zip(actual, expected, strict=False)):
        if a != b:
            return offset
    return min(len(actual), len(expected))


def differing_pages(actual: bytes, expected: bytes) -> list[int] | None:
    """The pages (1-based) whose drawing differs between two PDFs: their content streams or else their
    resources, as pypdf reads them. None when that cannot be told (a file pypdf cannot read, another count)."""
    import io
    import logging

    from pypdf import PdfReader

    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.CRITICAL + 1)
    try:
        mine, theirs = PdfReader(io.BytesIO(actual)), PdfReader(io.BytesIO(expected))
        if len(mine.pages) != len(theirs.pages):
            return None
        pairs = list(enumerate(zip(mine.pages, theirs.pages, strict=True), start=1))
        # Content first: pages share their resources (WeasyPrint writes one dictionary for all), so a font
        # added for an overlay on page 1 changes every page's resources but only page 1's content.
        drawn = [number for number, (a, b) in pairs if _content(a) != _content(b)]
        return drawn or [number for number, (a, b) in pairs if _resources(a) != _resources(b)]
    except Exception:  # noqa: BLE001 - a damaged file: the byte offset says where it differs
        return None
    finally:
        log.setLevel(level)


def _content(page: Any) -> bytes:
    contents = page.get_contents()
    return contents.get_data() if contents is not None else b""


def _resources(page: Any) -> str:
    return json.dumps(_plain(page.get("/Resources")))


def _plain(value: Any, depth: int = 0) -> Any:
    """A PDF object as plain data, streams as their bytes' length and hash (to compare two pages' resources)."""
    import hashlib

    if depth > 12:
        return "..."
    value = value.get_object() if hasattr(value, "get_object") else value
    if hasattr(value, "get_data"):
        return {"stream": hashlib.sha256(value.get_data()).hexdigest(), **_plain(dict(value), depth + 1)}
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in sorted(value.items()) if k != "/Parent"}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_plain(v, depth + 1) for v in value]
    return str(value)
