"""The runner's flow gateway: the fast path for commands while `governance server start` runs.

A command that runs a flow would otherwise import Prefect (1.5-2 s here) and flush its events at
exit (0.5-1 s) before doing any work. The runner process started by `governance server start`
already has Prefect imported and connected, so it also listens on loopback for "run this flow
with these arguments" and runs the flow there: a real flow run on the local server, recorded as
any other. The command sends the request and prints the result without importing Prefect.

Only the flows in `FLOWS` can be run, one at a time; each request carries the token from
`GOVERNANCE_HOME/server.json` (file mode 0600). Results travel as JSON and are rebuilt into the
flow's own result types (`decode`).
"""

from __future__ import annotations

import hmac
import json
import os
import threading
import urllib.error
import urllib.request
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from governance.canonical import to_plain
from governance.errors import ConfigError, GovernanceError, Problem

__all__ = ["FLOWS", "call", "decode", "serve_gateway"]

# name -> (module, flow function, result type)
FLOWS: dict[str, tuple[str, str]] = {
    "intake": ("flows.intake", "intake_flow"),
    "score": ("flows.gates", "score_flow"),
}


def _encode(result: Any) -> dict[str, Any]:
    return {"type": type(result).__name__, "data": to_plain(asdict(result))}


def decode(payload: dict[str, Any]) -> Any:
    """A flow result from its JSON form (the command's side)."""
    kind, data = payload["type"], payload["data"]
    problems = [Problem(**p) for p in data.get("problems", [])]
    if kind == "IntakeReport":
        from flows.intake import IntakeReport
        from governance.intake import Filing

        return IntakeReport(
            filings=[Filing(**f) for f in data["filings"]],
            problems=problems,
            chunks=data["chunks"],
            artifact_ids=data["artifact_ids"],
        )
    if kind == "ScoreReport":
        from flows.gates import ScoreReport

        return ScoreReport(ranking=data["ranking"], problems=problems, chunks=data["chunks"])
    raise ConfigError(f"the gateway answered with an unknown result type {kind!r}")


class _Handler(BaseHTTPRequestHandler):
    server: _Gateway

    def log_message(self, format: str, *args: Any) -> None:
        return  # requests are flow runs: the Prefect server records them

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        given = self.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {self.server.token}".encode()):
            self._reply(403, {"error": {"code": "config-invalid", "message": "wrong gateway token"}})
            return
        name = self.path.removeprefix("/flows/")
        if name not in FLOWS:
            self._reply(404, {"error": {"code": "not-found", "message": f"no flow {name!r} at the gateway"}})
            return
        try:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            args, cwd = request["args"], request["cwd"]
        except (ValueError, KeyError, TypeError):
            self._reply(400, {"error": {"code": "config-invalid", "message": 'expected {"args": [...], "cwd": "..."}'}})
            return
        try:
            # One flow at a time, in the command's working folder: relative paths and the messages
            # that name them are what they would be had the command run the flow itself.
            with self.server.lock:
                previous = Path.cwd()
                os.chdir(cwd)
                try:
                    result = self.server.run(name, args)
                finally:
                    os.chdir(previous)
        except GovernanceError as error:
            self._reply(200, {"error": {"code": error.code, "message": error.message}})
            return
        self._reply(200, {"result": _encode(result)})


class _Gateway(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, token: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.token = token
        self.lock = threading.Lock()

    def run(self, name: str, args: list[Any]) -> Any:
        import importlib

        from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

        module, function = FLOWS[name]
        flow_ = getattr(importlib.import_module(module), function)
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            return flow_(*args)


def _warm_up() -> None:
    """One tiny flow run (`gateway-warm-up`, visible in the UI once per start), so that the first
    command after `governance server start` does not pay Prefect's first-run costs (several seconds)."""
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    @task(name="warm-up", cache_policy=NO_CACHE, persist_result=False)
    def nothing() -> int:
        return 1

    @flow(name="gateway-warm-up", persist_result=False)
    def warm_up() -> int:
        return nothing()

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        warm_up()


def serve_gateway(token: str, port_file: Path) -> threading.Thread:
    """Warm up, then start the gateway on a free loopback port (written to `port_file`) in a daemon thread."""
    _warm_up()
    gateway = _Gateway(token)
    port_file.write_text(str(gateway.server_address[1]), encoding="utf-8")
    thread = threading.Thread(target=gateway.serve_forever, name="governance-gateway", daemon=True)
    thread.start()
    return thread


def call(url: str, token: str, name: str, args: list[Any], timeout: float = 3600) -> Any:
    """Run flow `name` at the gateway and return its result (raises the flow's GovernanceError)."""
    body = json.dumps({"args": to_plain(args), "cwd": str(Path.cwd())}).encode()
    request = urllib.request.Request(  # noqa: S310 - our own loopback gateway
        f"{url}/flows/{name}",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback only
            answer = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        answer = json.loads(exc.read() or b"{}")
    except (urllib.error.URLError, OSError) as exc:
        raise ConfigError(
            f"the runner's gateway at {url} does not answer ({exc}); try `governance server stop`"
        ) from None
    if "error" in answer:
        raise GovernanceError(answer["error"]["message"], code=answer["error"]["code"])
    return decode(answer["result"])
