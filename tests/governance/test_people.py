"""People and authority: names resolved to ids, the role matrix for every role and action, delegations,
adoption by the board in office, recusal on people rather than spellings."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance import adoption, intake
from governance.authority import Actor, authorise
from governance.errors import DecisionRefused, Forbidden, IdentityError, InputRefused, PolicyError
from governance.ledger import Ledger, verify
from governance.people import Directory, name_key
from governance.policy import _from_data, load_policy
from governance.store import Store
from models.people import ACTIONS

from .test_intake import proposal, write

SG = load_policy("stage-gate")
DIRECTORY = Directory.of(SG.policy)


@pytest.mark.parametrize(
    "spelling",
    [
        "Ana Ribeiro",
        "Ana  Ribeiro",
        "ana ribeiro",
        "Ribeiro, Ana",
        "Ana Ribeiro (CEO)",
        "Dr. Ana Ribeiro",
        "\u0410na Ribeiro",  # Cyrillic capital A
        "Ana\u200b Ribeiro",  # zero-width space
        "Ana Ribe\u0301iro",  # a combining accent
        "ＡＮＡ ＲＩＢＥＩＲＯ",  # fullwidth letters (NFKC)
        "ana",
    ],
)
def test_every_spelling_of_a_person_is_that_person(spelling: str) -> None:
    person = DIRECTORY.resolve(spelling, what="submitter")
    assert person is not None and person.id == "ana"


@pytest.mark.parametrize(
    ("spelling", "message"),
    [
        ("A. Ribeiro", "submitter 'A. Ribeiro' could be Ana Ribeiro (ana)"),
        ("Ribeiro", "submitter 'Ribeiro' could be Ana Ribeiro (ana)"),
        ("Ana Maria Ribeiro", "submitter 'Ana Maria Ribeiro' could be Ana Ribeiro (ana)"),
        ("Ana Ribiero", "submitter 'Ana Ribiero' could be Ana Ribeiro (ana)"),
        ("Antonia Ribeiro", "submitter 'Antonia Ribeiro' could be Ana Ribeiro (ana)"),
    ],
)
def test_a_name_that_could_be_a_person_is_refused(spelling: str, message: str) -> None:
    with pytest.raises(IdentityError) as refused:
        DIRECTORY.resolve(spelling, what="submitter")
    assert str(refused.value) == (
        f"{message}: write the person's name as the policy has it, or add this spelling to their aliases "
        "[ambiguous-person]"
    )


def test_outside_names_are_nobody_and_aliases_are_their_person() -> None:
    assert DIRECTORY.resolve("Jonas Berg", what="submitter") is None
    tom = DIRECTORY.resolve("Thomas Becker", what="sponsor")
    assert tom is not None and tom.id == "tom"
    with pytest.raises(IdentityError, match=r"vote 'zoe' is nobody in the policy's people .* \[unknown-person\]"):
        DIRECTORY.member("zoe", what="vote")


@given(st.text(max_size=40))
def test_name_keys_are_stable_and_never_crash(raw: str) -> None:
    key = name_key(raw)
    assert name_key(key) == key
    with contextlib.suppress(IdentityError):  # refused as ambiguous is fine; anything else is not
        DIRECTORY.resolve(raw, what="name")


def test_two_people_who_read_alike_are_refused_at_load() -> None:
    data = SG.policy.model_dump(mode="json", by_alias=True)
    data["people"] = [*data["people"], {"id": "ana2", "name": "ANA  RIBEIRO"}]
    with pytest.raises(PolicyError) as refused:
        Directory.of(_from_data(data, "twins").policy, source="twins")
    assert str(refused.value) == (
        "policy twins: people: ana2 and ana both read as 'ana ribeiro' ('ANA  RIBEIRO') [policy-invalid]"
    )


# The bundled Stage-Gate matrix: who holds which role (built-in roles included).
HOLDERS = {
    "ana": {"everyone", "board", "chair", "executive"},
    "raj": {"everyone", "board", "executive", "deputy-chair"},
    "lee": {"everyone", "board", "executive"},
    "mia": {"everyone", "board"},
    "tom": {"everyone", "board"},
    "pmo": {"everyone", "portfolio-office", "assessor"},
}


@pytest.mark.parametrize("person", sorted(HOLDERS))
@pytest.mark.parametrize("action", ACTIONS)
def test_the_role_matrix_for_every_person_and_action(person: str, action: str) -> None:
    """Each allowed pair is allowed, every other refused with its rule: 0 forbidden actions accepted."""
    allowed = set(SG.policy.role_matrix()[action])
    if HOLDERS[person] & allowed:
        assert authorise(SG.policy, Actor.of(person), action).recorded_by == person
    else:
        with pytest.raises(Forbidden) as refused:
            authorise(SG.policy, Actor.of(person), action)
        assert str(refused.value) == (
            f"{person} may not {action}: the policy's role matrix gives {action} to {', '.join(allowed_in(action))}; "
            f"{person} has {', '.join(sorted(HOLDERS[person]))} [forbidden]"
        )


def allowed_in(action: str) -> tuple[str, ...]:
    return SG.policy.role_matrix()[action]


def test_dynamic_roles_submitter_and_condition_owner() -> None:
    with pytest.raises(Forbidden):
        authorise(SG.policy, Actor.of("mia"), "withdraw")
    assert authorise(SG.policy, Actor.of("mia"), "withdraw", submitters=["mia"]).person.id == "mia"
    assert authorise(SG.policy, Actor.of("tom"), "close-condition", owners=["tom"]).person.id == "tom"


def test_accounts_and_delegations() -> None:
    assert authorise(SG.policy, Actor(account="ana", via="os-user"), "decide").recorded_by == "ana"
    with pytest.raises(Forbidden) as refused:
        authorise(SG.policy, Actor(account="root", via="os-user"), "decide")
    assert str(refused.value) == (
        "the account 'root' (os-user) is no person of the policy in force: add it to a person's `accounts` "
        "in the policy's people [not-authenticated]"
    )
    # raj may decide for ana (a delegation in the people file), recorded as both; lee may not.
    acting = authorise(SG.policy, Actor(account="raj", acting_for="ana", via="os-user"), "decide")
    assert (acting.person.id, acting.recorded_by) == ("ana", "raj for ana")
    with pytest.raises(Forbidden) as refused:
        authorise(SG.policy, Actor(account="raj", acting_for="ana", via="os-user"), "supersede")
    assert str(refused.value) == (
        "raj may not supersede for ana: the policy has no delegation from ana to raj for supersede [forbidden]"
    )
    with pytest.raises(Forbidden, match=r"lee may not decide for ana"):
        authorise(SG.policy, Actor(account="lee", acting_for="ana", via="os-user"), "decide")


def test_a_policy_changing_the_board_is_the_board_in_offices_decision(store: Store, ledger: Ledger) -> None:
    adoption.adopt_policy(store, ledger, SG, Actor(account="whoever", via="os-user"))  # the first: anyone
    data = SG.policy.model_dump(mode="json", by_alias=True)
    data["people"] = [{"id": "eve", "name": "Eve Mallory"}]
    data["board"] = {
        "members": [{"name": "eve", "full_name": "Eve Mallory", "role": "Everything", "chair": True}],
        "quorum": 1,
        "voting_rule": "majority",
    }
    data["delegations"] = []
    data["roles"] = None  # the default matrix: the chair decides
    evil = _from_data(data, "evil")
    before = verify(store).records
    with pytest.raises(Forbidden, match=r"^the account 'eve' \(os-user\) is no person of the policy in force"):
        adoption.adopt_policy(store, ledger, evil, Actor(account="eve", via="os-user"))
    with pytest.raises(Forbidden, match=r"^lee may not adopt-policy"):
        adoption.adopt_policy(store, ledger, evil, Actor.of("lee"))
    with pytest.raises(DecisionRefused) as refused:
        adoption.adopt_policy(store, ledger, evil, Actor.of("ana"))
    assert str(refused.value) == (
        "policy stage-gate changes who may do what (people, board, roles or delegations): the board in office "
        "decides it; 0 vote(s) given, the quorum is 3 (give --vote NAME=accept|reject) [decision-refused]"
    )
    with pytest.raises(DecisionRefused, match=r"the votes do not carry policy stage-gate: 1 of 3 votes accept"):
        adoption.adopt_policy(store, ledger, evil, Actor.of("ana"), votes=["ana=accept", "raj=reject", "lee=reject"])
    assert verify(store).records == before
    assert adoption.adopt_policy(store, ledger, evil, Actor.of("ana"), votes=["ana=accept", "raj=accept", "lee=accept"])
    with store.read() as conn:
        assert adoption.current_policy(conn).version == evil.version


def test_a_submitter_spelt_otherwise_is_still_recused(store: Store, ledger: Ledger, tmp_path: Path) -> None:
    from governance.board import recusals

    adoption.adopt_policy(store, ledger, SG, Actor.of("ana"))
    for spelling in ("Ribeiro, Ana", "Ana Ribeiro (CEO)", "\u0410na Ribeiro", "Ana\u200b Ribeiro"):
        assert recusals(SG.policy, spelling, "Jonas Berg", ()) == {"ana": "submitter of the proposal"}
    data = proposal("NW-ALPHA", sponsor="A. Ribeiro", submitter="Jonas Berg")
    with pytest.raises(InputRefused) as refused:
        intake.validate_submission([str(write(tmp_path, "a.yaml", data))], SG.policy, {})
    assert [(p.field, p.code) for p in refused.value.problems] == [("sponsor", "ambiguous-person")]


def test_every_guarded_way_in_refuses_the_wrong_person_and_writes_nothing(
    store: Store, ledger: Ledger, tmp_path: Path
) -> None:
    """decide, supersede, close-condition, withdraw and adopt, each by someone the matrix does not allow."""
    from governance import board, gates
    from governance.assessments import read_assessments
    from models.decision import DecisionInput

    from .test_board import _assess

    adoption.adopt_policy(store, ledger, SG, Actor.of("ana"))
    files = [
        write(tmp_path, "a.yaml", proposal("NW-ALPHA", sponsor="Katrin Vogel", submitter="Jonas Berg")),
        write(tmp_path, "b.yaml", proposal("NW-BRAVO", sponsor="Katrin Vogel", submitter="Mia Lindqvist")),
    ]
    intake.file_proposals(store, ledger, intake.validate_submission([str(f) for f in files], SG.policy), "pmo")
    ratings = {"strategic-fit": 6, "market-attractiveness": 5}
    path = _assess(tmp_path, "P-2026-0001", 1, ratings, {"legal-compliance": True}, assessors=("raj", "lee"))
    gates.record_scores(store, ledger, read_assessments([path]), "pmo")
    gates.record_recommendation(store, ledger, "P-2026-0001", "pmo")
    decision = DecisionInput.model_validate(
        {
            "proposal_id": "P-2026-0001",
            "gate": 1,
            "outcome": "conditional-go",
            "rationale": "Needs a supplier audit.",
            "decided_by": "lee",
            "meeting_date": "2026-11-23",
            "votes": [{"member": m, "outcome": "conditional-go"} for m in ("ana", "raj", "lee")],
            "conditions": [{"text": "Supplier audit", "owner": "Tom Becker", "due": "2027-03-01"}],
        }
    )
    before = verify(store).records
    refusals = []
    for attempt in (
        lambda: board.decide(store, ledger, decision, Actor.of("lee")),
        lambda: intake.withdraw(store, ledger, "P-2026-0002", Actor.of("lee"), "not mine"),
        lambda: adoption.adopt_policy(store, ledger, load_policy("it-demand"), Actor.of("raj")),
    ):
        with pytest.raises(Forbidden) as refused:
            attempt()
        refusals.append(str(refused.value).split(":")[0])
    assert refusals == ["lee may not decide", "lee may not withdraw", "raj may not adopt-policy"]
    assert verify(store).records == before
    # The chair decides; the condition's owner closes it, another member may not; nor may he supersede.
    record = board.decide(store, ledger, decision.model_copy(update={"decided_by": "ana"}), Actor.of("ana"))
    assert record.recorded_by == "ana"
    with pytest.raises(Forbidden, match=r"^lee may not close-condition"):
        board.close_condition(store, ledger, "C-2026-0001-G1-1", "done", Actor.of("lee"))
    with pytest.raises(Forbidden, match=r"^tom may not supersede"):
        board.supersede(store, ledger, "P-2026-0001", 1, "I was not asked", Actor.of("tom"))
    assert board.close_condition(store, ledger, "C-2026-0001-G1-1", "done", Actor.of("tom")).recorded_by == "tom"
    # The submitter withdraws her own proposal; raj acts for ana where the people file delegates it.
    assert intake.withdraw(store, ledger, "P-2026-0002", Actor.of("mia"), "merged").state == "withdrawn"
    with pytest.raises(Forbidden, match=r"^raj may not supersede for ana"):
        board.supersede(store, ledger, "P-2026-0001", 1, "wrong", Actor(account="raj", acting_for="ana"))


def test_who_acts_is_the_os_user_or_the_database_login(store: Store) -> None:
    import pwd

    from sqlalchemy import make_url

    from governance.authority import authenticated

    actor = authenticated(store, " ana ")
    if store.engine.dialect.name == "postgresql":
        expected = (make_url(store.url).username, "postgres")  # the session user, as the database authenticated it
    else:
        expected = (pwd.getpwuid(os.geteuid()).pw_name, "os-user")  # the effective uid, never $USER
    assert (actor.account, actor.via, actor.acting_for, actor.person) == (*expected, "ana", None)
