"""A 429's hold, pushed to every process at once on PostgreSQL (RULES §1.13).

The shared hold lives in the ``throttle`` row, which each process re-reads at most every
100 ms (:mod:`~benefits_tui.services.sync.pacing`), and whose write may wait behind the
rate-limit slots' row lock: a process could go on sending for a tenth of a second or more
inside the platform's Retry-After window. SQLite has its hold file for that
(:mod:`~benefits_tui.services.hold_signal`); PostgreSQL deployments span hosts, so there the
hold is also announced with ``NOTIFY`` on :data:`CHANNEL`, which every process talking to the
platform listens for on a connection of its own (opened on first use, so that the quick
commands never pay for it). Like the hold file, a notice only adds to the row: it ends when its
time is up or when an admin clears the hold (announced too); a process that misses a notice
(its listening connection lost) still sees the hold when it re-reads the row.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from benefits_tui.db import Database

log = logging.getLogger(__name__)

CHANNEL = "benefits_tui_hold"
CLEARED = "clear"  # the payload of an admin's clear (otherwise the end of the hold, ISO 8601)
RETRY_SECONDS = 30.0  # after a failed LISTEN, the row alone until then
MAX_PAYLOAD = 64  # characters of a notice read: anyone on the database may NOTIFY


class HoldChannel:
    """The hold as last announced on :data:`CHANNEL` (PostgreSQL only; see the module)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.until: dt.datetime | None = None  # the latest hold announced
        self._connection: AsyncConnection | None = None
        self._driver: Any = None  # the asyncpg connection under it
        self._lock = asyncio.Lock()  # one statement at a time on the listening connection
        self._failed_at: float | None = None
        self._closed = False

    async def listen(self) -> None:
        """Start listening (once; a no-op on SQLite, after :meth:`aclose`, or shortly after a
        failure, when the row alone carries the hold)."""
        if self._driver is not None or self._closed or not self.db.is_postgresql:
            return
        loop = asyncio.get_running_loop()
        if self._failed_at is not None and loop.time() - self._failed_at < RETRY_SECONDS:
            return
        async with self._lock:
            if self._driver is not None or self._closed:
                return
            if self._connection is not None:  # lost (see _lost): a new one
                await _discard(self._connection)
                self._connection = None
            connection = None
            try:
                connection = await self.db.engine.connect()
                driver = (await connection.get_raw_connection()).driver_connection
                assert driver is not None  # (an open connection has its driver's)
                await driver.add_listener(CHANNEL, self._heard)
                driver.add_termination_listener(self._lost)
            except Exception:  # the row still carries the hold; only later
                self._failed_at = loop.time()
                log.warning("cannot listen for the platform's holds", exc_info=True)
                if connection is not None:
                    await _discard(connection)
                return
            self._connection, self._driver = connection, driver

    async def publish(self, until: dt.datetime | None) -> None:
        """Announce a hold until ``until`` (None: an admin ended it) to every listening process."""
        await self.listen()
        if self._driver is None:
            return
        payload = CLEARED if until is None else until.astimezone(dt.UTC).isoformat()
        try:
            async with self._lock:
                await self._driver.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
        except Exception:  # the row still carries the hold; only later
            log.warning("cannot announce the platform's hold", exc_info=True)

    def read(self) -> dt.datetime | None:
        """The end of the hold last announced (None: none heard, or cleared)."""
        return self.until

    def _heard(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload == CLEARED:
            self.until = None
            return
        try:
            until = dt.datetime.fromisoformat(payload[:MAX_PAYLOAD])
        except ValueError:
            return  # not ours: the row decides
        if until.tzinfo is None:
            return
        if self.until is None or until > self.until:
            self.until = until

    def _lost(self, _connection: Any) -> None:
        """The listening connection closed under us: listen again on the next use."""
        self._driver = None

    async def aclose(self) -> None:
        """Stop listening and close the connection (before the database is disposed)."""
        self._closed = True
        async with self._lock:
            connection, self._connection, self._driver = self._connection, None, None
            if connection is not None:
                await _discard(connection)


async def _discard(connection: AsyncConnection) -> None:
    """Close the listening connection for good: never back to the pool, still listening."""
    try:
        await connection.invalidate()
        await connection.close()
    except Exception:  # gone already (a lost connection)
        log.debug("closing the hold channel's connection", exc_info=True)
