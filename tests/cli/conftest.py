"""A working folder with an initialised database, for the command tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..commands import run


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    result = run(tmp_path, "init")
    assert result.returncode == 0, result.stderr
    return tmp_path
