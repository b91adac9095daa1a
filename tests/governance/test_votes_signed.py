"""Signed votes: a policy that requires them refuses unsigned or wrongly signed votes; replay re-checks them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from governance import adoption, board, gates, intake
from governance.assessments import read_assessments
from governance.authority import Actor
from governance.errors import ConfigError, DecisionRefused, Forbidden
from governance.ledger import Ledger, verify
from governance.policy import LoadedPolicy, _from_data, load_policy
from governance.replay import replay_record
from governance.signatures import new_key_pair, sign_motion
from governance.store import Store
from models.decision import DecisionInput

from .test_board import _assess
from .test_intake import proposal, write

MEMBERS = ("ana", "raj", "lee", "mia", "tom")


def _signed_policy(keys: Path) -> LoadedPolicy:
    data = load_policy("stage-gate").policy.model_dump(mode="json", by_alias=True)
    for person in data["people"]:
        if person["id"] in (*MEMBERS, "pmo"):
            person["public_key"] = new_key_pair(keys / f"{person['id']}.pem")
    data["signatures"] = "required"
    return _from_data(data, "signed")


def _motion(**changes: Any) -> DecisionInput:
    data: dict[str, Any] = {
        "proposal_id": "P-2026-0001",
        "gate": 1,
        "outcome": "go",
        "rationale": "Fits the strategy.",
        "decided_by": "ana",
        "meeting_date": "2026-11-23",
        "votes": [{"member": m, "outcome": "go"} for m in ("ana", "raj", "lee")],
    }
    data.update(changes)
    return DecisionInput.model_validate(data)


def test_signed_votes_are_required_checked_and_replayed(store: Store, ledger: Ledger, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    signed = _signed_policy(keys)
    adoption.adopt_policy(store, ledger, signed, Actor.of("ana"))
    data = proposal("NW-ALPHA", sponsor="Katrin Vogel", submitter="Lukas Weber")
    intake.file_proposals(
        store, ledger, intake.validate_submission([write(tmp_path, "a.yaml", data)], signed.policy), "x"
    )
    ratings = {"strategic-fit": 8, "market-attractiveness": 8}
    path = _assess(tmp_path, "P-2026-0001", 1, ratings, {"legal-compliance": True}, assessors=("raj", "lee"))
    gates.record_scores(store, ledger, read_assessments([path]), "pmo")
    gates.record_recommendation(store, ledger, "P-2026-0001", "pmo")
    motion = _motion()
    signatures = dict(sign_motion(signed.policy, motion, keys / f"{m}.pem") for m in ("ana", "raj", "lee"))
    before = verify(store).records

    def refused(decision: DecisionInput) -> str:
        with pytest.raises(DecisionRefused) as caught:
            board.decide(store, ledger, decision, Actor.of("ana"))
        return str(caught.value)

    assert refused(motion) == (
        "the policy requires signed votes; not signed by ana, lee, raj (`governance sign` signs a motion) "
        "[decision-refused]"
    )
    lee_on_other = sign_motion(signed.policy, _motion(rationale="Something else."), keys / "lee.pem")[1]
    forged = board.with_signatures(
        motion, [f"ana={signatures['ana']}", f"raj={signatures['raj']}", f"lee={lee_on_other}"]
    )
    assert refused(forged) == (
        "lee's signature does not verify against the motion and their public key "
        "(`governance sign` signs a motion) [decision-refused]"
    )
    swapped = board.with_signatures(
        motion, [f"ana={signatures['raj']}", f"raj={signatures['ana']}", f"lee={signatures['lee']}"]
    )
    assert "ana's signature does not verify" in refused(swapped)
    assert verify(store).records == before

    good = board.with_signatures(motion, [f"{m}={s}" for m, s in signatures.items()])
    record = board.decide(store, ledger, good, Actor.of("ana"))
    assert record.payload["signatures"] == dict(sorted(signatures.items()))
    assert replay_record(store, record.seq).status == "match"
    report = verify(store)
    assert (report.ok, report.signatures) == (True, 3)  # verify checks every vote signature again


def test_a_key_is_its_owners_and_never_overwritten(tmp_path: Path) -> None:
    signed = _signed_policy(tmp_path / "keys")
    stranger = tmp_path / "stranger.pem"
    new_key_pair(stranger)
    with pytest.raises(ConfigError, match=r"is no person's in the policy in force"):
        sign_motion(signed.policy, _motion(), stranger)
    with pytest.raises(ConfigError, match=r"^cannot write the key .*stranger\.pem: File exists \[config-invalid\]$"):
        new_key_pair(stranger)
    assert sign_motion(signed.policy, _motion(), tmp_path / "keys" / "mia.pem")[0] == "mia"
    with pytest.raises(Forbidden, match=r"^pmo may not sign: the policy's role matrix gives sign to board"):
        sign_motion(signed.policy, _motion(), tmp_path / "keys" / "pmo.pem")
