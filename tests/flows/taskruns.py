"""The task runs of a flow run, as the server has recorded them.

Task run states reach the server as events, recorded a moment after the flow returns: under load a task was
still missing or shown RUNNING right after its flow had completed (seen in CI, in both flow tests), so a
test reads them again until they are what it waits for (at most a minute).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.sorting import TaskRunSort


def task_runs(flow_run_id: Any, done: Callable[[list[Any]], bool], limit: int = 200) -> list[Any]:
    """The flow run's task runs once `done(runs)` holds, or as they are after a minute."""
    deadline = time.monotonic() + 60
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
                sort=TaskRunSort.EXPECTED_START_TIME_ASC,
                limit=limit,
            )
            if done(runs) or time.monotonic() > deadline:
                return list(runs)
            time.sleep(0.5)
