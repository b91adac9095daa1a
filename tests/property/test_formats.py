"""Every file format, under generated input, through the validation its command runs: the engine
accepts the input or refuses it with its own error (`GovernanceError`), and never raises anything else.

Inputs come three ways: documents drawn from the format's JSON Schema, the bundled valid files bent by
`hostile` (a value replaced by a nasty one, a key dropped or added, nesting 3,000 deep), and the valid
files' text edited character by character. The report at the end of the run counts each outcome.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.parsing import parse_text

from .conftest import EXAMPLES
from .formats import FORMATS, Format, check
from .strategies import from_schema, hostile, mangled_text, serialised


def inputs(fmt: Format) -> st.SearchStrategy[tuple[str, str, str]]:
    """(how it was made, suffix, text)."""
    schema = fmt.model.model_json_schema(by_alias=True)
    documents = [parse_text(text, suffix) for suffix, text in fmt.seeds if suffix != ".csv"]
    drawn = st.tuples(from_schema(schema), st.sampled_from(fmt.suffixes)).map(
        lambda pair: ("schema", pair[1], serialised(pair[0], pair[1]))
    )
    bent = st.tuples(st.sampled_from(documents).flatmap(hostile), st.sampled_from(fmt.suffixes)).map(
        lambda pair: ("bent", pair[1], serialised(pair[0], pair[1]))
    )
    edited = st.sampled_from(fmt.seeds).flatmap(
        lambda seed: mangled_text(seed[1]).map(lambda text: ("edited", seed[0], text))
    )
    return st.one_of(drawn, bent, edited)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_generated_input_is_accepted_or_refused_with_a_code(
    name: str, tmp_path_factory: pytest.TempPathFactory, outcomes: dict[str, Counter[str]]
) -> None:
    fmt = FORMATS[name]
    folder = tmp_path_factory.mktemp(name)
    counts = outcomes.setdefault(name, Counter())

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same inputs every run: CI's figure is reproducible
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(inputs(fmt))
    def run(case: tuple[str, str, str]) -> None:
        how, suffix, text = case
        counts[f"{how}-{check(fmt, folder, suffix, text)}"] += 1

    run()
    assert sum(counts.values()) >= EXAMPLES


def test_the_seeds_are_accepted(tmp_path: Path) -> None:
    """The starting points are valid, so the bent and edited inputs sit close to what the engine accepts."""
    assert {name: [check(f, tmp_path, s, t) for s, t in f.seeds] for name, f in FORMATS.items()} == {
        name: ["accepted"] * len(f.seeds) for name, f in FORMATS.items()
    }
