"""Shared pacing of platform calls across every process using the database.

A 429's Retry-After is stored as ``blocked_until`` so that no process sends inside the
window, capped at ``max_hold_seconds`` so that no answer stops the integration for longer
(RULES §1.13); an admin may clear it (:func:`clear_hold`). On SQLite the hold is also
published in a file beside the database (:mod:`~benefits_tui.services.hold_signal`), read
before every request, because the row's write may wait for the write lock; on PostgreSQL it is
announced with NOTIFY (:mod:`~benefits_tui.services.hold_channel`). Transient
trouble (unreachable, 5xx, timeouts) is noted once as ``trouble_since``/``trouble`` and
cleared by the next success, so that every screen can say "the platform is unreachable
since ..." in one place.
An optional client-side rate limit hands out start times (``next_slot``) so that
requests are spread out instead of bouncing off the platform's limit. A process reserves
start times a few at a time (about a tenth of a second's worth) and hands them out locally,
so the shared row costs one write per batch rather than one per request.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

import anyio
from sqlalchemy import CursorResult, and_, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from benefits_tui.db.models import Throttle
from benefits_tui.domain.errors import BenefitsError
from benefits_tui.domain.safe_text import clip
from benefits_tui.platform.errors import Throttled, TransientError
from benefits_tui.platform.hooks import before_retry
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.hold_signal import HoldSignal
from benefits_tui.services.platform_hold import KEY

T = TypeVar("T")
log = logging.getLogger(__name__)

MAX_INLINE_WAIT = 2.0  # seconds a request may wait in place; longer waits reschedule
CACHE_SECONDS = 0.1
SLOT_BATCH_SECONDS = 0.1  # reserve about this much of the rate at once
MAX_SLOT_BATCH = 50
# Start times left unused (a stall: CPU, the database's write lock) may be caught up on for
# this long, like a token bucket holding a quarter of a second's worth (the platform's holds
# a second's worth); older ones are dropped, so the rate over any window stays within it.
CATCH_UP_SECONDS = 0.25
TROUBLE_AFTER_SECONDS = 1.0  # failures with no success for this long: the platform is failing
TROUBLE_TEXT = 500  # characters of the platform's last trouble kept for the status line


class HeldBack(BenefitsError):
    """The platform asked everyone to wait until ``until``."""

    def __init__(self, until: dt.datetime) -> None:
        self.until = until
        super().__init__(f"held back until {until.isoformat()}")


class Pacer:
    """Decides when this process may send its next request."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self.rate = context.settings.sync.rate_limit
        self._blocked_until: dt.datetime | None = None  # the shared hold-back, as last read
        # This process's own 429 windows: kept until they end, whatever an older read of the
        # shared row says (its write may still be waiting for the database's write lock).
        self._held_until: dt.datetime | None = None
        self._read_at = -1.0
        self._trouble_since: dt.datetime | None = None  # the shared trouble, as last read
        self._trouble_noted = False  # this process wrote it (once per spell of trouble)
        self._last_ok = context.clock.monotonic()  # this process's last answered call
        self._failing_since: dt.datetime | None = None  # its first failure since then
        self.max_hold = dt.timedelta(seconds=context.settings.sync.max_hold_seconds)
        self._lock = anyio.Lock()
        self._slots: deque[dt.datetime] = deque()
        self._signal = HoldSignal.for_database(context.db)
        self._channel = context.hold_channel

    async def _ensure_row(self) -> None:
        now = self.context.clock.now()
        insert_fn = pg_insert if self.context.db.is_postgresql else sqlite_insert
        statement = (
            insert_fn(Throttle)
            .values(key=KEY, blocked_until=None, next_slot=None, updated_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        await self.context.db.run_write(Session.execute, statement)

    async def blocked_until(self) -> dt.datetime | None:
        """The shared hold-back: the row re-read at most every 100 ms, the hold file (SQLite)
        on every call."""
        clock = self.context.clock
        if clock.monotonic() - self._read_at > CACHE_SECONDS:
            await self._channel.listen()  # (once; PostgreSQL)
            async with self.context.db.read() as session:
                row = (
                    await session.execute(
                        select(Throttle.blocked_until, Throttle.trouble_since).where(
                            Throttle.key == KEY
                        )
                    )
                ).first()
            self._blocked_until, self._trouble_since = row if row is not None else (None, None)
            self._read_at = clock.monotonic()
        until = _later(_later(self._blocked_until, self._held_until), self._signal.read())
        until = _later(until, self._channel.read())
        # A hold stored by an older version, by hand, or in a foreign hold file is capped like
        # any other (this process's own windows are capped already).
        return None if until is None else min(until, clock.now() + self.max_hold)

    async def wait_turn(self) -> None:
        """Wait until a request may be sent; raise :class:`HeldBack` for long waits."""
        clock = self.context.clock
        while True:
            await self._wait_out_hold_back()
            if self.rate <= 0:
                return
            slot = await self._next_slot()
            wait = (slot - clock.now()).total_seconds()
            if wait <= 0:
                return
            await anyio.sleep(wait)
            # A 429 may have come in while this request waited for its start time: look again.
            until = await self.blocked_until()
            if until is None or until <= clock.now():
                return

    async def _wait_out_hold_back(self) -> None:
        clock = self.context.clock
        while True:
            until = await self.blocked_until()
            now = clock.now()
            if until is None or until <= now:
                return
            wait = (until - now).total_seconds()
            if wait > MAX_INLINE_WAIT:
                raise HeldBack(until)
            await anyio.sleep(wait)
            self._read_at = -1.0

    async def call(self, factory: Callable[[], Awaitable[T]]) -> T:
        """Make one platform call when it is our turn (:meth:`wait_turn`).

        The client's own retries of a GET wait for their turn too: a retry 0.4 s after a
        5xx must not land inside a Retry-After window another process has just recorded.
        A 429 is recorded for every process (:meth:`hold_back`) before it is raised.
        """
        await self.wait_turn()
        token = before_retry.set(self.wait_turn)
        try:
            result = await factory()
        except Throttled as exc:
            # Whatever the call (a sync step, a connection check, the picklists), a 429 holds
            # back every process: a check answered 429 and not shared let others send inside
            # the window.
            try:
                await self.hold_back(exc.retry_after)
            except Exception:  # the 429 still reaches the caller; this process holds back anyway
                log.warning(
                    "could not share a 429's Retry-After through the database", exc_info=True
                )
            raise
        except TransientError as exc:
            now = self.context.clock.now()
            self._failing_since = self._failing_since or now
            # A failure among successes (a 5xx now and then) is not "the platform is down":
            # only failures with no success for TROUBLE_AFTER_SECONDS are shared.
            if self.context.clock.monotonic() - self._last_ok >= TROUBLE_AFTER_SECONDS:
                await self._note_trouble(str(exc))
            raise
        finally:
            before_retry.reset(token)
        self._last_ok, self._failing_since = self.context.clock.monotonic(), None
        if self._trouble_since is not None or self._trouble_noted:
            await self._note_trouble(None)
        return result

    async def _note_trouble(self, message: str | None) -> None:
        """Share that the platform is failing (``message``) or answering again (None).

        Written once per spell of trouble, not per call: the first process to see the
        trouble stamps since when; the first success after it clears it.
        """
        if message is not None and (self._trouble_noted or self._trouble_since is not None):
            return
        now = self.context.clock.now()
        since = self._failing_since or now
        statement = update(Throttle).where(Throttle.key == KEY)
        if message is None:
            statement = statement.values(trouble_since=None, trouble=None, updated_at=now)
        else:
            statement = statement.where(Throttle.trouble_since.is_(None)).values(
                trouble_since=since, trouble=clip(message, TROUBLE_TEXT), updated_at=now
            )
        try:
            if message is not None:
                await self._ensure_row()
            await self.context.db.run_write(Session.execute, statement)
        except Exception:  # the status line is not worth failing a sync for
            log.warning("could not share the platform's state through the database", exc_info=True)
            return
        self._trouble_noted = message is not None
        self._trouble_since = since if message is not None else None

    async def _next_slot(self) -> dt.datetime:
        """This request's start time: the next one this process holds, reserving more if none."""
        async with self._lock:
            stale = self.context.clock.now() - dt.timedelta(seconds=CATCH_UP_SECONDS)
            while self._slots and self._slots[0] < stale:
                self._slots.popleft()
            if not self._slots:
                count = max(1, min(MAX_SLOT_BATCH, int(self.rate * SLOT_BATCH_SECONDS)))
                first = await self._reserve_slots(count)
                interval = dt.timedelta(seconds=1.0 / self.rate)
                self._slots.extend(first + interval * i for i in range(count))
            return self._slots.popleft()

    async def _reserve_slots(self, count: int) -> dt.datetime:
        """Reserve ``count`` consecutive start times in the shared row; returns the first."""
        interval = dt.timedelta(seconds=1.0 / self.rate)

        def reserve(session: Session) -> dt.datetime | None:
            now = self.context.clock.now()
            statement = select(Throttle).where(Throttle.key == KEY)
            if self.context.db.is_postgresql:
                statement = statement.with_for_update()
            row = session.scalar(statement)
            if row is None:
                return None
            slot = max(row.next_slot or now, now - dt.timedelta(seconds=CATCH_UP_SECONDS))
            row.next_slot = slot + interval * count
            row.updated_at = now
            return slot

        for _ in range(2):
            if (slot := await self.context.db.run_write(reserve)) is not None:
                return slot
            await self._ensure_row()
        return self.context.clock.now()

    async def hold_back(self, seconds: float) -> dt.datetime:
        """Record a 429's Retry-After (capped at ``max_hold_seconds``) for every process;
        returns the end of the window."""
        now = self.context.clock.now()
        wait = dt.timedelta(seconds=max(seconds, 0.0)) if seconds < 1e9 else self.max_hold
        until = now + min(wait, self.max_hold)
        # This process stops at once; the others on this host when they read the hold file
        # (SQLite) or hear the notice (PostgreSQL), and everyone when they see the row (its
        # write may wait for a lock).
        self._held_until = _later(self._held_until, until)
        self._signal.publish(until)
        await self._channel.publish(until)

        def hold(session: Session) -> bool:
            result = session.execute(
                update(Throttle)
                .where(Throttle.key == KEY)
                .where((Throttle.blocked_until.is_(None)) | (Throttle.blocked_until < until))
                .values(
                    blocked_until=until,
                    # a hold that follows one still running keeps its start
                    blocked_since=case(
                        (
                            and_(
                                Throttle.blocked_until.is_not(None),
                                Throttle.blocked_until > now,
                            ),
                            func.coalesce(Throttle.blocked_since, now),
                        ),
                        else_=now,
                    ),
                    updated_at=now,
                )
            )
            return bool(
                cast(CursorResult[Any], result).rowcount
                or session.scalar(select(Throttle.key).where(Throttle.key == KEY))
            )

        for _ in range(2):
            if await self.context.db.run_write(hold):
                break
            await self._ensure_row()
        return until


def _later(first: dt.datetime | None, second: dt.datetime | None) -> dt.datetime | None:
    if first is None or second is None:
        return first or second
    return max(first, second)
