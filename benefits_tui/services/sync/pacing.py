"""Shared pacing of platform calls across every process using the database.

A 429's Retry-After is stored as ``blocked_until`` so that no process sends inside the
window; an optional client-side rate limit hands out start times (``next_slot``) so that
requests are spread out instead of bouncing off the platform's limit.
"""

from __future__ import annotations

import datetime as dt

import anyio
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from benefits_tui.db.models import Throttle
from benefits_tui.services.context import ServiceContext

KEY = "platform"
MAX_INLINE_WAIT = 2.0  # seconds a request may wait in place; longer waits reschedule
CACHE_SECONDS = 0.1


class HeldBack(Exception):
    """The platform asked everyone to wait until ``until``."""

    def __init__(self, until: dt.datetime) -> None:
        self.until = until
        super().__init__(f"held back until {until.isoformat()}")


class Pacer:
    """Decides when this process may send its next request."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self.rate = context.settings.sync.rate_limit
        self._blocked_until: dt.datetime | None = None
        self._read_at = -1.0
        self._lock = anyio.Lock()

    async def _ensure_row(self) -> None:
        now = self.context.clock.now()
        insert_fn = pg_insert if self.context.db.is_postgresql else sqlite_insert
        async with self.context.db.write() as session:
            await session.execute(
                insert_fn(Throttle)
                .values(key=KEY, blocked_until=None, next_slot=None, updated_at=now)
                .on_conflict_do_nothing(index_elements=["key"])
            )

    async def blocked_until(self) -> dt.datetime | None:
        """The shared hold-back, re-read at most every 100 ms."""
        clock = self.context.clock
        if clock.monotonic() - self._read_at > CACHE_SECONDS:
            async with self.context.db.read() as session:
                self._blocked_until = await session.scalar(
                    select(Throttle.blocked_until).where(Throttle.key == KEY)
                )
            self._read_at = clock.monotonic()
        return self._blocked_until

    async def wait_turn(self) -> None:
        """Wait until a request may be sent; raise :class:`HeldBack` for long waits."""
        clock = self.context.clock
        while True:
            until = await self.blocked_until()
            now = clock.now()
            if until is None or until <= now:
                break
            wait = (until - now).total_seconds()
            if wait > MAX_INLINE_WAIT:
                raise HeldBack(until)
            await anyio.sleep(wait)
            self._read_at = -1.0
        if self.rate > 0:
            slot = await self._reserve_slot()
            wait = (slot - clock.now()).total_seconds()
            if wait > 0:
                await anyio.sleep(wait)

    async def _reserve_slot(self) -> dt.datetime:
        interval = dt.timedelta(seconds=1.0 / self.rate)
        for _ in range(2):
            now = self.context.clock.now()
            async with self.context.db.write() as session:
                statement = select(Throttle).where(Throttle.key == KEY)
                if self.context.db.is_postgresql:
                    statement = statement.with_for_update()
                row = await session.scalar(statement)
                if row is not None:
                    slot = max(row.next_slot or now, now)
                    row.next_slot = slot + interval
                    row.updated_at = now
                    return slot
            await self._ensure_row()
        return self.context.clock.now()

    async def hold_back(self, seconds: float) -> dt.datetime:
        """Record a 429's Retry-After for every process; returns the end of the window."""
        until = self.context.clock.now() + dt.timedelta(seconds=max(seconds, 0.0))
        for _ in range(2):
            async with self.context.db.write() as session:
                result = await session.execute(
                    update(Throttle)
                    .where(Throttle.key == KEY)
                    .where((Throttle.blocked_until.is_(None)) | (Throttle.blocked_until < until))
                    .values(blocked_until=until, updated_at=self.context.clock.now())
                )
                exists = result.rowcount or await session.scalar(
                    select(Throttle.key).where(Throttle.key == KEY)
                )
            if exists:
                break
            await self._ensure_row()
        self._blocked_until = until
        self._read_at = self.context.clock.monotonic()
        return until
