"""Leases: a worker that is still working on a record keeps it (every step renews the lease),
so a second worker never takes over a live record and repeats its calls."""

from __future__ import annotations

import anyio

from benefits_tui.domain.states import SyncState
from benefits_tui.services.queries import employee_detail
from benefits_tui.services.sync.reference import platform_rules
from benefits_tui.services.sync.requests import Selection, request_sync
from benefits_tui.services.sync.worker import SyncWorker
from tests.helpers import Simulator, add_people, drain, services

LEASE_SECONDS = 3.0
LATENCY_MS = 1600  # a look-up and a create take 3.2 s: longer than the lease; each step
# leaves 1.4 s of the lease for the database and a busy machine


async def test_each_step_renews_the_lease_so_a_slow_record_is_not_taken_over(
    database_url: str,
) -> None:
    sim = Simulator()
    async with (
        services(database_url, sim, lease_seconds=LEASE_SECONDS) as first,
        services(database_url, sim, lease_seconds=LEASE_SECONDS) as second,
    ):
        [employee] = await add_people(first, 1)
        await request_sync(first, Selection.of([employee]))
        await platform_rules(first)  # picklists and levels cached (both workers read the cache)
        await sim.configure(latency_ms=LATENCY_MS)
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: drain(SyncWorker(first), 20))
            await anyio.sleep(0.2)  # the first worker has claimed it
            group.start_soon(lambda: drain(SyncWorker(second), 20))
        detail = await employee_detail(first, employee)
    actions = [str(event.action) for event in detail.history]
    assert detail.state is SyncState.SUCCESSFUL
    assert "lease_reclaimed" not in actions
    calls = [r for r in await sim.requests() if r["path"].startswith("/v1/accounts")]
    assert [r["method"] for r in calls] == [
        "GET",
        "POST",
    ]  # one look-up, one create: nothing repeated


async def test_a_dead_local_owners_record_is_claimed_at_once_with_its_event(
    database_url: str,
) -> None:
    """Mutation audit: workers on this host that died are noticed, not waited out."""
    import subprocess
    import sys

    from benefits_tui.services.clock import ManualClock
    from benefits_tui.services.sync.worker import HOST

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_owner = f"{HOST}:{int(gone.stdout)}:deadbeef"  # that process has exited
    clock = ManualClock()
    async with services(database_url, Simulator(), clock=clock, lease_seconds=600) as context:
        [employee] = await add_people(context, 1)
        await request_sync(context, Selection.of([employee]))
        assert len(await SyncWorker(context, owner=dead_owner).claim(1)) == 1
        # The lease has ten minutes to run and the clock does not move: only the owner's
        # death lets the record go.
        claims = await SyncWorker(context).claim(1)
        detail = await employee_detail(context, employee)
    assert [claim.employee_id for claim in claims] == [employee]
    reclaimed = [e for e in detail.history if str(e.action) == "lease_reclaimed"]
    assert len(reclaimed) == 1 and dead_owner in (reclaimed[0].reason or "")


async def test_a_lease_on_another_host_expires_exactly_when_it_should(database_url: str) -> None:
    """Mutation audit: leases expire (deterministically, with a fake clock)."""
    from benefits_tui.services.clock import ManualClock

    clock = ManualClock()
    remote = "another-host:4242:cafebabe"  # not this host: its process cannot be checked
    async with services(database_url, Simulator(), clock=clock, lease_seconds=60) as context:
        [employee] = await add_people(context, 1)
        await request_sync(context, Selection.of([employee]))
        assert len(await SyncWorker(context, owner=remote).claim(1)) == 1
        survivor = SyncWorker(context)
        assert await survivor.claim(1) == []
        clock.advance(59)
        assert await survivor.claim(1) == []  # still the other host's
        clock.advance(2)
        claims = await survivor.claim(1)
        detail = await employee_detail(context, employee)
    assert [claim.employee_id for claim in claims] == [employee]
    reclaimed = [e for e in detail.history if str(e.action) == "lease_reclaimed"]
    assert len(reclaimed) == 1 and remote in (reclaimed[0].reason or "")
