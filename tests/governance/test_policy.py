from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from governance.canonical import canonical_text, sha256_hex
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


def test_bucket_shares_of_the_budget_are_left_out_of_the_canonical_form() -> None:
    """`bucket_shares_of: budget` is the first rule: a policy that says so, or says nothing, has the
    version it had before the option existed; `spend` (the stage-gate policy's) is written out."""
    stage_gate = load_policy("stage-gate")
    assert json.loads(stage_gate.text)["portfolio"]["bucket_shares_of"] == "spend"
    data = json.loads(stage_gate.text)
    del data["portfolio"]["bucket_shares_of"]
    before = canonical_text(policy_from_text(json.dumps(data)).policy)
    data["portfolio"]["bucket_shares_of"] = "budget"
    said = canonical_text(policy_from_text(json.dumps(data)).policy)
    assert said == before and "bucket_shares_of" not in said


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


def test_weights_the_scoring_could_not_use_are_refused_when_the_policy_is_loaded(tmp_path: Path) -> None:
    """`init --policy` adopts what `load_policy` returns: an inconsistent AHP matrix is refused there, not
    first when a proposal is scored (before, only `policy check` derived the weights)."""
    data = yaml.safe_load((BUNDLED_POLICIES / "stage-gate.yaml").read_text(encoding="utf-8"))
    matrix = data["scoring"]["ahp"]["matrix"]
    matrix[0][6], matrix[6][0] = "1/9", 9  # strategic fit now matters far less than market need
    shutil.copytree(BUNDLED_POLICIES / "people", tmp_path / "people")
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(PolicyError) as refused:
        load_policy(str(path))
    assert refused.value.message.startswith(f"policy {path}: AHP matrix is inconsistent: consistency ratio 0.")
    assert refused.value.problems == (refused.value.message.removeprefix("policy "),)


def test_names_alike_in_a_people_file_name_the_people_file(tmp_path: Path) -> None:
    shutil.copy(BUNDLED_POLICIES / "stage-gate.yaml", tmp_path)
    people = yaml.safe_load((BUNDLED_POLICIES / "people" / "nordwind.yaml").read_text(encoding="utf-8"))
    people["people"].append({"id": "ana2", "name": "Ána Ribeiro"})
    (tmp_path / "people").mkdir()
    (tmp_path / "people" / "nordwind.yaml").write_text(yaml.safe_dump(people, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PolicyError) as refused:
        load_policy(str(tmp_path / "stage-gate.yaml"))
    assert refused.value.message == (
        f"policy {tmp_path / 'stage-gate.yaml'} (people file {tmp_path / 'people' / 'nordwind.yaml'}): people: "
        "ana2 and ana both read as 'ana ribeiro' ('Ána Ribeiro')"
    )


def test_a_policy_invalid_for_its_people_file_names_the_people_file(tmp_path: Path) -> None:
    shutil.copy(BUNDLED_POLICIES / "stage-gate.yaml", tmp_path)
    people = yaml.safe_load((BUNDLED_POLICIES / "people" / "nordwind.yaml").read_text(encoding="utf-8"))
    people["people"][3]["id"] = "lee"
    (tmp_path / "people").mkdir()
    (tmp_path / "people" / "nordwind.yaml").write_text(yaml.safe_dump(people), encoding="utf-8")
    policy = tmp_path / "stage-gate.yaml"
    with pytest.raises(PolicyError) as refused:
        load_policy(str(policy))
    problem = f"{policy}: (top level): Value error, people ids must be unique, repeated: lee"
    assert refused.value.problems == (problem,)
    assert (
        refused.value.message
        == f"policy {policy} (people file {tmp_path / 'people' / 'nordwind.yaml'}) is invalid: {problem}"
    )
