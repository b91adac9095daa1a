"""Reading assessment files (governance.assessments): a bad CSV is refused with every problem named."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.assessments import read_assessments
from governance.errors import InputRefused, Problem

HEADER = "proposal,gate,assessor,strategic-fit,market-attractiveness,legal-compliance,comment\n"


def test_csv_row_with_more_cells_than_the_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gate1.csv"
    path.write_text(HEADER + "NW-THERMO-V2,1,raj,9,8,yes,\nNW-THERMO-V2,1,lee,8,9,yes,,Lee Okafor\n", encoding="utf-8")
    with pytest.raises(InputRefused) as refused:
        read_assessments([path])
    assert refused.value.problems == (
        Problem(str(path), "row 3", "", "parse-error", "more cells than the header has columns"),
    )


@pytest.mark.parametrize("character", ["\x1b", "\x9b", "\u202e"], ids=["escape", "c1-csi", "bidi-override"])
def test_csv_comment_with_a_control_character_is_refused(tmp_path: Path, character: str) -> None:
    """A CSV cell is not parsed as YAML or JSON: the model refuses what would reach a terminal as a command."""
    path = tmp_path / "gate1.csv"
    path.write_text(HEADER + f"NW-THERMO-V2,1,raj,9,8,yes,Strong{character}2J fit\n", encoding="utf-8")
    with pytest.raises(InputRefused) as refused:
        read_assessments([path])
    assert refused.value.problems == (
        Problem(str(path), "row 2", "comment", "markup-in-text", "control characters are not allowed in text"),
    )
