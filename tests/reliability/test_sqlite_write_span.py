"""SQLite: a write transaction never holds the write lock across a turn of the caller's loop.

Between ``BEGIN IMMEDIATE`` and ``COMMIT`` a write waits on nothing but the database (RULES
§1.13): while the caller's event loop is busy (HTTP parsing, building payloads, the UI; here a
callback that blocks it for 300 ms), another connection takes the write lock within a 100 ms
busy timeout. When each statement of a write awaited the caller's loop, the lock stayed held
for as long as the loop was busy, and every other process waited that long.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
from sqlalchemy import Engine, event, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from benefits_tui.db.models import Employee
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.employees import update_employee
from benefits_tui.services.sync.requests import Selection, request_sync
from benefits_tui.services.sync.worker import SyncWorker
from tests.helpers import add_people, services

LOOP_BUSY_SECONDS = 0.3
PROBE_BUSY_TIMEOUT = 0.1


def probe(path: str) -> str:
    """Take and release the write lock from another connection, as another process would."""
    connection = sqlite3.connect(path, timeout=PROBE_BUSY_TIMEOUT, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("COMMIT")
        return "took the lock"
    except sqlite3.OperationalError as exc:
        return str(exc)
    finally:
        connection.close()


async def edit(context: ServiceContext, employee_id: int) -> None:
    await update_employee(context, employee_id, {"department": "Finance"})


async def claim(context: ServiceContext, employee_id: int) -> None:
    await request_sync(context, Selection.of([employee_id]))
    assert len(await SyncWorker(context, owner="span-test").claim(1)) == 1


@pytest.mark.parametrize("write", [edit, claim], ids=["hr-edit", "worker-claim"])
async def test_a_busy_event_loop_never_holds_the_write_lock(
    sqlite_url: str, write: Callable[[ServiceContext, int], Awaitable[None]]
) -> None:
    path = make_url(sqlite_url).database
    assert path is not None
    async with services(sqlite_url) as context:
        [employee_id] = await add_people(context, 1)
        loop = asyncio.get_running_loop()
        outcomes: list[str] = []

        def busy_loop_then_probe() -> None:
            time.sleep(LOOP_BUSY_SECONDS)  # the loop is busy: no task of this process runs
            outcomes.append(probe(path))

        def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            # Just after a write transaction began: the loop gets busy at its next turn.
            if statement == "BEGIN IMMEDIATE":
                loop.call_soon_threadsafe(busy_loop_then_probe)

        event.listen(Engine, "after_cursor_execute", on_execute)
        try:
            await write(context, employee_id)
            await asyncio.sleep(0)  # the last probe runs even if the write ended first
        finally:
            event.remove(Engine, "after_cursor_execute", on_execute)
    assert outcomes, "no write transaction began"
    assert set(outcomes) == {"took the lock"}, outcomes


async def test_a_cancelled_write_ends_before_its_caller_goes_on(sqlite_url: str) -> None:
    """Cancelling a caller (a closed screen, ctrl+c) never leaves its transaction running
    behind it, holding the lock while this process's next writer or ``dispose()`` goes on."""
    path = make_url(sqlite_url).database
    assert path is not None
    async with services(sqlite_url) as context:
        [employee_id] = await add_people(context, 1)
        inside, release = threading.Event(), threading.Event()

        def slow_edit(session: Session) -> None:
            session.execute(
                update(Employee).where(Employee.id == employee_id).values(department="Finance")
            )
            inside.set()
            release.wait(timeout=30)  # stands for a long transaction

        task = asyncio.ensure_future(context.db.run_write(slow_edit))
        try:
            await anyio.to_thread.run_sync(inside.wait)
            task.cancel()
            for _ in range(5):
                await asyncio.sleep(0)
            assert not task.done(), "the caller went on while its transaction still ran"
        finally:
            release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert probe(path) == "took the lock"
        async with context.db.read() as session:
            department = await session.scalar(
                select(Employee.department).where(Employee.id == employee_id)
            )
    assert department == "Finance"  # it ended as it would have: committed
