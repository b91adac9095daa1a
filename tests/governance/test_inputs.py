"""Submitted files stored in the database and read back by a flow (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from governance import inputs, intake
from governance.canonical import canonical_text, sha256_hex
from governance.errors import InputRefused, Problem
from governance.ledger import verify
from governance.policy import LoadedPolicy
from governance.sources import SubmittedFile
from governance.store import Store
from models.tables import SnapshotRow

from ..conftest import EXAMPLES, unguard


def _snapshots(store: Store) -> int:
    with store.read() as conn:
        return int(conn.scalar(select(func.count()).select_from(SnapshotRow)) or 0)


def test_files_read_here_come_back_from_the_database_by_reference(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "proposals"
    shutil.copytree(EXAMPLES / "proposals", folder)
    single = tmp_path / "extra.yaml"
    single.write_text("reference: X-1\n", encoding="utf-8")
    read = inputs.read_here([folder, str(single)])
    names = sorted(p.name for p in folder.iterdir() if p.suffix in {".yaml", ".json", ".csv"})
    assert [str(f) for f in read] == [str(folder / n) for n in names] + [str(single)]
    assert all(isinstance(f, SubmittedFile) for f in read)

    refs = inputs.stash(store, read)
    expected_keys = [
        sha256_hex(canonical_text({"input": "file", "name": Path(str(f)).name, "text": Path(str(f)).read_text()}))
        for f in read
    ]
    assert refs == [f"input:{k}" for k in expected_keys]
    shutil.rmtree(folder)  # the flow's host has no copy of the files
    single.unlink()
    # Named without the submitter's folder, which means nothing where the flow runs.
    texts = [f.text for f in read if isinstance(f, SubmittedFile)]
    assert inputs.resolve(store, refs) == [
        SubmittedFile(n, t) for n, t in zip([*names, "extra.yaml"], texts, strict=True)
    ]
    assert inputs.stash(store, read) == refs  # the same files again: the same rows, none added
    assert _snapshots(store) == len(read)
    report = verify(store)
    assert report.ok and report.snapshots == len(read)


def test_a_path_is_read_on_the_host_that_runs_the_flow(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "drop" / "a.yaml"
    assert inputs.resolve(store, [str(path)]) == [str(path)]


def test_unknown_malformed_and_altered_references_are_named(store: Store, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("reference: A\n", encoding="utf-8")
    [good] = inputs.stash(store, inputs.read_here([tmp_path / "a.yaml"]))
    missing = "input:" + "0" * 64
    with pytest.raises(InputRefused) as refused:
        inputs.resolve(store, [good, missing, "input:xyz"])
    assert list(refused.value.problems) == [
        Problem(missing, "", "", "input-not-found", "no stored input with this key in this database"),
        Problem("input:xyz", "", "", "input-not-found", "not an input reference (input: and 64 hex digits)"),
    ]
    unguard(store, "snapshots")
    with store.write() as conn:
        conn.execute(
            update(SnapshotRow)
            .where(SnapshotRow.key == good.removeprefix("input:"))
            .values(content=canonical_text({"input": "file", "name": "a.yaml", "text": "reference: B\n"}))
        )
    with pytest.raises(InputRefused) as refused:
        inputs.resolve(store, [good])
    assert list(refused.value.problems) == [
        Problem(good, "", "", "input-not-found", "the stored snapshot is not a submitted file")
    ]


def test_a_file_that_cannot_be_read_here_stores_nothing(store: Store, tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("reference: A\n", encoding="utf-8")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"title: caf\xe9\n")
    empty = tmp_path / "empty.json"
    empty.write_text("  \n", encoding="utf-8")
    read = inputs.read_here([good, bad, empty, tmp_path / "nowhere.csv", tmp_path / "notes.txt"])
    with pytest.raises(InputRefused) as refused:
        inputs.stash(store, read)
    assert list(refused.value.problems) == [
        Problem(str(tmp_path / "nowhere.csv"), "", "", "file-not-found", "no such file or folder"),
        Problem(str(tmp_path / "notes.txt"), "", "", "file-not-found", "no such file or folder"),
        Problem(str(bad), "", "", "not-utf8", "not UTF-8 text (bad byte at offset 10)"),
        Problem(str(empty), "", "", "file-empty", "file is empty"),
    ]
    assert _snapshots(store) == 0


def test_checking_files_read_here_finds_what_checking_the_paths_finds(stage_gate: LoadedPolicy, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    shutil.copytree(EXAMPLES / "proposals", folder)
    (folder / "broken.yaml").write_text("reference: [unclosed\n", encoding="utf-8")
    (folder / "bad.json").write_bytes(b"\xff\xfe{}")
    paths = [str(folder), str(tmp_path / "missing.yaml")]
    with pytest.raises(InputRefused) as by_path:
        intake.validate_submission(paths, stage_gate.policy)
    with pytest.raises(InputRefused) as by_text:
        intake.validate_submission(inputs.read_here(paths), stage_gate.policy)
    assert by_text.value.problems == by_path.value.problems
    assert len(by_path.value.problems) == 3


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=1).filter(lambda t: t.strip() and not t.startswith("\ufeff")))
def test_any_text_comes_back_unchanged(text: str, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    store.upgrade()
    try:
        [ref] = inputs.stash(store, [SubmittedFile(f"{tmp_path}/ünïcode name.yaml", text)])
        assert inputs.resolve(store, [ref]) == [SubmittedFile("ünïcode name.yaml", text)]
    finally:
        store.dispose()
