from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from governance.canonical import sha256_hex
from governance.errors import PolicyError
from governance.policy import BUNDLED_POLICIES, load_policy, policy_from_text


@pytest.mark.parametrize("name", ["stage-gate", "it-demand"])
def test_bundled_policies_load(name: str) -> None:
    loaded = load_policy(name)
    assert loaded.policy.name == name
    assert loaded.version == sha256_hex(loaded.text)
    assert policy_from_text(loaded.text).version == loaded.version


def test_version_ignores_layout_comments_and_key_order(tmp_path: Path) -> None:
    data = yaml.safe_load((BUNDLED_POLICIES / "stage-gate.yaml").read_text(encoding="utf-8"))
    shuffled = {k: data[k] for k in reversed(list(data))}
    shutil.copytree(BUNDLED_POLICIES / "people", tmp_path / "people")
    path = tmp_path / "p.json"
    path.write_text(json.dumps(shuffled, indent=4, default=str), encoding="utf-8")
    assert load_policy(str(path)).version == load_policy("stage-gate").version


def test_a_policy_stored_by_an_older_engine_keeps_its_version() -> None:
    """Newer engines add fields with defaults; the stored text (and so the version) stays authoritative."""
    data = json.loads(load_policy("it-demand").text)
    del data["scoring"]
    old_text = json.dumps(data, separators=(",", ":"), sort_keys=True)
    assert policy_from_text(old_text).version == sha256_hex(old_text)


@pytest.mark.parametrize(
    ("change", "first_problem"),
    [
        ({"gates": []}, "gates: List should have at least 1 item after validation, not 0"),
        ({"timezone": "Mars/Olympus"}, "(top level): Value error, unknown time zone 'Mars/Olympus'"),
        (
            {
                "board": {
                    "members": [{"name": "a", "full_name": "A", "role": "CEO"}],
                    "quorum": 2,
                    "voting_rule": "majority",
                }
            },
            "board: Value error, quorum 2 exceeds the 1 board members",
        ),
        ({"discount_rate": "lots"}, "discount_rate: Input should be a valid decimal"),
    ],
    ids=["no-gates", "bad-timezone", "quorum", "rate"],
)
def test_invalid_policies_name_the_place(tmp_path: Path, change: dict[str, object], first_problem: str) -> None:
    data = yaml.safe_load((BUNDLED_POLICIES / "it-demand.yaml").read_text(encoding="utf-8"))
    data.update(change)
    shutil.copytree(BUNDLED_POLICIES / "people", tmp_path / "people")
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(PolicyError) as refused:
        load_policy(str(path))
    assert refused.value.problems[0] == f"{path}: {first_problem}"
