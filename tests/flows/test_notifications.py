"""Notifications: every committed record a Prefect event; what is due as events; the shipped automations."""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows import events as flow_events
from governance import events
from governance.ledger import Ledger, NewRecord
from governance.store import Store

from ..conftest import EXAMPLES, ROOT
from .servers import prefect_server

pytestmark = pytest.mark.prefect


@pytest.fixture
def asserting_events(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Prefect's own asserting client in place of the server's: the events as `emit_event` made them."""
    from prefect.events.clients import AssertingEventsClient
    from prefect.events.worker import EventsWorker

    worker = EventsWorker.instance(AssertingEventsClient)
    monkeypatch.setattr(EventsWorker, "instance", lambda *_: worker)
    events.add_listener(flow_events.emit_records)
    try:
        yield
    finally:
        events.remove_listener(flow_events.emit_records)
        worker.drain()


def test_each_committed_record_is_one_event(governance_url: str, asserting_events: None) -> None:
    from prefect.events.clients import AssertingEventsClient
    from prefect.events.worker import EventsWorker

    from governance.clock import FixedClock, SeededIds
    from tests.conftest import START

    store = Store(governance_url)
    store.upgrade()
    ledger = Ledger(FixedClock(START), SeededIds("events"), engine_version="test")
    with pytest.raises(RuntimeError), store.write() as conn:
        ledger.append(conn, [NewRecord(kind="noted", subject="P-2026-0001", payload={})], "ana")
        raise RuntimeError("rolled back")
    with store.write() as conn:
        written = ledger.append(
            conn,
            [
                NewRecord(kind="recommended", subject="P-2026-0001", payload={}, outcome="go", policy_version="v1"),
                NewRecord(kind="reviewed", subject="Q-2026Q4", payload={}, outcome="continue"),
            ],
            "ana",
        )
    store.dispose()
    EventsWorker.instance().drain()
    client = AssertingEventsClient.last
    assert client is not None
    got = [(e.event, e.resource.id, e.payload, str(e.id)) for e in client.events]
    assert got == [
        (
            made.event,
            made.resource["prefect.resource.id"],
            made.payload,
            str(made.id),
        )
        for made in map(events.record_event, written)
    ]
    assert [e.event for e in client.events] == ["governance.record.recommended", "governance.record.reviewed"]


def test_a_large_transaction_sends_a_batch_event_and_the_relay_sends_every_record(
    governance_url: str, asserting_events: None
) -> None:
    from prefect.events.clients import AssertingEventsClient
    from prefect.events.worker import EventsWorker

    from governance.clock import FixedClock, SeededIds
    from tests.conftest import START

    store = Store(governance_url)
    store.upgrade()
    ledger = Ledger(FixedClock(START), SeededIds("relay"), engine_version="test")
    bulk = [NewRecord(kind="screened", subject=f"P-2026-{n:04d}", payload={}) for n in range(1, 61)]
    bulk.insert(30, NewRecord(kind="decided", subject="P-2026-0031", payload={}, outcome="go"))
    with store.write() as conn:
        written = ledger.append(conn, bulk, "pmo")
    with store.write() as conn:
        written += ledger.append(conn, [NewRecord(kind="withdrawn", subject="P-2026-0002", payload={})], "ana")
    EventsWorker.instance().drain()
    client = AssertingEventsClient.last
    assert client is not None
    # As they commit: the batch event and its one decision; the small transaction's record.
    assert [(e.event, str(e.id)) for e in client.events] == [
        ("governance.records.appended", str(events.batch_event(written[:61]).id)),
        ("governance.record.decided", str(events.record_event(written[30]).id)),
        ("governance.record.withdrawn", str(events.record_event(written[61]).id)),
    ]
    assert client.events[0].payload == {
        "first_seq": 1,
        "last_seq": 61,
        "count": 61,
        "kinds": {"decided": 1, "screened": 60},
        "hash": written[60].hash,
        "recorded_by": "pmo",
    }
    # Later, the relay: every record after its place, in order, with the ids they had or would have had.
    sent: list[events.RecordEvent] = []
    assert flow_events.relay(store, 0, sent.append, batch=7) == 62
    assert sent == [events.record_event(r) for r in written]
    more: list[events.RecordEvent] = []
    assert flow_events.relay(store, 62, more.append) == 62
    assert more == []
    from_the_middle: list[events.RecordEvent] = []
    assert flow_events.relay(store, 59, from_the_middle.append) == 62
    assert [e.payload["seq"] for e in from_the_middle] == [60, 61, 62]
    store.dispose()


class _Hook(http.server.BaseHTTPRequestHandler):
    """A webhook on loopback: every POSTed JSON body kept in the server's `received`."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.received.append(json.loads(body))  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, str]]]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/notify", server.received  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def _wait_for(received: list[dict[str, str]], needle: str, limit: float = 90) -> dict[str, str]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for message in list(received):
            if needle in message["body"]:
                return message
        time.sleep(0.5)
    raise AssertionError(f"no notification with {needle!r} within {limit} s; received {received}")


def test_the_board_is_notified_of_a_decision_and_a_missing_status_report(
    tmp_path: Path, prefect_database: dict[str, str], webhook: tuple[str, list[dict[str, str]]]
) -> None:
    """A real `prefect server start`, the block and automations installed the shipped way (python -m
    flows.automations with the webhook's URL in its environment), then a real `governance decide` against
    the server and a due-check flow run: the webhook on loopback receives both notifications."""
    from governance.reports import file_status_reports, read_status_reports

    from ..cli.conftest import awaiting_board, engine_in
    from ..commands import run

    hook_url, received = webhook
    folder = tmp_path / "work"
    folder.mkdir()
    awaiting_board(folder)
    assert run(folder, "import", "projects", str(EXAMPLES / "projects" / "running-projects.yaml")).returncode == 0
    reports = folder / "q3"
    shutil.copytree(EXAMPLES / "status" / "2026Q3", reports)
    (reports / "zigbee.yaml").unlink()
    with engine_in(folder, "reports") as (store, book):
        file_status_reports(store, book, read_status_reports([str(reports)], "2026Q3"), "pmo")

    with prefect_server(tmp_path, "127.0.0.1", prefect_database) as (api, env):
        refused = subprocess.run(
            [sys.executable, "-m", "flows.automations"], env=env, capture_output=True, text=True, check=False
        )
        assert (refused.returncode, refused.stdout) == (1, "")
        assert refused.stderr.startswith("error: no notification channel: set one of GOVERNANCE_NOTIFY_SLACK_URL")
        installed = subprocess.run(
            [sys.executable, "-m", "flows.automations"],
            env=dict(env, GOVERNANCE_NOTIFY_WEBHOOK_URL=hook_url, GOVERNANCE_NOTIFY_ALLOW_PRIVATE_URLS="true"),
            capture_output=True,
            text=True,
            check=False,
        )
        assert (installed.returncode, installed.stderr) == (0, "")
        assert installed.stdout.splitlines()[-1] == "6 automations send through the block governance-notifications"
        assert hook_url not in (ROOT / "deploy" / "automations.yaml").read_text(encoding="utf-8")

        # A decision recorded on the command line, with PREFECT_API_URL set: its record is an event.
        served = {"PREFECT_API_URL": api, "PREFECT_HOME": env["PREFECT_HOME"]}
        decided = run(
            folder, "decide", "P-2026-0001", "--gate", "1", "--outcome", "conditional-go", "--by", "ana",
            "--rationale", "Needs a second supplier", "--vote", "ana=conditional-go", "--vote", "raj=conditional-go",
            "--vote", "lee=hold", "--meeting-date", "2026-11-23",
            "--condition", "supplier audit by 2026-11-01, owner: Tom Becker", env=served,
        )  # fmt: skip
        assert (decided.returncode, decided.stderr) == (0, "")
        history = json.loads(run(folder, "show", "P-2026-0001", "--json").stdout)["history"]
        [record] = [h for h in history if h["kind"] == "decided"]
        message = _wait_for(received, f"hash {record['hash']}")
        assert message == {
            "subject": "Governance: P-2026-0001 decided conditional-go",
            "body": (
                f"P-2026-0001: decided conditional-go, recorded by {record['recorded_by']} (record {record['seq']}, "
                f"hash {record['hash']}, policy {record['policy_version']}). Check the ledger: governance verify"
            ),
        }

        # The daily due-check, on 2026-12-07: the Zigbee project's 2026Q3 report was due on 2026-10-15.
        due_env = dict(
            env,
            GOVERNANCE_DATABASE_URL=f"sqlite:///{folder / 'governance.db'}",
            GOVERNANCE_CLOCK_START="2026-12-07T09:00:00Z",
            GOVERNANCE_ID_SEED="due",
        )
        checked = subprocess.run(
            [sys.executable, "-c", "from flows.due import due_check_flow; due_check_flow()"],
            env=due_env, cwd=folder, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert checked.returncode == 0, checked.stderr
        missing = _wait_for(received, "has no status report for")
        assert missing == {
            "subject": "Governance: P-2026-0007 has no 2026Q3 status report",
            "body": (
                "P-2026-0007 (Zigbee bridge for legacy sensors) has no status report for 2026Q3: it was due "
                "2026-10-15, 53 days ago (policy: review.report_due_days)."
            ),
        }
        overdue = _wait_for(received, "days overdue")
        assert overdue["subject"] == "Governance: condition C-2026-0001-G1-1 is overdue"

        # The ledger-events relay: every record so far once, then nothing new; its place is a Prefect Variable.
        relay = "import json; from flows.due import ledger_events_flow as f; print(json.dumps(f()))"
        relayed = [
            subprocess.run(
                [sys.executable, "-c", relay], env=due_env, cwd=folder, capture_output=True, text=True, check=False
            )
            for _ in range(2)
        ]
        assert [r.returncode for r in relayed] == [0, 0], [r.stderr for r in relayed]
        head = int(json.loads(run(folder, "verify", "--json").stdout)["head"].split(":")[0])
        assert [json.loads(r.stdout.splitlines()[-1]) for r in relayed] == [
            {"after": 0, "last": head, "sent": head},
            {"after": head, "last": head, "sent": 0},
        ]
