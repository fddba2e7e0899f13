"""The client-side rate limit (settings.sync.rate_limit) shared by every process through the
database: start times are reserved a few at a time, yet the platform's limit is not exceeded."""

from __future__ import annotations

import anyio

from benefits_tui.domain.states import SyncState
from benefits_tui.services.queries import employee_detail
from benefits_tui.services.sync.requests import Selection, request_sync
from benefits_tui.services.sync.worker import SyncWorker
from tests.helpers import Simulator, add_people, services

RATE = 20.0


async def test_client_side_rate_limit_keeps_two_workers_under_the_platform_limit(database_url: str) -> None:
    sim = Simulator(rate_limit=RATE)
    async with services(database_url, sim, rate_limit=RATE) as context, \
            services(database_url, sim, rate_limit=RATE) as other:
        ids = await add_people(context, 40)
        await request_sync(context, Selection.of(ids))
        started = anyio.current_time()
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: SyncWorker(context, concurrency=8).drain(timeout=60))
            group.start_soon(lambda: SyncWorker(other, concurrency=8).drain(timeout=60))
        elapsed = anyio.current_time() - started
        details = [await employee_detail(context, i) for i in ids]
    assert all(d.state is SyncState.SUCCESSFUL for d in details)
    log = await sim.requests()
    statuses = [r["status"] for r in log if r["path"].startswith("/v1/accounts")]
    assert statuses.count(429) == 0, statuses
    assert len(statuses) == 80  # a look-up and a create each
    # 80 requests at 20/s take about 4 s (less the simulator's one-second burst is not used).
    assert elapsed >= (len(statuses) - 1) / RATE * 0.9, elapsed
