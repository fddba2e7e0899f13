"""Worker heartbeats: each running sync worker says it is alive, so everyone can see whether
queued requests will be sent (the status line's "worker alive", RULES §1.10)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from benefits_tui.db.models import WorkerHeartbeat
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.sync import liveness
from benefits_tui.services.sync.liveness import WorkerLife, life_from

BEAT_SECONDS = liveness.BEAT_SECONDS
ALIVE_WITHIN = liveness.ALIVE_WITHIN
FORGET_AFTER = dt.timedelta(days=1)


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
    return life_from(row.login, row.seen_at, context.clock.now())
