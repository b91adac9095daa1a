"""Submitted files travel to a flow through the database, not the file system.

A command reads the files where the user is (`read_here`), checks them there, and stores each as a
content-addressed snapshot (`stash`); the flow run gets only their references, `input:<sha256>`,
and reads them back from the database (`resolve`). A worker on another host needs no copy of the
files and no shared disk, and a run's parameters name no path on anyone's machine.

A snapshot holds `{"input": "file", "name": ..., "text": ...}`: the file's text as it was read (UTF-8,
without a byte-order mark) and its file name without the folder (as every record's source names it;
a folder on the submitter's machine means nothing to the worker, and would make the same submission
store different bytes from different folders). Snapshots are never deleted, so the submission as received stays
with the records made from it, and `governance verify` re-hashes it with every other snapshot.

A flow also accepts a plain path, read on the host that runs it: an operator's drop folder named in
a deployment's parameters, say.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from governance.canonical import canonical_text, sha256_hex
from governance.errors import InputRefused, Problem
from governance.ledger import put_snapshots
from governance.sources import SUFFIXES, Source, SubmittedFile, expand_paths, read_text_file
from governance.store import Store
from models.tables import SnapshotRow

__all__ = ["PREFIX", "read_here", "resolve", "stash"]

PREFIX = "input:"
_REFERENCE = re.compile(r"input:[0-9a-f]{64}")


def read_here(paths: Sequence[str | Path]) -> list[Source]:
    """Files and folders as given, each readable file replaced by its text.

    What cannot be read (no such file, too large, not UTF-8, an unsupported type) stays as it was
    given, so that the reader that checks the submission names the problem in its usual place.
    """
    out: list[Source] = []
    for raw in paths:
        path = Path(raw)
        found = expand_paths([path])[0] if path.is_dir() else [path] if path.is_file() else []
        if not found:
            out.append(raw)  # missing, or a folder without submission files: the reader names it
        out.extend(_read_one(f) for f in found if isinstance(f, Path))
    return out


def _read_one(path: Path) -> Source:
    if path.suffix.lower() not in SUFFIXES:
        return path
    text, problem = read_text_file(path)
    return path if problem is not None else SubmittedFile(str(path), text)


def stash(store: Store, items: Sequence[Source]) -> list[str]:
    """Store each file as a snapshot and return their references, in order, in one transaction.

    Raises:
        InputRefused: a file could not be read here (each one named); nothing is stored.
    """
    unread = [item for item in items if not isinstance(item, SubmittedFile)]
    if unread:
        raise InputRefused(_read_problems(unread))
    snapshots: dict[str, str] = {}
    references: list[str] = []
    for item in items:
        assert isinstance(item, SubmittedFile)
        text = canonical_text({"input": "file", "name": Path(item.name).name, "text": item.text})
        key = sha256_hex(text)
        snapshots[key] = text
        references.append(PREFIX + key)
    if not references:
        raise InputRefused([Problem("", "", "", "file-not-found", "no files given")])
    with store.write() as conn:
        put_snapshots(conn, snapshots)
    return references


def resolve(store: Store, items: Sequence[str]) -> list[Source]:
    """References read back from the database; anything else is a path on this host.

    Raises:
        InputRefused: a reference is malformed or names no stored file.
    """
    wanted = [item[len(PREFIX) :] for item in items if _REFERENCE.fullmatch(item)]
    texts: dict[str, str] = {}
    if wanted:
        with store.read() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = conn.execute(select(SnapshotRow.key, SnapshotRow.content).where(SnapshotRow.key.in_(chunk)))
                texts.update((key, content) for key, content in rows)
    out: list[Source] = []
    problems: list[Problem] = []
    for item in items:
        if not item.startswith(PREFIX):
            out.append(item)
            continue
        if not _REFERENCE.fullmatch(item):
            problems.append(_unusable(item, "not an input reference (input: and 64 hex digits)"))
            continue
        key = item[len(PREFIX) :]
        text = texts.get(key)
        if text is None:
            problems.append(_unusable(item, "no stored input with this key in this database"))
            continue
        data = json.loads(text)
        if sha256_hex(text) != key or not isinstance(data, dict) or data.get("input") != "file":
            problems.append(_unusable(item, "the stored snapshot is not a submitted file"))
            continue
        out.append(SubmittedFile(str(data["name"]), str(data["text"])))
    if problems:
        raise InputRefused(problems)
    return out


def _unusable(reference: str, why: str) -> Problem:
    return Problem(reference, "", "", "input-not-found", why)


def _read_problems(unread: Sequence[Source]) -> list[Problem]:
    files, problems = expand_paths(unread)
    for file in files:
        if isinstance(file, Path):
            if file.suffix.lower() not in SUFFIXES:
                suffix = file.suffix.lower() or "(none)"
                problems.append(Problem(str(file), "", "", "unsupported-format", f"unsupported file type {suffix}"))
                continue
            _, problem = read_text_file(file)
            if problem is not None:
                problems.append(problem)
    return problems
