"""A chair answers a gate in the Prefect UI, in a real browser (Debian's chromium, playwright-core from npm).

The local server runs on a port other than Prefect's 4200 (its UI must call its own API there); the
Resume form shows the recommendation and the decision's fields; submitting it records one decision.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from governance.ledger import records_for
from governance.store import Store

from ..commands import assessment_csv, run
from ..conftest import EXAMPLES, ROOT
from .servers import free_port, wait

BROWSER = ROOT / "tests" / "browser"


@pytest.mark.prefect
def test_a_chair_answers_a_gate_in_the_prefect_ui(tmp_path: Path) -> None:
    if not Path("/usr/bin/chromium").exists() or not (BROWSER / "node_modules" / "playwright-core").exists():
        pytest.skip("needs /usr/bin/chromium and `npm ci --prefix tests/browser` (make test installs both)")
    node = shutil.which("node")
    assert node is not None
    port = free_port()
    assert port != 4200
    env = {"GOVERNANCE_HOME": str(tmp_path / ".governance")}
    assert run(tmp_path, "init", env=env).returncode == 0
    started = run(tmp_path, "server", "start", "--port", str(port), env=env)
    api = f"http://127.0.0.1:{port}/api"
    try:
        assert started.returncode == 0, started.stderr
        proposal = str(EXAMPLES / "proposals" / "10-cloud-iot-core-platform.yaml")
        assert run(tmp_path, "submit", proposal, env=env).returncode == 0
        scored = run(tmp_path, "score", str(assessment_csv(tmp_path / "a.csv", "NW-CLOUD-CORE", (6, 5))), env=env)
        assert scored.returncode == 0, scored.stderr
        gated = run(tmp_path, "gate", "P-2026-0001", env=env)
        assert gated.returncode == 0, gated.stderr
        ui_url = gated.stdout.splitlines()[1].split()[0]
        assert ui_url.startswith(f"http://127.0.0.1:{port}/runs/flow-run/")
        run_id = ui_url.rsplit("/", 1)[1]
        wait(api, run_id, {"Suspended"})

        answer = {
            "rationale": "Needs a second supplier",
            "decided_by": "ana",
            "meeting_date": "2026-11-23",
            "votes": "ana=conditional-go, raj=conditional-go, lee=hold",
            "conditions": "supplier audit by 2027-01-15, owner: Tom Becker",
        }
        browsed = subprocess.run(
            [node, str(BROWSER / "resume_gate.mjs"), ui_url, json.dumps(answer), str(tmp_path / "form.png")],
            cwd=BROWSER,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert browsed.returncode == 0, browsed.stderr
        seen = json.loads(browsed.stdout)
        assert seen["title"] == "Resume Flow Run"
        assert seen["description"].splitlines()[:2] == [
            "P-2026-0001: gate 1 recommendation conditional-go",
            "score 56.49 >= 50 but < 60",
        ]
        assert "Total 56.49" in seen["description"]
        assert seen["fields"] == [
            "Outcome (Optional)",
            "Rationale",
            "Decided By",
            "Meeting Date",
            "Votes (Optional)",
            "Conditions (Optional)",
            "Conflicts (Optional)",
            "Signatures (Optional)",
        ]
        assert (seen["proposed_outcome"], seen["submitted"]) == ("conditional-go", True)
        done = wait(api, run_id, {"COMPLETED", "FAILED", "CRASHED"})
        assert done["state_type"] == "COMPLETED", done["state"]
    finally:
        run(tmp_path, "server", "stop", env=env)

    store = Store(f"sqlite:///{tmp_path / 'governance.db'}")
    with store.read() as conn:
        history = records_for(conn, "P-2026-0001")
    store.dispose()
    decided = [r for r in history if r.kind == "decided"]
    assert [(r.outcome, r.recorded_by) for r in decided] == [("conditional-go", "ana")]
    assert decided[0].payload["decided_by"] == "ana"
    assert decided[0].payload["rationale"] == "Needs a second supplier"
