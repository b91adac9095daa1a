"""A spread intake (governance.intake_parts.prepare_part / load_parts): parts of a submission read, validated and
screened on their own, then checked as a whole and filed, give the ledger one process gives."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from governance import adoption, intake, intake_parts
from governance.authority import Actor
from governance.clock import FixedClock, SeededIds
from governance.errors import InputRefused, StoreError
from governance.ledger import Ledger, get_snapshot, head, verify
from governance.policy import LoadedPolicy, _from_data
from governance.store import Store
from models.tables import LedgerRow, ProposalRow

from ..conftest import START
from .test_intake import proposal, write

CHUNK = 3


def submission(folder: Path) -> list[Path]:
    """Five files: references across files, one screened out, one amending a proposal on file, duplicates
    with the same content in two files (filed once)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = [
        [proposal("NW-A"), proposal("NW-B", depends_on=["NW-A"])],
        [proposal("NW-C", budget_owner=None), proposal("NW-D", excludes=["NW-E"])],
        [proposal("NW-E", depends_on=["NW-B", "NW-OLD"]), proposal("NW-A")],
        [proposal("NW-OLD", title="The old one, amended"), proposal("NW-F", objectives=[])],
        [proposal(f"NW-G{i}", title=f"Generated {i}") for i in range(4)],
    ]
    return [write(folder, f"part-{n}.yaml", records) for n, records in enumerate(files)]


def fresh(url: str, policy: LoadedPolicy) -> tuple[Store, Ledger]:
    store = Store(url)
    store.upgrade()
    ledger = Ledger(FixedClock(START, dt.timedelta(milliseconds=1)), SeededIds("parts"), engine_version="test")
    adoption.adopt_policy(store, ledger, policy, Actor.of("ana"))
    return store, ledger


def on_file(store: Store, ledger: Ledger, folder: Path) -> None:
    """A proposal filed before the submission (NW-OLD), which the submission amends and one file names."""
    old = write(folder, "old.yaml", proposal("NW-OLD"))
    intake.file_proposals(store, ledger, intake.check_submission(store, [str(old)]), "jonas")


def in_chunks(store: Store, ledger: Ledger, items: list[Any]) -> list[intake.Filing]:
    out: list[intake.Filing] = []
    for start in range(0, len(items), CHUNK):
        out += intake.file_proposals(store, ledger, items[start : start + CHUNK], "jonas")
    return out


def ledger_rows(store: Store) -> list[tuple[Any, ...]]:
    with store.read() as conn:
        return [tuple(r) for r in conn.execute(select(LedgerRow).order_by(LedgerRow.seq)).tuples()]


def proposal_rows(store: Store) -> list[tuple[Any, ...]]:
    with store.read() as conn:
        return [tuple(r) for r in conn.execute(select(ProposalRow).order_by(ProposalRow.id)).tuples()]


def groups_of(files: list[Path], cuts: list[int]) -> list[list[str]]:
    bounds = [0, *sorted(set(cuts)), len(files)]
    return [[str(f) for f in files[a:b]] for a, b in itertools.pairwise(bounds) if b > a]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=1, max_value=4), max_size=4))
def test_any_split_files_the_ledger_one_process_files(
    cuts: list[int], tmp_path_factory: pytest.TempPathFactory, stage_gate: LoadedPolicy
) -> None:
    folder = tmp_path_factory.mktemp("parts")
    files = submission(folder / "in")
    one, one_ledger = fresh(f"sqlite:///{folder / 'one.db'}", stage_gate)
    spread, spread_ledger = fresh(f"sqlite:///{folder / 'spread.db'}", stage_gate)
    try:
        on_file(one, one_ledger, folder)
        on_file(spread, spread_ledger, folder)
        expected = in_chunks(one, one_ledger, intake.check_submission(one, [str(f) for f in files]))
        keys = [intake_parts.prepare_part(spread, group) for group in groups_of(files, cuts)]
        prepared = intake_parts.load_parts(spread, keys)
        assert [p.reference for p in prepared] == [
            "NW-A", "NW-B", "NW-C", "NW-D", "NW-E", "NW-OLD", "NW-F", "NW-G0", "NW-G1", "NW-G2", "NW-G3",
        ]  # fmt: skip
        assert in_chunks(spread, spread_ledger, prepared) == expected
        assert [(f.action, f.state) for f in expected] == [
            ("filed", "screened"), ("filed", "screened"), ("filed", "screened-out"), ("filed", "screened"),
            ("filed", "screened"), ("amended", "screened"), ("filed", "screened-out"),
            *[("filed", "screened")] * 4,
        ]  # fmt: skip
        # The same records, byte for byte (the same chain head), and the same projection.
        assert ledger_rows(spread) == ledger_rows(one)
        assert proposal_rows(spread) == proposal_rows(one)
        assert verify(spread).ok and verify(one).ok
        with spread.read() as conn:
            part = get_snapshot(conn, keys[0])
            assert (part["format"], part["problems"]) == (intake_parts.PART_FORMAT, [])
    finally:
        one.dispose()
        spread.dispose()


def test_the_parts_problems_and_the_whole_submissions_are_listed_together(
    store: Store, ledger: Ledger, stage_gate: LoadedPolicy, tmp_path: Path
) -> None:
    adoption.adopt_policy(store, ledger, stage_gate, Actor.of("ana"))
    first = write(tmp_path, "first.yaml", [proposal("NW-A"), proposal("NW-B", p_technical=1.5)])
    second = write(
        tmp_path, "second.yaml", [proposal("NW-A", title="Another alpha"), proposal("NW-C", depends_on=["NW-Z"])]
    )
    with pytest.raises(InputRefused) as whole:
        intake.check_submission(store, [str(first), str(second)])
    keys = [intake_parts.prepare_part(store, [str(first)]), intake_parts.prepare_part(store, [str(second)])]
    with pytest.raises(InputRefused) as parts:
        intake_parts.load_parts(store, keys)
    assert [(p.file, p.record, p.field, p.code) for p in parts.value.problems] == [
        (str(first), "record 2", "p_technical", "out-of-range"),
        (str(second), "record 1", "reference", "duplicate-in-batch"),
        (str(second), "record 2", "depends_on[0]", "unknown-reference"),
    ]
    assert sorted(map(str, parts.value.problems)) == sorted(map(str, whole.value.problems))
    with store.read() as conn:
        assert head(conn)[0] == 1  # the policy's adoption only: nothing filed
        assert conn.scalar(select(ProposalRow.id)) is None


def test_a_policy_adopted_after_the_parts_were_screened_refuses_them(
    store: Store, ledger: Ledger, stage_gate: LoadedPolicy, tmp_path: Path
) -> None:
    adoption.adopt_policy(store, ledger, stage_gate, Actor.of("ana"))
    key = intake_parts.prepare_part(store, [str(write(tmp_path, "a.yaml", [proposal("NW-A")]))])
    prepared = intake_parts.load_parts(store, [key])
    stricter = _stricter(stage_gate)
    adoption.adopt_policy(store, ledger, stricter, Actor.of("ana"))
    with pytest.raises(StoreError, match=r"the policy changed \(now .{12}\) after part .{12} was screened"):
        intake_parts.load_parts(store, [key])
    with pytest.raises(StoreError, match=r"the policy changed \(now .{12}\) after NW-A was screened"):
        intake.file_proposals(store, ledger, prepared, "jonas")
    with store.read() as conn:
        assert head(conn)[0] == 2 and conn.scalar(select(ProposalRow.id)) is None


def test_prepared_items_without_their_stored_content_file_nothing(
    store: Store, ledger: Ledger, stage_gate: LoadedPolicy, tmp_path: Path
) -> None:
    adoption.adopt_policy(store, ledger, stage_gate, Actor.of("ana"))
    key = intake_parts.prepare_part(store, [str(write(tmp_path, "a.yaml", [proposal("NW-A"), proposal("NW-B")]))])
    prepared = intake_parts.load_parts(store, [key])
    forged = [prepared[0], intake.Prepared(**{**_fields(prepared[1]), "content_hash": "f" * 64})]
    with pytest.raises(StoreError, match=r"1 prepared proposal\(s\) without stored content, first NW-B"):
        intake.file_proposals(store, ledger, forged, "jonas")
    with pytest.raises(StoreError, match=f"no stored intake part {'0' * 64}"):
        intake_parts.load_parts(store, [key, "0" * 64])
    with pytest.raises(StoreError, match="is not an intake part"):
        intake_parts.load_parts(store, [prepared[0].content_hash])
    with store.read() as conn:
        assert head(conn)[0] == 1 and conn.scalar(select(ProposalRow.id)) is None


def test_a_part_that_cannot_read_its_input_says_so(store: Store, ledger: Ledger, stage_gate: LoadedPolicy) -> None:
    from governance.errors import Problem

    adoption.adopt_policy(store, ledger, stage_gate, Actor.of("ana"))
    missing = Problem("input:abc", "", "", "input-not-found", "no stored file input:abc")
    key = intake_parts.prepare_part(store, [], problems=[missing])
    with pytest.raises(InputRefused) as refused:
        intake_parts.load_parts(store, [key])
    assert list(refused.value.problems) == [missing]


def _fields(p: intake.Prepared) -> dict[str, Any]:
    return {name: getattr(p, name) for name in intake.Prepared.__dataclass_fields__}


def _stricter(policy: LoadedPolicy) -> LoadedPolicy:
    import json

    data = json.loads(policy.text)
    data["name"] = "stage-gate-stricter"
    return _from_data(data, "stricter")
