"""PDF decision packs: gate pre-read and decision pack, quarterly board pack, audit extract, and the
comparison of saved scenarios.

Data comes from the ledger (`data`), HTML from Jinja2 templates in report_templates/
(`templates`), PDF/A-3b from WeasyPrint through a fetcher that reads only that folder
(`render`, `fetcher`); `reader` opens a pack again for `verify-pack`, `remake` makes it again from the
ledger to compare byte for byte (`check`).

Attachments: a one-record pack embeds `decision-record.json` (one JSON object), a many-record
pack `records.jsonl` (one object per line); each object holds a ledger record's stored columns
(`data.RECORD_FIELDS`). Every page's foot reads `Record SEQ sha256 HASH` (one record) or
`Ledger head SEQ:HASH` (many: the newest record covered), then `Policy VERSION · page N of M`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from governance.packs.data import (
    RECORD_FIELDS,
    PackContent,
    Replay,
    audit_content,
    gate_content,
    quarter_content,
    record_json,
    record_object,
    records_jsonl,
)
from governance.packs.fetcher import TEMPLATE_DIR, FetchRefused, TemplateFetcher
from governance.packs.reader import PackContents, PageStamp, read_pack, stamp_of
from governance.packs.render import (
    PDF_VARIANT,
    PackAttachment,
    PackJob,
    layout_overflows,
    layout_overlaps,
    render_document,
    render_many,
    render_pdf,
    write_pack,
)
from governance.packs.templates import environment
from governance.store import Store

__all__ = [
    "PDF_VARIANT",
    "RECORD_FIELDS",
    "TEMPLATE_DIR",
    "FetchRefused",
    "PackAttachment",
    "PackContents",
    "PackJob",
    "PageStamp",
    "Replay",
    "TemplateFetcher",
    "audit_job",
    "audit_pack",
    "gate_job",
    "gate_pack",
    "job_for",
    "layout_overflows",
    "layout_overlaps",
    "quarter_job",
    "quarter_pack",
    "read_pack",
    "record_object",
    "render_document",
    "render_many",
    "render_pdf",
    "scenarios_job",
    "stamp_of",
    "write_pack",
    "write_packs",
]


def job_for(content: PackContent, out_dir: Path) -> PackJob:
    """Render a pack's HTML and name its attachment; the PDF is made by `write_pack` or `render_many`."""
    html = environment().get_template(content.template).render(**content.context)
    if content.many:
        attachment = PackAttachment(
            "records.jsonl", records_jsonl(content.records), f"{len(content.records)} ledger records, one per line"
        )
    else:
        record = content.records[0]
        attachment = PackAttachment("decision-record.json", record_json(record), f"ledger record {record.seq}")
    return PackJob(html, Path(out_dir) / content.file_name, content.stamp.recorded_at, (attachment,))


def gate_job(store: Store, proposal_id: str, gate: int, out_dir: Path, *, pre_read: bool = False) -> PackJob:
    with store.read() as conn:
        content = gate_content(conn, proposal_id, gate, pre_read=pre_read)
    return job_for(content, out_dir)


def gate_pack(store: Store, proposal_id: str, gate: int, out_dir: Path, *, pre_read: bool = False) -> Path:
    """Write the gate decision pack (or, with `pre_read`, the board's pre-read) and return its path.

    Raises:
        NotFoundError: no such proposal, no recommendation at that gate, or (not pre-read) no decision.
    """
    return write_pack(gate_job(store, proposal_id, gate, out_dir, pre_read=pre_read))


def quarter_job(store: Store, quarter: str, out_dir: Path) -> PackJob:
    with store.read() as conn:
        content = quarter_content(conn, quarter)
    return job_for(content, out_dir)


def quarter_pack(store: Store, quarter: str, out_dir: Path) -> Path:
    """Write the quarterly board pack (`board-pack-2026Q4.pdf`) and return its path.

    Raises:
        NotFoundError: no review was proposed for the quarter.
    """
    return write_pack(quarter_job(store, quarter, out_dir))


def scenarios_job(store: Store, names: Sequence[str], out_dir: Path) -> PackJob:
    """The comparison of saved scenarios (governance.packs.scenarios) as a job for `write_packs`."""
    from governance.packs.scenarios import scenarios_content

    return job_for(scenarios_content(store, names), out_dir)


def audit_job(store: Store, since: dt.date, until: dt.date, out_dir: Path, replay: Replay | None = None) -> PackJob:
    return job_for(audit_content(store, since, until, replay), out_dir)


def audit_pack(store: Store, since: dt.date, until: dt.date, out_dir: Path, replay: Replay | None = None) -> Path:
    """Write the audit extract for `since`..`until` (UTC dates, inclusive) and return its path.

    `replay(record)` gives each record's replay result (a GovernanceError it raises is shown as the
    result); without it the column says "not run".

    Raises:
        NotFoundError: no record in the period.
    """
    return write_pack(audit_job(store, since, until, out_dir, replay))


def write_packs(jobs: list[PackJob], signing: tuple[Path, Path] | None = None) -> list[Path]:
    """Render the jobs (a process pool when there are several), each signed with `signing` (key and
    certificate PEM files) before its file appears, when given. Returns the packs' paths, in the jobs' order."""
    return render_many(jobs, signing=signing)
