"""Loading policy files and naming their versions.

A policy's version is the SHA-256 of its canonical JSON text, so two files that differ only in
layout, comments or key order have the same version.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from governance.canonical import canonical_text, sha256_hex
from governance.errors import PolicyError
from governance.sources import load_yaml_text, read_text_file
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


def _from_data(data: Any, source: str) -> LoadedPolicy:
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        problems = tuple(
            f"{source}: {'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
            for err in exc.errors(include_url=False)
        )
        raise PolicyError(f"policy {source} is invalid: {problems[0]}", problems=problems) from None
    text = canonical_text(policy)
    return LoadedPolicy(policy=policy, version=sha256_hex(text), text=text)


def load_policy(name_or_path: str) -> LoadedPolicy:
    """Load and validate a policy by bundled name or file path."""
    path = bundled_policy_path(name_or_path)
    text, problem = read_text_file(path)
    if problem is not None:
        raise PolicyError(f"policy {path}: {problem.message}", problems=(str(problem),))
    try:
        data = load_yaml_text(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy {path} is not valid YAML: {exc}") from None
    return _from_data(data, str(path))


def policy_from_text(text: str) -> LoadedPolicy:
    """Rebuild a stored policy from its stored text.

    The version is the SHA-256 of the stored text itself: a policy stored by an older engine keeps
    its version even when newer engines add fields (with defaults) to the policy format.
    """
    import json

    loaded = _from_data(json.loads(text), "stored policy")
    return LoadedPolicy(policy=loaded.policy, version=sha256_hex(text), text=text)
