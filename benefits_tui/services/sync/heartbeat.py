"""Worker heartbeats: each running sync worker says it is alive, so everyone can see whether
queued requests will be sent (the status line's "worker alive", RULES §1.10)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from benefits_tui.db.models import WorkerHeartbeat
from benefits_tui.services.context import ServiceContext

BEAT_SECONDS = 10.0
# A worker not seen for this long is taken for gone (three missed beats plus slack).
ALIVE_WITHIN = dt.timedelta(seconds=BEAT_SECONDS * 4)
FORGET_AFTER = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class WorkerLife:
    """Whether a worker is alive: the freshest heartbeat, if any."""

    alive: bool
    login: str | None = None
    seen_at: dt.datetime | None = None

    def describe(self, now: dt.datetime) -> str:
        """One line for the status line and ``sync``."""
        if self.alive and self.login:
            return f"worker {self.login} alive"
        if self.seen_at is not None:
            minutes = max(int((now - self.seen_at).total_seconds() // 60), 1)
            return f"no worker running (last seen {minutes} min ago): requests wait in the queue"
        return "no worker running yet: requests wait in the queue"


async def beat(context: ServiceContext, owner: str, started_at: dt.datetime) -> None:
    """Record that the worker ``owner`` is alive now (and forget workers gone for a day)."""
    now = context.clock.now()
    insert_fn = pg_insert if context.db.is_postgresql else sqlite_insert
    statement = insert_fn(WorkerHeartbeat).values(
        owner=owner, login=context.actor, started_at=started_at, seen_at=now
    )

    def save(session: Session) -> None:
        session.execute(
            statement.on_conflict_do_update(index_elements=["owner"], set_={"seen_at": now})
        )
        session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.seen_at < now - FORGET_AFTER))

    await context.db.run_write(save)


async def stop_beating(context: ServiceContext, owner: str) -> None:
    """A worker stopping cleanly says so at once."""

    def forget(session: Session) -> None:
        session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.owner == owner))

    await context.db.run_write(forget)


async def worker_life(context: ServiceContext) -> WorkerLife:
    """The freshest heartbeat: alive if seen within :data:`ALIVE_WITHIN`."""
    async with context.db.read() as session:
        row = (
            await session.execute(
                select(WorkerHeartbeat.login, WorkerHeartbeat.seen_at)
                .order_by(WorkerHeartbeat.seen_at.desc())
                .limit(1)
            )
        ).first()
    if row is None:
        return WorkerLife(False)
    alive = context.clock.now() - row.seen_at <= ALIVE_WITHIN
    return WorkerLife(alive, row.login, row.seen_at)
