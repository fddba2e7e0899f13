"""The client-side rate limit (settings.sync.rate_limit) shared by every process through the
database: start times are reserved a few at a time, yet the platform's limit is not exceeded."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import anyio
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from benefits_tui.config import Role
from benefits_tui.db.models import Throttle
from benefits_tui.domain.states import SyncState
from benefits_tui.platform.errors import Throttled
from benefits_tui.services.platform_hold import clear_hold, read_hold
from benefits_tui.services.queries import employee_detail
from benefits_tui.services.sync.pacing import CACHE_SECONDS, HeldBack, Pacer
from benefits_tui.services.sync.requests import Selection, request_sync
from benefits_tui.services.sync.worker import SyncWorker
from tests.helpers import Simulator, add_people, drain, services

RATE = 20.0


async def test_client_side_rate_limit_keeps_two_workers_under_the_platform_limit(
    database_url: str,
) -> None:
    sim = Simulator(rate_limit=RATE)
    async with (
        services(database_url, sim, rate_limit=RATE) as context,
        services(database_url, sim, rate_limit=RATE) as other,
    ):
        ids = await add_people(context, 40)
        await request_sync(context, Selection.of(ids))
        started = anyio.current_time()
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: drain(SyncWorker(context, concurrency=8), 60))
            group.start_soon(lambda: drain(SyncWorker(other, concurrency=8), 60))
        elapsed = anyio.current_time() - started
        details = [await employee_detail(context, i) for i in ids]
    assert all(d.state is SyncState.SUCCESSFUL for d in details)
    log = await sim.requests()
    statuses = [r["status"] for r in log if r["path"].startswith("/v1/accounts")]
    assert statuses.count(429) == 0, statuses
    assert len(statuses) == 80  # a look-up and a create each
    # 80 requests at 20/s take about 4 s (less the simulator's one-second burst is not used).
    assert elapsed >= (len(statuses) - 1) / RATE * 0.9, elapsed


async def test_a_process_own_429_window_outlives_a_stale_read_of_the_shared_row(
    database_url: str,
) -> None:
    """The shared row may not show our 429 yet (its write can wait for the write lock while
    other processes write): re-reading it must not make this process forget the window."""
    async with (
        services(database_url, Simulator()) as context,
        services(database_url, Simulator()) as other,
    ):
        pacer, other_pacer = Pacer(context), Pacer(other)
        assert await other_pacer.blocked_until() is None  # (and, on PostgreSQL, it listens)
        until = await pacer.hold_back(5.0)

        def forget(session: Session) -> None:  # as if the write had not landed yet
            session.execute(update(Throttle).values(blocked_until=None))

        await context.db.run_write(forget)
        await anyio.sleep(
            CACHE_SECONDS * 1.5
        )  # the cached read is stale: the next look reads the row
        assert await pacer.blocked_until() == until
        # Others learn of it without the row: on SQLite from the hold file, on PostgreSQL from
        # the notice (heard on the other's connection a moment later).
        with anyio.fail_after(2):
            while await other_pacer.blocked_until() != until:
                await anyio.sleep(0.005)
        with pytest.raises(HeldBack):  # and a call waits (longer than inline: rescheduled)
            await pacer.call(lambda: anyio.sleep(0))


async def test_any_call_answered_429_holds_back_every_process(database_url: str) -> None:
    """Not only the sync steps: a connection check answered 429 is shared too (chaos found a
    user's `benefits-tui sync` check answered 429 and workers sending inside its window)."""
    sim = Simulator(rate_limit=1.0)
    async with services(database_url, sim) as context, services(database_url, sim) as other:
        pacer = Pacer(context)
        client = context.platform()
        await pacer.call(client.check_connection)  # the bucket's one token
        with pytest.raises(Throttled) as answered:
            await pacer.call(client.check_connection)
        held = await Pacer(other).blocked_until()
        assert held is not None
        # The window runs from when the 429 was answered for Retry-After seconds (judged by
        # the simulator's stamp, not by how long this busy machine took to get here).
        answered_at = (await sim.requests())[-1]["time"]
        window = held.timestamp() - answered_at
        assert answered.value.retry_after - 0.05 <= window <= answered.value.retry_after + 5
        await Pacer(other).call(other.platform().check_connection)  # waits out the window first
        sent_at = (await sim.requests())[-1]["time"]
    assert sent_at >= held.timestamp() - 0.01


async def test_on_sqlite_a_429_reaches_other_processes_while_the_write_lock_is_taken(
    tmp_path: Path,
) -> None:
    """The row's write waits for SQLite's write lock (another process may hold it for a
    while); the hold file beside the database tells every process at once (RULES §1.13)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}"
    async with services(url, Simulator()) as context, services(url, Simulator()) as other:
        pacer, other_pacer = Pacer(context), Pacer(other)
        await pacer.blocked_until()  # the row exists and both have read it: no hold
        assert await other_pacer.blocked_until() is None
        locker = sqlite3.connect(tmp_path / "hr.db", isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(pacer.hold_back, 30.0)
                await anyio.sleep(0.05)  # the write is waiting for the lock by now
                held = await other_pacer.blocked_until()
                assert held is not None
                assert held > other.clock.now() + dt.timedelta(seconds=29)
                assert (await read_hold(other)).blocked_until == held  # status says it too
                with pytest.raises(HeldBack):  # and the other process does not send
                    await other_pacer.call(lambda: anyio.sleep(0))
                locker.execute("COMMIT")
        finally:
            locker.close()
        # An admin's clear ends it everywhere: row and file.
        context.role = Role.ADMIN
        await clear_hold(context)
        assert (await read_hold(other)).blocked_until is None
        assert await Pacer(other).blocked_until() is None


async def test_on_postgresql_a_429_reaches_other_processes_at_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The row is re-read at most every CACHE_SECONDS (its write may also wait for the slots'
    row lock); NOTIFY tells every process at once (RULES §1.13). Here the row is not re-read at
    all meanwhile: the notice alone holds the other process back, and an admin's clear ends it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has its hold file (the test above)")
    from benefits_tui.services.sync import pacing

    monkeypatch.setattr(pacing, "CACHE_SECONDS", 60.0)
    async with services(database_url) as context, services(database_url) as other:
        pacer, other_pacer = Pacer(context), Pacer(other)
        await pacer.blocked_until()  # the row exists, both have read it, and listen: no hold
        assert await other_pacer.blocked_until() is None
        until = await pacer.hold_back(30.0)
        held = None
        with anyio.fail_after(2):
            while held is None:
                await anyio.sleep(0.005)
                held = await other_pacer.blocked_until()
        assert held == until
        with pytest.raises(HeldBack):  # the other process does not send
            await other_pacer.call(lambda: anyio.sleep(0))
        context.role = Role.ADMIN
        await clear_hold(context)
        with anyio.fail_after(2):
            while await other_pacer.blocked_until() is not None:
                await anyio.sleep(0.005)
