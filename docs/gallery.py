"""Make the docs gallery: the demo's packs, one PNG per kind of page, under docs/gallery/.

    python docs/gallery.py          (or `make gallery`, which installs pdftoppm where it can)

Runs `governance demo` in a temporary folder with the fixed clock and id seed the tests use, finds
each kind of page by its text and renders it with pdftoppm (poppler-utils) at a small resolution.
The same demo gives the same pages, so the PNGs only change when the packs do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "gallery"
RESOLUTION = "50"

# (file name, pack, text that marks the page, what the page is)
PAGES = (
    ("board-dashboard", "board-pack-2026Q4.pdf", "value of the funded portfolio", "Board pack: the one-page dashboard"),
    ("board-lists", "board-pack-2026Q4.pdf", "Funded:", "Board pack: the funded and left-out lists"),
    ("board-frontier", "board-pack-2026Q4.pdf", "Efficient frontier", "Board pack: the efficient frontier"),
    ("board-bubbles", "board-pack-2026Q4.pdf", "Risk and value of every candidate", "Board pack: risk and value"),
    ("board-risk", "board-pack-2026Q4.pdf", "Portfolio risk: the selection", "Board pack: the selection simulated"),
    (
        "board-benefits",
        "board-pack-2026Q4.pdf",
        "Benefits: promised at go",
        "Board pack: benefits promised and realised",
    ),
    ("board-project", "board-pack-2026Q4.pdf", "Facts of the quarter", "Board pack: a project page with its trends"),
    ("gate-pack", "P-2026-0007-gate1-decision.pdf", "Score card", "Gate decision pack: first page"),
    ("gate-pack-decision", "P-2026-0007-gate1-decision.pdf", "Votes", "Gate decision pack: the board's decision"),
    ("audit-extract", "audit-2026-11-23-2026-11-23.pdf", "at a glance", "Audit extract: verification and replay"),
)


def _demo(folder: Path) -> Path:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVERNANCE_", "PREFECT_"))}
    env.update(
        COLUMNS="100",
        GOVERNANCE_CLOCK_START="2026-11-23T09:00:00Z",
        GOVERNANCE_ID_SEED="demo",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
    )
    command = [sys.executable, "-c", "from cli.app import main; main()", "demo"]
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        sys.exit(f"governance demo failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return folder / "out"


def _page(pdf: Path, marker: str) -> int:
    for number, page in enumerate(PdfReader(pdf).pages, start=1):
        if marker in (page.extract_text() or ""):
            return number
    sys.exit(f"{pdf.name}: no page with {marker!r}")


def main() -> None:
    if shutil.which("pdftoppm") is None:
        sys.exit("pdftoppm not found: install poppler-utils (apt-get install poppler-utils), or run `make gallery`")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gallery-") as tmp:
        packs = _demo(Path(tmp))
        for name, pack, marker, _ in PAGES:
            pdf = packs / pack
            n = str(_page(pdf, marker))
            target = OUT / name
            subprocess.run(
                ["pdftoppm", "-r", RESOLUTION, "-png", "-singlefile", "-f", n, "-l", n, str(pdf), str(target)],
                check=True,
            )
            print(f"{target.relative_to(ROOT)}.png: {pack} page {n}")


if __name__ == "__main__":
    main()
