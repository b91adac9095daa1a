"""Two Prefect API processes behind a load balancer, Redis as their message broker (issue 10).

As Prefect's self-hosting guide ("How to scale self-hosted Prefect") describes: the API processes started
with `prefect server start --no-services`, the background services (scheduler, event persister, task-run
recorder, triggers) in one `prefect server services start`, all on the same PostgreSQL database and the
same Redis (`prefect-redis`). The load balancer is a round-robin TCP forwarder written here. Through it:
`prefect deploy --all`, a `prefect worker start`, the intake deployment run from stored inputs, the
quarterly schedule's runs. Events sent to either API process reach the services process only through
Redis, so the run's events read back from each API process, and its task runs, show that they did.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from governance import views
from governance.ledger import verify

from ..conftest import ROOT
from .servers import (
    PREFECT,
    answers,
    client_env,
    deploy_all,
    free_port,
    post,
    prefect_cli,
    quarterly_schedule,
    start,
    stop_group,
    stored_examples,
    wait,
)

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
MESSAGING_DB, DOCKET_DB = 5, 6  # this test's own Redis databases, flushed before and after


def _redis_answers() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


pytestmark = [
    pytest.mark.prefect,
    pytest.mark.skipif(not _redis_answers(), reason=f"no Redis answers PING at {REDIS_HOST}:{REDIS_PORT}"),
]


class Balancer:
    """A round-robin TCP load balancer on loopback: each new connection goes to the next backend and its
    bytes are copied both ways untouched, so HTTP keep-alive and websocket upgrades pass through. Records
    each connection's backend and its first request line."""

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.requests: list[tuple[int, str]] = []  # (backend index, first request line)
        self._next = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def connections(self) -> list[int]:
        return [sum(1 for index, _ in list(self.requests) if index == i) for i in range(len(self.backends))]

    def __enter__(self) -> Balancer:
        self._thread.start()
        start = asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self._server = asyncio.run_coroutine_threadsafe(start, self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        async def close() -> None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        index, self._next = self._next, (self._next + 1) % len(self.backends)
        upstream: asyncio.StreamWriter | None = None
        try:
            first = await reader.read(65536)
            self.requests.append((index, first.split(b"\r\n", 1)[0].decode(errors="replace")))
            up_reader, upstream = await asyncio.open_connection("127.0.0.1", self.backends[index])
            upstream.write(first)
            await asyncio.gather(self._pipe(reader, upstream), self._pipe(up_reader, writer))
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            for w in (writer, upstream):
                if w is not None:
                    w.close()
            self._tasks.discard(task)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            with contextlib.suppress(OSError):
                writer.write_eof()


def _redis(db: int) -> redis.Redis:
    return redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db, decode_responses=True)


def _about(event: dict[str, Any], run_id: str) -> bool:
    """Whether the event's resource, or one of its related resources, is the flow run."""
    ids = [event["resource"]["prefect.resource.id"]] + [r["prefect.resource.id"] for r in event.get("related", [])]
    return f"prefect.flow-run.{run_id}" in ids


def _stored_events(api: str, run_id: str) -> list[dict[str, Any]]:
    """The run's events (its own and its task runs') as `POST /api/events/filter` on `api` returns them."""
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    body = {"filter": {"any_resource": {"id": [f"prefect.flow-run.{run_id}"]}, "occurred": {"since": since}}}
    page = post(f"{api}/events/filter", dict(body, limit=50))
    assert isinstance(page, dict) and page["next_page"] is None, page  # one page holds them all
    return list(page["events"])


class Subscriber:
    """A live `/api/events/out` subscription on one API process (no backfill from the database, so it sees
    only events that process's distributor reads from the message broker while it is open)."""

    def __init__(self, api: str) -> None:
        from websockets.sync.client import connect

        self.events: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._socket = connect(api.replace("http", "ws", 1) + "/events/out", subprotocols=[Subprotocol("prefect")])
        self._socket.send(json.dumps({"type": "auth", "token": None}))
        assert json.loads(self._socket.recv(10)) == {"type": "auth_success"}
        now = dt.datetime.now(dt.UTC)
        occurred = {
            "since": (now - dt.timedelta(minutes=1)).isoformat(),
            "until": (now + dt.timedelta(hours=1)).isoformat(),
        }
        self._socket.send(json.dumps({"type": "filter", "filter": {"occurred": occurred}, "backfill": False}))
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                message = json.loads(self._socket.recv(0.5))
            except TimeoutError:
                continue
            except ConnectionClosed:
                return
            if message.get("type") == "event":
                self.events.append(message["event"])

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._socket.close()


@pytest.fixture
def ha_env(tmp_path: Path, prefect_database: dict[str, str]) -> Iterator[dict[str, str]]:
    """The environment every Prefect server process shares: PostgreSQL, Redis messaging, cache, ordering,
    lease storage, worker cleanup queue and Docket; this test's Redis databases flushed around it."""
    if not prefect_database:
        pytest.skip("several Prefect API processes need PostgreSQL (GOVERNANCE_TEST_POSTGRES_URL is not set)")
    env = dict(
        client_env(tmp_path),
        **prefect_database,
        PREFECT_MESSAGING_BROKER="prefect_redis.messaging",
        PREFECT_MESSAGING_CACHE="prefect_redis.messaging",
        PREFECT_SERVER_EVENTS_CAUSAL_ORDERING="prefect_redis.ordering",
        PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE="prefect_redis.lease_storage",
        PREFECT_SERVER_WORKER_CHANNEL_CLEANUP_QUEUE_STORAGE="prefect_redis.cleanup_queue",
        PREFECT_REDIS_MESSAGING_HOST=REDIS_HOST,
        PREFECT_REDIS_MESSAGING_PORT=str(REDIS_PORT),
        PREFECT_REDIS_MESSAGING_DB=str(MESSAGING_DB),
        PREFECT_REDIS_WORKER_CLEANUP_QUEUE_HOST=REDIS_HOST,
        PREFECT_REDIS_WORKER_CLEANUP_QUEUE_PORT=str(REDIS_PORT),
        PREFECT_REDIS_WORKER_CLEANUP_QUEUE_DB=str(MESSAGING_DB),
        PREFECT_SERVER_DOCKET_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/{DOCKET_DB}",
        PREFECT_SERVER_DATABASE_MIGRATE_ON_START="false",
    )
    for db in (MESSAGING_DB, DOCKET_DB):
        with _redis(db) as client:
            client.flushdb()
    try:
        yield env
    finally:
        for db in (MESSAGING_DB, DOCKET_DB):
            with _redis(db) as client:
                client.flushdb()


FINISHED = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def test_two_api_processes_behind_a_balancer_share_redis(
    ha_env: dict[str, str], governance_url: str, tmp_path: Path
) -> None:
    # Migrations once, before any server process starts (they start with MIGRATE_ON_START off).
    prefect_cli(["server", "database", "upgrade", "-y"], ha_env, timeout=180)

    # Each server process with its own PREFECT_HOME, as on its own host. The first API process starts
    # alone: two starting at once on a fresh database both register Prefect's block types, and one
    # exits ("duplicate key value violates unique constraint uq_block_type__slug").
    ports = [free_port(), free_port()]
    apis = [f"http://127.0.0.1:{port}/api" for port in ports]
    processes: dict[str, subprocess.Popen[bytes]] = {}

    def api_process(i: int) -> subprocess.Popen[bytes]:
        return start(
            [*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(ports[i]), "--no-services"],
            dict(ha_env, PREFECT_HOME=str(tmp_path / f"home-api-{i}")),
            tmp_path / f"api-{i}.log",
        )

    def until_ready(count: int) -> None:
        """Until the first `count` API processes answer /api/ready; fails on any process that exited."""
        deadline = time.monotonic() + 120
        while not all(answers(a, "ready") for a in apis[:count]):
            for name, p in processes.items():
                assert p.poll() is None, (tmp_path / f"{name}.log").read_text()
            assert time.monotonic() < deadline, "the Prefect API processes did not start"
            time.sleep(0.5)

    try:
        processes["api-0"] = api_process(0)
        until_ready(1)
        processes["api-1"] = api_process(1)
        processes["services"] = start(
            [*PREFECT, "server", "services", "start"],
            dict(
                ha_env,
                PREFECT_HOME=str(tmp_path / "home-services"),
                PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="2",
            ),
            tmp_path / "services.log",
        )
        until_ready(2)
        with Balancer(ports) as balancer:
            _run_through(balancer, apis, governance_url, tmp_path)
    finally:
        for p in processes.values():
            stop_group(p)


def _run_through(balancer: Balancer, apis: list[str], governance_url: str, tmp_path: Path) -> None:
    api = balancer.url
    env = dict(client_env(tmp_path), PREFECT_API_URL=api)
    by_name = deploy_all(api, env, ROOT)
    declared = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
    assert sorted(by_name) == sorted(d["name"] for d in declared)

    # The scheduler runs only in the services process: it creates the quarterly review's next runs.
    quarterly_schedule(api, by_name["quarterly-review"]["id"], tmp_path / "services.log")

    # A worker in an empty folder, through the balancer; the intake deployment on stored inputs; a live
    # event subscription on each API process directly.
    store, refs = stored_examples(governance_url, tmp_path, "redis")
    worker_dir = tmp_path / "worker"
    worker_dir.mkdir()
    worker_env = dict(env, GOVERNANCE_DATABASE_URL=governance_url, PREFECT_WORKER_QUERY_SECONDS="1")
    subscribers: list[Subscriber] = []
    try:
        subscribers += [Subscriber(a) for a in apis]
        worker = start(
            [*PREFECT, "worker", "start", "--pool", "governance", "--name", "worker-ha"],
            worker_env,
            tmp_path / "worker.log",
            cwd=worker_dir,
        )
        try:
            time.sleep(1)  # for the subscriptions to reach their process's distributor (no answer is sent)
            filed = post(
                f"{api}/deployments/{by_name['intake']['id']}/create_flow_run",
                {"parameters": {"sources": refs, "actor": "jonas"}},
            )
            assert isinstance(filed, dict)
            run_id = str(filed["id"])
            done = wait(api, run_id, FINISHED, 150)
        finally:
            stop_group(worker, signal.SIGKILL)
        log = (tmp_path / "worker.log").read_text(encoding="utf-8", errors="replace")
        assert done["state_type"] == "COMPLETED", log[-3000:]
        stored = _stored_events_on_each(apis, run_id)
    finally:
        for subscriber in subscribers:
            subscriber.close()
    ids = sorted(str(e["id"]) for e in stored)
    task_run_ids = sorted(
        {str(e["resource"]["prefect.resource.id"]).removeprefix("prefect.task-run.")
         for e in stored if str(e["event"]).startswith("prefect.task-run.")}
    )  # fmt: skip
    # Live: each API process's distributor passed on every one of the run's events, whichever process
    # received it.
    assert [sorted(str(e["id"]) for e in s.events if _about(e, run_id)) for s in subscribers] == [ids, ids]

    assert os.listdir(worker_dir) == []
    with store.read() as conn:
        listed = views.proposals(conn)
    assert [(p.id, p.state) for p in listed][:2] == [("P-2026-0001", "screened"), ("P-2026-0002", "screened")]
    assert len(listed) == 32
    report = verify(store)
    assert (report.ok, report.records) == (True, 1 + 2 * 32)
    store.dispose()

    # The task runs' states travel as events too (from the flow run's process): the services process's
    # task-run recorder wrote every task run the events name.
    task_runs = post(f"{api}/task_runs/filter", {"flow_runs": {"id": {"any_": [run_id]}}, "limit": 200})
    assert sorted((t["id"], t["state_type"]) for t in task_runs) == [(t, "COMPLETED") for t in task_run_ids]
    assert {t["task_key"].rsplit("-", 1)[0] for t in task_runs} >= {"validate_task", "file_chunk_task"}

    # In Redis: the `events` and `actions` streams with the services' consumer groups, and every event of
    # the run in the publishers' deduplication cache and among those the triggers service has seen.
    with _redis(MESSAGING_DB) as client:
        keys = {str(key): str(client.type(key)) for key in client.scan_iter()}
        streams = sorted(k for k, t in keys.items() if t == "stream")
        groups = {s: sorted(str(g["name"]) for g in client.xinfo_groups(s)) for s in streams}
    assert streams == ["actions", "events"]
    assert groups == {"actions": ["actions"], "events": ["event-persister", "reactive-triggers", "task-run-recorder"]}
    assert {f"message:messaging-cache:{i}" for i in ids} <= set(keys)
    assert {f"triggers:seen:{i}" for i in ids} <= set(keys)
    assert any(k.startswith("prefect:worker-cleanup:") for k in keys), keys  # the worker cleanup queue
    # Docket in its own Redis database: the API processes' docket ("prefect-server") and the services
    # process's ("prefect"), whose perpetual tasks include the scheduler.
    with _redis(DOCKET_DB) as client:
        docket = sorted(str(k) for k in client.scan_iter())
    assert "prefect:schedule_deployments" in docket, docket
    assert any(k.startswith("prefect-server:") for k in docket), docket

    # Both API processes served requests through the balancer, websockets included.
    connections = balancer.connections()
    assert min(connections) > 0, connections
    lines = {line.split("?")[0] for _, line in balancer.requests}
    assert {
        "GET /api/events/in HTTP/1.1",  # clients sending events
        "GET /api/events/out HTTP/1.1",  # event subscriptions (the worker's cancellation observer)
        "GET /api/work_pools/governance/workers/connect HTTP/1.1",  # the worker's channel
    } <= lines, lines


def _stored_events_on_each(apis: list[str], run_id: str) -> list[dict[str, Any]]:
    """The run's events once each API process returns them all from `POST /api/events/filter`.
    Events reach PostgreSQL only through the services process (its event persister reads them from Redis)."""
    expected = [
        "governance.records.appended",  # the intake's chunk of records, sent as it committed (flows.events)
        "prefect.artifact-collection.created",
        "prefect.artifact.created",
        "prefect.flow-run.Completed",
        "prefect.flow-run.Pending",
        "prefect.flow-run.Running",
        "prefect.flow-run.Scheduled",
        "prefect.flow-run.Submitting",
        "prefect.task-run.Completed",
        "prefect.task-run.Pending",
        "prefect.task-run.Running",
        "prefect.worker.submitted-flow-run",
    ]
    deadline = time.monotonic() + 60
    while True:  # the persister writes in batches, in no particular order
        stored = [_stored_events(a, run_id) for a in apis]
        ids = sorted(str(e["id"]) for e in stored[0])
        names = {str(e["event"]) for e in stored[0]}
        if names >= set(expected) and sorted(str(e["id"]) for e in stored[1]) == ids:
            break
        assert time.monotonic() < deadline, (names, [len(s) for s in stored])
        time.sleep(1)
    assert sorted(names - {"prefect.flow-run.heartbeat"}) == expected  # heartbeats: as many as the run lasts
    return stored[0]
