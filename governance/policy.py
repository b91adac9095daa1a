"""Loading policy files and naming their versions.

A policy's version is the SHA-256 of its canonical JSON text, so two files that differ only in
layout, comments or key order have the same version.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from governance.canonical import canonical_text, sha256_hex
from governance.errors import PolicyError
from governance.parsing import Unparsable, parse_text
from governance.sources import read_text_file
from models.people import PeopleFile
from models.policy import Policy

__all__ = ["BUNDLED_POLICIES", "LoadedPolicy", "bundled_policy_path", "load_policy", "policy_from_text"]

BUNDLED_POLICIES = Path(__file__).resolve().parent.parent / "policies"


@dataclass(frozen=True, slots=True)
class LoadedPolicy:
    policy: Policy
    version: str
    text: str  # canonical JSON, exactly as stored in the policies table

    @property
    def short_version(self) -> str:
        return self.version[:12]


def bundled_policy_path(name_or_path: str) -> Path:
    """`stage-gate` -> the bundled policies/stage-gate.yaml; anything with a suffix is a path."""
    candidate = Path(name_or_path)
    if candidate.suffix:
        return candidate
    return BUNDLED_POLICIES / f"{name_or_path}.yaml"


def _naming_people_file(source: str, data: Any, base: Path) -> str:
    """`source`, and the people file the policy names: where a problem with its people is to be fixed."""
    name = data.get("people_file") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name.strip():
        return source
    return f"{source} (people file {(base / name).resolve()})"


def _from_data(data: Any, source: str, base: Path = BUNDLED_POLICIES) -> LoadedPolicy:
    """A policy from its parsed file; a `people_file:` is read relative to `base` (the policy's folder)."""
    named = _naming_people_file(source, data, base)
    if isinstance(data, dict) and "people_file" in data:
        data = _with_people_file(dict(data), base / "_", source)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        problems = tuple(
            f"{source}: {'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}" for err in errors
        )
        # The people checks run on the policy as a whole (ids, accounts, board, delegations): name both files.
        where = named if not errors[0]["loc"] or errors[0]["loc"][0] in ("people", "delegations") else source
        raise PolicyError(f"policy {where} is invalid: {problems[0]}", problems=problems) from None
    text = canonical_text(policy)
    return LoadedPolicy(policy=policy, version=sha256_hex(text), text=text)


def load_policy(name_or_path: str) -> LoadedPolicy:
    """Load and validate a policy by bundled name or file path."""
    path = bundled_policy_path(name_or_path)
    text, problem = read_text_file(path)
    if problem is not None:
        raise PolicyError(f"policy {path}: {problem.message}", problems=(str(problem),))
    try:
        data = parse_text(text, path.suffix)
    except Unparsable as exc:
        raise PolicyError(f"policy {path}: {exc.message}", problems=(f"{path}: {exc.message}",)) from None
    loaded = _from_data(data, str(path), path.parent)
    from governance.people import Directory
    from governance.scoring import gate_weights

    # Two people one name can write alike: refused here.
    Directory.of(loaded.policy, source=_naming_people_file(str(path), data, path.parent))
    for gate in loaded.policy.gates:  # weights the scoring could not use (AHP CR >= 0.10): refused here
        try:
            gate_weights(loaded.policy, gate.number)
        except PolicyError as exc:
            raise PolicyError(f"policy {path}: {exc.message}", problems=(f"{path}: {exc.message}",)) from None
    return loaded


def _with_people_file(data: dict[str, Any], path: Path, source: str) -> dict[str, Any]:
    """The policy with the people file it names read into it: stored, hashed and versioned as one."""
    name = data.pop("people_file")
    if "people" in data or "delegations" in data:
        raise PolicyError(f"policy {source}: people_file: give people in the policy or in a people file, not both")
    if not isinstance(name, str) or not name.strip():
        raise PolicyError(f"policy {source}: people_file: expected a file name next to the policy")
    people_path = (path.parent / name).resolve()
    text, problem = read_text_file(people_path)
    if problem is not None:
        raise PolicyError(f"policy {source}: people_file {people_path}: {problem.message}", problems=(str(problem),))
    try:
        people = PeopleFile.model_validate(parse_text(text, people_path.suffix))
    except Unparsable as exc:
        message = f"people file {people_path}: {exc.message}"
        raise PolicyError(message, problems=(message,)) from None
    except ValidationError as exc:
        problems = tuple(
            f"{people_path}: {'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
            for err in exc.errors(include_url=False)
        )
        raise PolicyError(f"people file {people_path} is invalid: {problems[0]}", problems=problems) from None
    plain = people.model_dump(mode="json", by_alias=True, exclude_defaults=False)
    return {**data, "people": plain["people"], "delegations": plain["delegations"]}


def policy_from_text(text: str) -> LoadedPolicy:
    """Rebuild a stored policy from its stored text.

    The version is the SHA-256 of the stored text itself: a policy stored by an older engine keeps
    its version even when newer engines add fields (with defaults) to the policy format.
    """
    import json

    loaded = _from_data(json.loads(text), "stored policy")
    return LoadedPolicy(policy=loaded.policy, version=sha256_hex(text), text=text)
