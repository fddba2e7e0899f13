"""The platform's hold and trouble as every process sees them (RULES §1.3, §1.13).

A 429's ``Retry-After`` (capped) and the platform's transient trouble are shared through the
``throttle`` row (see :mod:`benefits_tui.services.sync.pacing`, which writes them). This module
only reads and clears them, without the platform client; SQLAlchemy is imported by the
functions that use it, so that ``status``'s quick path (:mod:`benefits_tui.services.status`)
shares :class:`PlatformHold` without it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from benefits_tui.domain.safe_text import visible

if TYPE_CHECKING:
    from benefits_tui.services.context import ServiceContext

KEY = "platform"  # the one row of the throttle table


@dataclass(frozen=True, slots=True)
class PlatformHold:
    """What holds the integration back, as every process sees it (RULES §1.3, §1.13)."""

    blocked_until: dt.datetime | None  # a 429's window (None when none, or over)
    blocked_since: dt.datetime | None
    trouble_since: dt.datetime | None  # the platform failing (unreachable, 5xx, timeouts)
    trouble: str | None

    @property
    def active(self) -> bool:
        return self.blocked_until is not None or self.trouble_since is not None

    def summary(self, *, limit: int = 120) -> str:
        """One line for a status line: since when, until when ("" when nothing holds)."""
        if self.blocked_until is not None:
            since = f" since {_hhmmss(self.blocked_since)}" if self.blocked_since else ""
            return f"Benefits platform holds requests{since} until {_hhmmss(self.blocked_until)}"
        if self.trouble_since is not None:
            why = visible(self.trouble or "no answer", limit=limit)
            return f"Benefits platform failing since {_hhmmss(self.trouble_since)}: {why}"
        return ""


def _hhmmss(moment: dt.datetime | None) -> str:
    return moment.astimezone().strftime("%H:%M:%S") if moment else ""


def hold_from(
    row: tuple[dt.datetime | None, dt.datetime | None, dt.datetime | None, str | None] | None,
    signalled: dt.datetime | None,
    now: dt.datetime,
    max_hold_seconds: float,
) -> PlatformHold:
    """The hold seen at ``now`` from the throttle row (blocked_until, blocked_since,
    trouble_since, trouble) and the hold file: a hold already over reads as none."""
    if row is None and signalled is None:
        return PlatformHold(None, None, None, None)
    blocked_until, blocked_since, trouble_since, trouble = row or (None, None, None, None)
    stored = blocked_until if blocked_until is not None and blocked_until > now else None
    until = max((t for t in (stored, signalled) if t is not None and t > now), default=None)
    if until is not None:  # however it was stored, no hold lasts longer than the cap
        until = min(until, now + dt.timedelta(seconds=max_hold_seconds))
    since = (blocked_since if stored else None) or now
    return PlatformHold(until, since if until else None, trouble_since, trouble)


async def read_hold(context: ServiceContext) -> PlatformHold:
    """The current hold and trouble (a hold already over reads as none)."""
    from sqlalchemy import select

    from benefits_tui.db.models import Throttle
    from benefits_tui.services.hold_signal import HoldSignal

    async with context.db.read() as session:
        row = (
            await session.execute(
                select(
                    Throttle.blocked_until,
                    Throttle.blocked_since,
                    Throttle.trouble_since,
                    Throttle.trouble,
                ).where(Throttle.key == KEY)
            )
        ).first()
    # On SQLite the hold file is ahead of the row while the row's write waits for the lock.
    signalled = HoldSignal.for_database(context.db).read()
    return hold_from(row, signalled, context.clock.now(), context.settings.sync.max_hold_seconds)


async def clear_hold(context: ServiceContext) -> PlatformHold:
    """End the platform's hold now (an admin's decision; RULES §1.13); returns what it was."""
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from benefits_tui.db.models import Throttle
    from benefits_tui.services.hold_signal import HoldSignal
    from benefits_tui.services.permissions import Permission

    context.require(Permission.CLEAR_HOLD)
    before = await read_hold(context)
    HoldSignal.for_database(context.db).clear()
    await context.hold_channel.publish(None)  # PostgreSQL: the processes holding on a notice
    await context.db.run_write(
        Session.execute,
        update(Throttle)
        .where(Throttle.key == KEY)
        .values(blocked_until=None, blocked_since=None, updated_at=context.clock.now()),
    )
    return before
