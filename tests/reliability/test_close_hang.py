"""A read cancelled twice while aiosqlite's thread is busy leaves nothing running for ever.

Textual cancels a worker more than once as the app closes (the screen's unmount, the app's
close, the app's message loop). The first cancellation lands in an await of aiosqlite's thread,
still busy with a statement or with the new connection's PRAGMAs: SQLAlchemy closes that
connection in a task of its own (``terminate``: a graceful ``close()``, shielded). The second
lands in that shielded wait: SQLAlchemy then stops the thread (``stop()``) and leaves the close
running. aiosqlite 0.22's ``close()`` ends with a ``stop()`` of its own and awaits it; the
thread, gone after the first, never answered, so the detached close waited for ever, and
``asyncio.run`` (which cancels what is left at exit, then waits for it) hung the app's exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from benefits_tui.db.engine import Database

# A statement that keeps aiosqlite's thread busy for a second or so.
SLOW = text(
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) "
    "SELECT count(*) FROM c"
)


@pytest.mark.parametrize("busy", ["statement", "connect"])
async def test_a_read_cancelled_twice_leaves_no_close_running(sqlite_url: str, busy: str) -> None:
    db = Database(sqlite_url)
    # "connect": another connection holds the file's lock, so the new connection's first PRAGMA
    # (journal_mode=WAL) waits in aiosqlite's thread, inside SQLAlchemy's "connect" event.
    holder = sqlite3.connect(make_url(sqlite_url).database or "", isolation_level=None)
    if busy == "connect":
        holder.execute("BEGIN EXCLUSIVE")
    before = asyncio.all_tasks()

    async def read() -> None:
        async with db.read() as session:
            await session.execute(SLOW)

    reading = asyncio.ensure_future(read())
    await asyncio.sleep(0.3)  # aiosqlite's thread is busy (the statement, or the PRAGMA)
    reading.cancel()  # a worker cancelled (the screen unmounts)
    closes: set[asyncio.Task[object]] = set()
    for _ in range(200):  # until SQLAlchemy's detached close of the connection runs
        await asyncio.sleep(0)
        closes = asyncio.all_tasks() - before - {reading}
        if closes:
            break
    assert closes, "the cancelled read started no close of its connection"
    reading.cancel()  # ... and cancelled again (the app closes)
    with contextlib.suppress(asyncio.CancelledError):
        await reading
    holder.close()  # (releases the lock: the PRAGMA ends)
    await db.dispose()
    _, pending = await asyncio.wait(closes, timeout=15)
    assert not pending, f"a connection's close never ends: {pending}"
