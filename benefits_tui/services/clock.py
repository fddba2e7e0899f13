"""Time, in one place, so tests can move it."""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benefits_tui.db import Database


class Clock:
    """Wall-clock UTC time; tests substitute a :class:`ManualClock`."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        return self.now().date()

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock(Clock):
    """A clock that only moves when told to."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
        self._mono = 0.0

    def now(self) -> dt.datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._now += dt.timedelta(seconds=seconds)
        self._mono += seconds


RESYNC_SECONDS = 60.0  # host clocks drift by microseconds a minute; a step is seen within this
SAMPLES = 3  # round trips per measure; the shortest one's is kept (the least delayed)


class DatabaseClock(Clock):
    """This host's clock set to the database server's (RULES §1.14: one clock on PostgreSQL).

    Every time that coordinates processes (leases, next attempts, holds, rate-limit slots,
    stuck thresholds) is computed from :meth:`now`, so two hosts whose own clocks differ
    by minutes still agree. The offset to the server's ``clock_timestamp()`` is measured
    on opening and again at most every ``RESYNC_SECONDS`` (:meth:`refresh`) on a connection
    already open, as the shortest of ``SAMPLES`` round trips, half of which is the measure's
    error (a fraction of a millisecond on a LAN). ``now`` stays synchronous and
    costs no query.
    """

    def __init__(self, local: Clock) -> None:
        self.local = local
        self.offset = dt.timedelta(0)
        self._measured_at: float | None = None

    def now(self) -> dt.datetime:
        return self.local.now() + self.offset

    def monotonic(self) -> float:
        return self.local.monotonic()

    async def synchronise(self, db: Database) -> dt.timedelta:
        """Measure the offset to the database server's clock; returns it."""
        from sqlalchemy import func, select

        best: tuple[float, dt.timedelta] | None = None  # (round trip, offset)
        async with db.read() as session:
            # Connecting and BEGIN happen on the first statement: timed, they would pass for
            # half a round trip and put this clock ahead by half of them (a 200 ms connect
            # ended holds 100 ms early at the platform).
            await session.execute(select(1))
            for _ in range(SAMPLES):
                before, started = self.local.now(), time.perf_counter()
                server = await session.scalar(select(func.clock_timestamp()))
                elapsed = time.perf_counter() - started
                if not isinstance(server, dt.datetime):
                    continue
                if server.tzinfo is None:
                    server = server.replace(tzinfo=dt.UTC)
                offset = server - (before + dt.timedelta(seconds=elapsed / 2))
                if best is None or elapsed < best[0]:
                    best = (elapsed, offset)
        if best is not None:
            self.offset = best[1]
        self._measured_at = self.local.monotonic()
        return self.offset

    async def refresh(self, db: Database) -> None:
        """Measure again when the last measure is older than ``RESYNC_SECONDS``."""
        if (
            self._measured_at is None
            or self.local.monotonic() - self._measured_at >= RESYNC_SECONDS
        ):
            await self.synchronise(db)


async def database_clock(clock: Clock, db: Database) -> Clock:
    """The clock a context should use: on PostgreSQL, ``clock`` set to the server's.

    A :class:`ManualClock` (a test moving time by hand) is left as it is.
    """
    if not db.is_postgresql or isinstance(clock, ManualClock | DatabaseClock):
        return clock
    corrected = DatabaseClock(clock)
    await corrected.synchronise(db)
    return corrected
