"""A submission that validation accepts is filed whole: validation and filing share one rule set.

The issue's case: 600 new proposals and an amendment of a paused project passed validation, filed the
first chunk and then failed in the second. Now the amendment is refused at validation, with nothing written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from governance import adoption, intake, projects
from governance.batch import OnFile
from governance.errors import InputRefused, Problem, TransitionError
from governance.ledger import Ledger, verify
from governance.lifecycle import STATES
from governance.store import Store
from models.tables import LedgerRow, ProposalRow

from .test_intake import adopted, proposal, submit, write

__all__ = ["adopted"]  # a fixture, imported for its use here

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _ledger_rows(store: Store) -> int:
    with store.read() as conn:
        return int(conn.scalar(select(func.count()).select_from(LedgerRow)) or 0)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("changed", [False, True], ids=["unchanged", "amended"])
def test_validation_refuses_exactly_what_filing_refuses(
    adopted: Store, ledger: Ledger, tmp_path: Path, state: str, changed: bool
) -> None:
    """Every state x (same content | new content): validation refuses iff filing (unchecked) refuses."""
    store = adopted
    [filed] = submit(store, ledger, write(tmp_path, "a.yaml", proposal()))
    with store.write() as conn:  # the derived row says `state`; filing trusts it, as validation does
        conn.execute(update(ProposalRow).where(ProposalRow.id == filed.proposal_id).values(state=state))
        row = conn.execute(select(ProposalRow).where(ProposalRow.id == filed.proposal_id)).one()
    again = write(tmp_path, "b.yaml", proposal(title="Alpha v2") if changed else proposal())
    with store.read() as conn:
        policy = adoption.current_policy(conn).policy
    known = {"NW-ALPHA": OnFile(row.state, row.content_hash)}
    try:
        intake.validate_submission([str(again)], policy, known)
        validation_refused = None
    except InputRefused as refused:
        [problem] = refused.problems
        validation_refused = problem
    unchecked = intake.validate_submission([str(again)], policy, {})  # nothing known: filing decides alone
    try:
        intake.file_proposals(store, ledger, unchecked, "jonas")
        filing_refused = None
    except TransitionError as exc:
        filing_refused = exc.message
    assert (validation_refused is None) == (filing_refused is None)
    if validation_refused is not None:
        assert (
            filing_refused == f"{filed.proposal_id} (NW-ALPHA) {validation_refused.message.removeprefix('NW-ALPHA ')}"
        )
        closed = state in ("withdrawn", "killed", "stopped", "completed")
        assert validation_refused.code == ("closed-proposal" if closed else "not-amendable")
    accepted = {s for s in STATES if s not in ("withdrawn", "killed", "stopped", "completed")}
    if changed:
        accepted -= {"active", "paused"}
    assert (validation_refused is None) == (state in accepted)


def test_a_batch_with_a_paused_project_amended_writes_nothing(adopted: Store, ledger: Ledger, tmp_path: Path) -> None:
    store = adopted
    projects.import_projects(store, ledger, [str(EXAMPLES / "projects" / "running-projects.yaml")], "ana")
    before = _ledger_rows(store)
    folder = tmp_path / "batch"
    folder.mkdir()
    new = [proposal(f"NW-NEW-{n:04d}") for n in range(600)]
    write(folder, "new.yaml", new)
    paused = proposal("NW-RUN-ZIGBEE", title="Zigbee gateway, amended")
    write(folder, "zigbee.yaml", paused)
    with pytest.raises(InputRefused) as refused:
        intake.check_submission(store, [str(folder)])
    with store.read() as conn:
        zigbee = conn.execute(select(ProposalRow).where(ProposalRow.reference == "NW-RUN-ZIGBEE")).one()
    assert refused.value.problems == (
        Problem(
            str(folder / "zigbee.yaml"),
            "record 1",
            "reference",
            "not-amendable",
            "NW-RUN-ZIGBEE is paused: a 'amended' record is not allowed now "
            "(a proposal is amended until its last gate decision)",
        ),
    )
    assert zigbee.state == "paused"
    assert _ledger_rows(store) == before
    assert verify(store).records == before


def _cycle_case(tmp_path: Path, name: str, links: dict[str, list[str]]) -> Path:
    return write(tmp_path, name, [proposal(ref, depends_on=deps) for ref, deps in links.items()])


def test_dependency_loops_in_one_submission_are_refused(adopted: Store, ledger: Ledger, tmp_path: Path) -> None:
    two = _cycle_case(tmp_path, "two.yaml", {"NW-A": ["NW-B"], "NW-B": ["NW-A"]})
    three = _cycle_case(
        tmp_path, "three.yaml", {"NW-C": ["NW-D"], "NW-D": ["NW-E"], "NW-E": ["NW-C"], "NW-F": ["NW-C"]}
    )
    csv = tmp_path / "loop.csv"
    csv.write_text(
        "reference,title,summary,sponsor,submitter,budget_owner,bucket,objectives,start_date,end_date,"
        "development:FY2027,benefit:FY2028,p_technical,p_commercial,depends_on\n"
        "NW-G,G,g,Ana Ribeiro,Jonas Berg,Raj Mehta,new-products,growth,2027-01-01,2027-12-31,100,500,0.8,0.6,NW-H\n"
        "NW-H,H,h,Ana Ribeiro,Jonas Berg,Raj Mehta,new-products,growth,2027-01-01,2027-12-31,100,500,0.8,0.6,NW-G\n",
        encoding="utf-8",
    )
    before = _ledger_rows(adopted)
    with pytest.raises(InputRefused) as refused:
        submit(adopted, ledger, two, three, csv)
    loop = "depends_on closes a loop, so none of them can start: "
    assert refused.value.problems == (
        Problem(str(two), "record 1", "depends_on[0]", "dependency-cycle", loop + "NW-A -> NW-B -> NW-A"),
        Problem(str(three), "record 1", "depends_on[0]", "dependency-cycle", loop + "NW-C -> NW-D -> NW-E -> NW-C"),
        Problem(str(csv), "row 2", "depends_on[0]", "dependency-cycle", loop + "NW-G -> NW-H -> NW-G"),
    )
    assert _ledger_rows(adopted) == before


def test_a_loop_through_proposals_on_file_is_refused(adopted: Store, ledger: Ledger, tmp_path: Path) -> None:
    """X on file depends on Y on file; amending Y to depend on a new Z that depends on X closes X->Y->Z->X."""
    submit(adopted, ledger, write(tmp_path, "y.yaml", proposal("NW-Y")))
    submit(adopted, ledger, write(tmp_path, "x.yaml", proposal("NW-X", depends_on=["NW-Y"])))
    amended = write(tmp_path, "y2.yaml", [proposal("NW-Y", depends_on=["NW-Z"]), proposal("NW-Z", depends_on=["NW-X"])])
    before = _ledger_rows(adopted)
    with pytest.raises(InputRefused) as refused:
        submit(adopted, ledger, amended)
    assert refused.value.problems == (
        Problem(
            str(amended),
            "record 1",
            "depends_on[0]",
            "dependency-cycle",
            "depends_on closes a loop, so none of them can start: NW-Y -> NW-Z -> NW-X -> NW-Y",
        ),
    )
    assert _ledger_rows(adopted) == before
    # Without the loop the same amendment files.
    fine = write(tmp_path, "y3.yaml", [proposal("NW-Y", depends_on=["NW-Z"]), proposal("NW-Z")])
    assert [f.action for f in submit(adopted, ledger, fine)] == ["amended", "filed"]


def test_a_loop_among_imported_projects_is_refused(adopted: Store, ledger: Ledger, tmp_path: Path) -> None:
    """Running projects are imported without intake's checks on content, but a loop is refused all the same."""
    extra = {"approved_on": "2026-01-10", "status": "active"}
    path = write(
        tmp_path,
        "running.yaml",
        [dict(proposal("NW-P", depends_on=["NW-Q"]), **extra), dict(proposal("NW-Q", depends_on=["NW-P"]), **extra)],
    )
    before = _ledger_rows(adopted)
    with pytest.raises(InputRefused) as refused:
        projects.import_projects(adopted, ledger, [str(path)], "ana")
    assert refused.value.problems == (
        Problem(
            str(path),
            "record 1",
            "depends_on[0]",
            "dependency-cycle",
            "depends_on closes a loop, so none of them can start: NW-P -> NW-Q -> NW-P",
        ),
    )
    assert _ledger_rows(adopted) == before
