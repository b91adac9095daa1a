"""HTML to PDF/A-3b with WeasyPrint: reproducible bytes, records attached, atomic files, a process pool.

Reproducible: the same job gives the same bytes in any process, time zone or locale. The PDF's
dates come from the HTML (`dcterms.created`/`modified`, the record's time), attachments carry
explicit dates, and `SOURCE_DATE_EPOCH` (read by fontTools when it subsets fonts) is set to the
same moment for the render and restored after it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import glob
import multiprocessing
import os
import socket
import tempfile
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance.packs.fetcher import TEMPLATE_DIR, TemplateFetcher
from governance.packs.ua import stylesheet_for

__all__ = [
    "PDF_VARIANT",
    "PackAttachment",
    "PackJob",
    "layout_overflows",
    "layout_overlaps",
    "pack_stylesheet",
    "render_document",
    "render_many",
    "render_pdf",
    "signed_pdf",
    "source_date_epoch",
    "write_atomic",
    "write_pack",
]

PDF_VARIANT = "pdf/a-3b"
SIGNATURE_REASON = "Decision pack of the portfolio governance ledger"
# PDF/A-3 names how an attachment relates to the document: the records are what the pack was made from.
_RELATIONSHIP = "Source"
_ENV_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class PackAttachment:
    name: str
    data: bytes
    description: str


@dataclass(frozen=True, slots=True)
class PackJob:
    """Everything one pack needs, picklable for the pool: the HTML, where it goes, its moment, its files."""

    html: str
    path: Path
    moment: dt.datetime
    attachments: tuple[PackAttachment, ...] = ()


@contextlib.contextmanager
def source_date_epoch(moment: dt.datetime) -> Iterator[None]:
    """Set `SOURCE_DATE_EPOCH` to `moment` for the block, then put back what was there."""
    if moment.tzinfo is None:
        raise ValueError("a pack's moment must be timezone-aware")
    with _ENV_LOCK:
        before = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
        try:
            yield
        finally:
            if before is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = before


@functools.cache
def pack_stylesheet() -> Any:
    """report_templates/style.css, parsed once per process (WeasyPrint's CSS object is read, never changed)."""
    from weasyprint import CSS

    path = TEMPLATE_DIR / "style.css"
    return CSS(string=path.read_text(encoding="utf-8"), base_url=path.as_uri(), url_fetcher=TemplateFetcher())


@functools.cache
def _pack_html() -> Any:
    from weasyprint import HTML

    class PackHTML(HTML):  # type: ignore[misc]  # weasyprint ships no type hints
        """HTML styled with the user-agent rules that can apply to it (see governance.packs.ua)."""

        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return stylesheet_for(self.etree_element, super()._ua_stylesheets(forms))

    return PackHTML


@functools.cache
def _font_config() -> Any:
    """One font configuration per process: packs declare no @font-face, so it only caches the
    system fonts they use (a gate pack renders about 6% faster; the bytes are the same)."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def render_document(html: str, fetcher: TemplateFetcher | None = None) -> Any:
    """Lay out `html` with the pack stylesheet (relative URLs resolve in report_templates/) and
    return WeasyPrint's Document."""
    fetcher = fetcher if fetcher is not None else TemplateFetcher()
    base = TEMPLATE_DIR.as_uri() + "/"
    return _pack_html()(string=html, base_url=base, url_fetcher=fetcher).render(
        pdf_variant=PDF_VARIANT, stylesheets=[pack_stylesheet()], font_config=_font_config()
    )


def _attachments(job: PackJob, fetcher: TemplateFetcher) -> list[Any]:
    from weasyprint import Attachment

    moment = job.moment.astimezone(dt.UTC)
    return [
        Attachment(
            string=a.data,
            name=a.name,
            description=a.description,
            created=moment,
            modified=moment,
            relationship=_RELATIONSHIP,
            url_fetcher=fetcher,
        )
        for a in job.attachments
    ]


def render_pdf(
    job: PackJob, fetcher: TemplateFetcher | None = None, target: Any = None, *, document: Any = None
) -> bytes | None:
    """Render `job` as PDF/A-3b: its bytes, or into `target` (a binary file object) when given.

    `document` is `render_document(job.html)` when the caller has laid it out already (to check it).
    """
    fetcher = fetcher if fetcher is not None else TemplateFetcher()
    with source_date_epoch(job.moment):
        if document is None:
            document = render_document(job.html, fetcher)
        result: bytes | None = document.write_pdf(
            target, pdf_variant=PDF_VARIANT, attachments=_attachments(job, fetcher)
        )
    return result


@contextlib.contextmanager
def write_atomic(path: Path) -> Iterator[Any]:
    """A binary file that appears under `path` only once complete (temp file, fsync, rename).

    If the block raises, the temporary file is removed and whatever was under `path` stays as it was.
    A process killed with -9 cannot remove its temporary file: the next write of the same `path` removes
    those of this host's processes that no longer run (the temp file's name holds host and pid).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{_temp_prefix(path)}{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # not every file system lets a folder be opened for fsync
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _temp_prefix(path: Path) -> str:
    return f".{path.name}.{socket.gethostname()}."


def _remove_stale_temps(path: Path) -> None:
    """The temporary files of `path` left by processes of this host that have ended (killed before their rename)."""
    prefix = _temp_prefix(path)
    for stale in path.parent.glob(f"{glob.escape(prefix)}*.tmp"):
        pid = stale.name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            stale.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True


def signed_pdf(data: bytes, moment: dt.datetime, signing: tuple[Path, Path]) -> bytes:
    """`data` (a rendered pack) signed with `signing`, key and certificate PEM files, at the pack's moment."""
    from governance.signing import sign_pdf

    return sign_pdf(data, signing[0], signing[1], moment, SIGNATURE_REASON)


def write_pack(
    job: PackJob,
    fetcher: TemplateFetcher | None = None,
    *,
    document: Any = None,
    signing: tuple[Path, Path] | None = None,
) -> Path:
    """Render `job`, signed with `signing` (key and certificate PEM files) when given, and write it atomically
    to `job.path`. Returns the path.

    A signed pack is signed before its file appears: a crash between rendering and signing must not leave
    an unsigned pack under the pack's name (issue 12: kill -9 trials of `governance pack`).
    """
    if signing is None:
        with write_atomic(job.path) as handle:
            render_pdf(job, fetcher, handle, document=document)
        return job.path
    data = render_pdf(job, fetcher, document=document)
    assert data is not None  # no target: the bytes
    signed = signed_pdf(data, job.moment, signing)
    with write_atomic(job.path) as handle:
        handle.write(signed)
    return job.path


def _render_job(job: PackJob, signing: tuple[Path, Path] | None = None) -> str:
    return str(write_pack(job, signing=signing))


def render_many(
    jobs: Sequence[PackJob],
    *,
    workers: int | None = None,
    max_tasks_per_child: int = 50,
    signing: tuple[Path, Path] | None = None,
) -> list[Path]:
    """Render many packs in a spawned process pool (each worker recycled after `max_tasks_per_child`), each
    signed with `signing` when given.

    Results come back in the order of `jobs`. With one job, or `workers=1`, it renders in this process.
    """
    if not jobs:
        return []
    count = min(workers or os.cpu_count() or 1, len(jobs))
    if count <= 1:
        return [write_pack(job, signing=signing) for job in jobs]
    context = multiprocessing.get_context("spawn")
    # Workers are recycled by giving each batch a fresh pool: ProcessPoolExecutor's own
    # `max_tasks_per_child` deadlocked here (Python 3.11) once the first workers retired.
    batch = count * max_tasks_per_child
    render = functools.partial(_render_job, signing=signing)
    paths: list[Path] = []
    for start in range(0, len(jobs), batch):
        with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
            paths.extend(Path(p) for p in pool.map(render, jobs[start : start + batch], chunksize=1))
    return paths


def layout_overflows(document: Any, tolerance: float = 0.5) -> list[str]:
    """Every box that runs past its page's content area (margin boxes: past the page), from the layout.

    Returns one line per offending box (page number, box type, a bit of its text); empty when
    everything fits.
    """
    from weasyprint.formatting_structure import boxes

    problems: list[str] = []
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        area = (
            page_box.content_box_x(),
            page_box.content_box_y(),
            page_box.content_box_x() + page_box.width,
            page_box.content_box_y() + page_box.height,
        )
        whole = (0.0, 0.0, page_box.margin_width(), page_box.margin_height())
        for child in page_box.children:
            limits = whole if isinstance(child, boxes.MarginBox) else area
            for box in child.descendants():
                x0, y0 = box.border_box_x(), box.border_box_y()
                x1, y1 = x0 + box.border_width(), y0 + box.border_height()
                if (
                    x0 < limits[0] - tolerance
                    or y0 < limits[1] - tolerance
                    or x1 > limits[2] + tolerance
                    or y1 > limits[3] + tolerance
                ):
                    text = getattr(box, "text", "") or ""
                    problems.append(
                        f"page {number}: {type(box).__name__} {box.element_tag or ''} {text[:40]!r} at "
                        f"({x0:.1f},{y0:.1f})-({x1:.1f},{y1:.1f}) outside ({limits[0]:.1f},{limits[1]:.1f})-"
                        f"({limits[2]:.1f},{limits[3]:.1f})"
                    )
    return problems


def layout_overlaps(document: Any, tolerance: float = 0.5) -> list[str]:
    """Every pair of pieces of text drawn over one another on a page, from the layout.

    Returns one line per pair (page number, both texts' beginnings); empty when no text overlaps.
    A sweep down each page keeps it linear in practice: only text still level with the current
    piece is compared with it.
    """
    from weasyprint.formatting_structure import boxes

    problems: list[str] = []
    for number, page in enumerate(document.pages, start=1):
        pieces = sorted(
            (
                (box.position_y, box.position_y + box.height, box.position_x, box.position_x + box.width, box.text)
                for box in page._page_box.descendants()
                if isinstance(box, boxes.TextBox) and box.text.strip() and box.width > 0 and box.height > 0
            ),
            key=lambda piece: piece[0],
        )
        level: list[tuple[float, float, float, float, str]] = []
        for piece in pieces:
            y0, _, x0, x1, text = piece
            level = [other for other in level if other[1] > y0 + tolerance]
            for _, _, ox0, ox1, other_text in level:
                if ox0 < x1 - tolerance and x0 < ox1 - tolerance:
                    problems.append(f"page {number}: {other_text[:30]!r} and {text[:30]!r} overlap")
            level.append(piece)
    return problems
