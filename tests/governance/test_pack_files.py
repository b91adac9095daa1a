"""A pack file appears only whole and, with a signing key, only signed; a crash's temporary files are swept.

Found by the kill -9 trials of `governance pack` (tests/crash): a kill between rendering and signing left
the unsigned pack under the pack's name, and a kill mid-write left `.NAME.XXXX.tmp` in the output folder
for ever.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from governance.packs import PackJob, render
from governance.packs.render import signed_pdf, write_pack
from governance.signing import init_keys

WHEN = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)


def _job(folder: Path) -> PackJob:
    return PackJob(html="<h1>Quarterly board pack</h1>", path=folder / "board-pack-2026Q3.pdf", moment=WHEN)


def test_a_signed_pack_is_written_once_signed(tmp_path: Path) -> None:
    keys = init_keys(tmp_path / "keys", "Nordwind GmbH", WHEN)
    job = _job(tmp_path / "out")
    unsigned = render.render_pdf(job)
    assert unsigned is not None
    assert write_pack(job, signing=keys) == job.path
    assert job.path.read_bytes() == signed_pdf(unsigned, WHEN, keys)
    assert [p.name for p in job.path.parent.iterdir()] == [job.path.name]


def test_no_unsigned_pack_appears_when_signing_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(data: bytes, moment: dt.datetime, signing: tuple[Path, Path]) -> bytes:
        raise RuntimeError("the process dies here")

    monkeypatch.setattr(render, "signed_pdf", fail)
    job = _job(tmp_path)
    with pytest.raises(RuntimeError):
        write_pack(job, signing=(tmp_path / "key.pem", tmp_path / "cert.pem"))
    assert list(tmp_path.iterdir()) == []


def test_the_next_write_sweeps_temporary_files_of_ended_processes_only(tmp_path: Path) -> None:
    job = _job(tmp_path)
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    prefix = f".{job.path.name}.{socket.gethostname()}."
    dead = tmp_path / f"{prefix}{int(ended.stdout)}.k2j4x9.tmp"
    live = tmp_path / f"{prefix}{os.getpid()}.a8b7c6.tmp"  # a write under way in a running process
    other = tmp_path / f".audit-2026-11-23-2026-11-23.pdf.{socket.gethostname()}.{int(ended.stdout)}.q1w2e3.tmp"
    for path in (dead, live, other):
        path.write_bytes(b"%PDF-1.7 half")
    write_pack(job)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([job.path.name, live.name, other.name])
