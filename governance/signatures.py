"""Signed votes: each voter signs the motion (the decision as a whole) with an Ed25519 key of their own.

The motion is the decision's canonical JSON without its signatures: the proposal, gate, outcome,
rationale, meeting date, every vote, condition and declared conflict. A member's signature is over
`b"portfolio-governance vote v1\\n"` and the canonical JSON of `{"member": id, "motion": motion}`, so it
binds that member to every vote and word of the decision, and to nothing else. Public keys are in the
policy's people (`public_key`: the raw 32-byte key in base64), versioned with the policy; the private
key stays with the person (`governance keys person` makes a pair, `governance sign` signs).

Where the policy says `signatures: required`, every vote must be signed; any signature given is
checked whatever the policy says. `replay` and `verify` check them again from the ledger.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, select

from governance.authority import Actor, authorise
from governance.canonical import canonical_bytes, to_plain
from governance.errors import ConfigError, DecisionRefused
from governance.people import Directory
from models.decision import DecisionInput
from models.policy import Policy
from models.records import DecidedPayload
from models.tables import LedgerRow, PolicyRow, SnapshotRow

__all__ = [
    "check_signatures",
    "motion",
    "new_key_pair",
    "public_key_text",
    "recorded_signature_problems",
    "sign_motion",
    "signature_problems",
]

_PREFIX = b"portfolio-governance vote v1\n"


def motion(decision: DecisionInput) -> dict[str, object]:
    """The decision as every voter signs it: everything but the signatures."""
    plain = to_plain(decision)
    plain.pop("signatures", None)
    return dict(plain)


def _message(decision: DecisionInput, member: str) -> bytes:
    return _PREFIX + canonical_bytes({"member": member, "motion": motion(decision)})


def public_key_text(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def new_key_pair(path: Path) -> str:
    """Write a new private key (PEM, owner-only) to `path`; return its public key for the people file."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("xb") as handle:  # never overwrite a key
            path.chmod(0o600)
            handle.write(pem)
    except OSError as exc:
        raise ConfigError(f"cannot write the key {path}: {exc.strerror}") from None
    return public_key_text(key.public_key())


def _private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise ConfigError(f"signing key {path}: cannot read: {exc.strerror}") from None
    except (ValueError, TypeError):
        raise ConfigError(f"signing key {path}: not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"signing key {path}: not an Ed25519 key (make one with `governance keys person`)")
    return key


def sign_motion(policy: Policy, decision: DecisionInput, key_path: Path) -> tuple[str, str]:
    """(member id, signature): the key's owner is the person whose public key it matches."""
    key = _private_key(key_path)
    public = public_key_text(key.public_key())
    owners = [p for p in policy.everyone() if p.public_key == public]
    if not owners:
        raise ConfigError(f"signing key {key_path}: its public key {public} is no person's in the policy in force")
    member = owners[0].id
    authorise(policy, Actor.of(member), "sign")  # the role matrix says who may sign (the board by default)
    return member, base64.b64encode(key.sign(_message(decision, member))).decode()


def signature_problems(policy: Policy, decision: DecisionInput) -> list[str]:
    """Every signature that does not verify, and (with `signatures: required`) every vote not signed."""
    people = Directory.of(policy).people
    problems = []
    voters = {v.member for v in decision.votes}
    for member, text in sorted(decision.signatures.items()):
        person = people.get(member)
        if member not in voters:
            problems.append(f"{member} signed but did not vote")
            continue
        if person is None or person.public_key is None:
            problems.append(f"{member} has no public key in the policy's people")
            continue
        try:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(person.public_key, validate=True))
            key.verify(base64.b64decode(text, validate=True), _message(decision, member))
        except (InvalidSignature, binascii.Error, ValueError):
            problems.append(f"{member}'s signature does not verify against the motion and their public key")
    if policy.signatures == "required":
        unsigned = sorted(voters - set(decision.signatures))
        if unsigned:
            problems.append(f"the policy requires signed votes; not signed by {', '.join(unsigned)}")
    return problems


def check_signatures(policy: Policy, decision: DecisionInput) -> None:
    """Raises DecisionRefused naming every signature problem (see `signature_problems`)."""
    problems = signature_problems(policy, decision)
    if problems:
        raise DecisionRefused("; ".join(problems) + " (`governance sign` signs a motion)")


def recorded_signature_problems(conn: Connection) -> tuple[int, list[str]]:
    """(signatures checked, problems) over every recorded gate decision, as `verify` runs it.

    Each decision's motion is its stored input; each key comes from the policy version it was recorded
    under. A decision under a policy requiring signed votes that lacks one is a problem too.
    """
    from governance.policy import policy_from_text

    policies: dict[str, Policy] = {}
    checked, problems = 0, list[str]()
    rows = conn.execute(
        select(LedgerRow.seq, LedgerRow.payload, LedgerRow.policy_version, SnapshotRow.content)
        .join(SnapshotRow, SnapshotRow.key == LedgerRow.inputs)
        .where(LedgerRow.kind == "decided")
        .order_by(LedgerRow.seq)
    )
    for seq, payload, version, inputs in rows:
        if version not in policies:
            text = conn.scalar(select(PolicyRow.content).where(PolicyRow.version == version))
            if text is None:  # verify names a missing policy itself
                continue
            policies[version] = policy_from_text(text).policy
        policy = policies[version]
        recorded = DecidedPayload.model_validate_json(payload).signatures
        if not recorded and policy.signatures != "required":
            continue
        decision = DecisionInput.model_validate(json.loads(inputs)["decision"])
        checked += len(recorded)
        found = signature_problems(policy, decision)
        if recorded != decision.signatures:
            found.append("the recorded signatures differ from the decision's")
        problems.extend(f"record {seq}: {p}" for p in found)
    return checked, problems
