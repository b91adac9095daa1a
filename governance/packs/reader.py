"""Reading a pack back: metadata, the PDF/A marker, attachments, records, and each page's stamp.

`verify-pack` stands on this: it compares the records and stamps found here with the ledger (or,
offline, with each other and with each record's own hash).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from governance.errors import UnreadableFile

__all__ = ["PackContents", "PageStamp", "read_pack", "stamp_of"]

_RECORD = re.compile(r"Record (\d+) sha256 ([0-9a-f]{64})")
_HEAD = re.compile(r"Ledger head (\d+):([0-9a-f]{64})")
_POLICY = re.compile(r"Policy ([0-9a-f]*) \u00b7 page (\d+) of (\d+)")
_PDFA_PART = re.compile(rb'pdfaid:part="(\d)"')
_PDFA_CONFORMANCE = re.compile(rb'pdfaid:conformance="([A-Z])"')


@dataclass(frozen=True, slots=True)
class PageStamp:
    """What the foot of one page says: `kind` is "record" (one record's hash) or "head" (SEQ:HASH)."""

    kind: str
    seq: int
    hash: str
    policy_version: str
    page: int
    pages: int


@dataclass
class PackContents:
    path: Path
    title: str | None
    author: str | None
    creation_date: str | None
    modification_date: str | None
    pdfa: str | None  # "3B" for PDF/A-3b, from the XMP metadata
    page_count: int
    attachments: dict[str, bytes] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    stamps: list[PageStamp | None] = field(default_factory=list)


def stamp_of(text: str) -> PageStamp | None:
    """The stamp in a page's text, or None when the page has none (or a garbled one)."""
    compact = re.sub(r"[ \t]+", " ", text)
    found = _RECORD.search(compact)
    kind = "record"
    if found is None:
        found = _HEAD.search(compact)
        kind = "head"
    policy = _POLICY.search(compact)
    if found is None or policy is None:
        return None
    return PageStamp(
        kind, int(found.group(1)), found.group(2), policy.group(1), int(policy.group(2)), int(policy.group(3))
    )


# The stamp is drawn in the page's bottom margin (style.css: 24 mm); text whose baseline is below this line
# is the foot. Read from there only, so that a proposal's own text saying "Record 1 sha256 ..." is not taken
# for the stamp.
FOOT_TOP_PT = 24 / 25.4 * 72 - 2


def _page_text(page: Any) -> tuple[str, str]:
    """A page's whole text, and the text of its foot."""
    foot: list[str] = []

    def visit(text: str, cm: Any, tm: Any, _font: Any, _size: Any) -> None:
        if text and tm[4] * cm[1] + tm[5] * cm[3] + cm[5] < FOOT_TOP_PT:  # the baseline's height on the page
            foot.append(text)

    return page.extract_text(visitor_text=visit) or "", "".join(foot)


def read_pack(path: Path, *, text: bool = True) -> PackContents:
    """Open a pack with pypdf and read everything `verify-pack` needs from it.

    Without `text`, the pages' text and stamps are not read (`pages` and `stamps` stay empty): reading them
    is most of the time this takes.

    Raises:
        UnreadableFile: the file cannot be read, is not a PDF pypdf can read (a damaged one raises any of
            several kinds of error inside pypdf), or its attached records are not JSON records.
    """
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.CRITICAL + 1)  # its warnings on a damaged file ("EOF marker not found"): ours say it
    try:
        contents = _read_pack(path, text)
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    except Exception as exc:
        raise UnreadableFile(
            f"{path}: not a readable decision pack ({type(exc).__name__}: {str(exc)[:200]}); nothing was checked"
        ) from exc
    finally:
        pypdf_log.setLevel(level)
    if not all(isinstance(r, dict) and isinstance(r.get("seq"), int) for r in contents.records):
        raise UnreadableFile(f"{path}: its attached ledger records are not records (altered); nothing was checked")
    return contents


def _read_pack(path: Path, text: bool) -> PackContents:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    info = reader.metadata
    pdfa = None
    root: Any = reader.trailer["/Root"]
    if "/Metadata" in root:
        xmp = root["/Metadata"].get_object().get_data()
        part, conformance = _PDFA_PART.search(xmp), _PDFA_CONFORMANCE.search(xmp)
        if part and conformance:
            pdfa = part.group(1).decode() + conformance.group(1).decode()
    attachments = {name: data[0] for name, data in reader.attachments.items() if data}
    records: list[dict[str, Any]] = []
    if "decision-record.json" in attachments:
        records = [json.loads(attachments["decision-record.json"])]
    elif "records.jsonl" in attachments:
        records = [json.loads(line) for line in attachments["records.jsonl"].decode().splitlines() if line]
    texts = [_page_text(page) for page in reader.pages] if text else []
    pages = [text for text, _ in texts]
    return PackContents(
        path=Path(path),
        title=info.title if info else None,
        author=info.author if info else None,
        creation_date=str(info.get("/CreationDate")) if info and info.get("/CreationDate") else None,
        modification_date=str(info.get("/ModDate")) if info and info.get("/ModDate") else None,
        pdfa=pdfa,
        page_count=len(reader.pages),
        attachments=attachments,
        records=records,
        pages=pages,
        stamps=[stamp_of(foot) for _, foot in texts],
    )
