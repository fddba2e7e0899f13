"""The sync worker: claims due records with a lease and carries each forward.

Many workers (in the app, in `benefits-tui worker`, on several hosts) may run against one
database. A claim is one short transaction (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite:
``BEGIN IMMEDIATE``) that stamps a lease owner, an expiry and a new fencing token. Leases of
dead processes are taken over when they expire, and at once when the owner is a process on
this host that no longer exists.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import socket
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from benefits_tui.db.models import SyncRecord
from benefits_tui.domain.errors import one_line
from benefits_tui.domain.retry import DATABASE_TROUBLE as DATABASE_RETRY
from benefits_tui.domain.states import Action, Phase, SyncState
from benefits_tui.services.clock import DatabaseClock
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.history import event, write_events
from benefits_tui.services.sync import heartbeat
from benefits_tui.services.sync.crash import crashpoint
from benefits_tui.services.sync.pacing import Pacer
from benefits_tui.services.sync.record_job import Claim, RecordJob, read_claimed
from benefits_tui.services.sync.record_writer import LeaseLost, RecordWriter, WriteInterrupted
from benefits_tui.services.sync.reference import PlatformRules, platform_rules

log = logging.getLogger(__name__)

# Database errors a long-running worker waits out (OperationalError is a DBAPIError).
DATABASE_TROUBLE = (DBAPIError, OSError)

HOST = socket.gethostname()
DEAD_OWNER_CHECK_SECONDS = 2.0
IDLE_POLL_SECONDS = 0.5
BUSY_POLL_SECONDS = 0.05  # while records are being worked: how soon newly due ones are seen
JOBS_PER_REQUEST = 2  # records in work per platform call in flight (see SyncWorker)


def new_owner() -> str:
    """A lease owner name: host, process and a nonce (a reused PID is not mistaken for us)."""
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_is_dead(owner: str) -> bool:
    """True when ``owner`` is a process on this host that has gone."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != HOST or not pid_text.isdigit():
        return False
    return int(pid_text) != os.getpid() and not _pid_alive(int(pid_text))


@dataclass
class WorkerStats:
    claimed: int = 0
    processed: int = 0
    reclaimed: int = 0


class SyncWorker:
    """Runs sync records to completion with bounded concurrency.

    ``concurrency`` bounds the platform calls in flight. Twice as many records are in work,
    so that while some of them write to the database, the others keep ``concurrency``
    calls going (a record spends a good share of its time between calls).
    """

    def __init__(
        self,
        context: ServiceContext,
        *,
        concurrency: int | None = None,
        owner: str | None = None,
        seed: int | None = None,
    ) -> None:
        self.context = context
        self.concurrency = concurrency or context.settings.sync.concurrency
        self.owner = owner or new_owner()
        self.pacer = Pacer(context)
        self.rng = random.Random(seed)
        self.stats = WorkerStats()
        self.database_errors = 0  # in all (for the logs and tests)
        self._database_streak = 0  # in a row: the back-off, reset by a success
        self._dead_owners: set[str] = set()
        self._dead_checked = -1e9
        self._rules: PlatformRules | None = None
        self._active = 0
        self._wake = anyio.Event()  # set when a record's task ends (a slot is free)
        self.jobs = self.concurrency * JOBS_PER_REQUEST
        self.requests = anyio.Semaphore(self.concurrency)
        self.writer = RecordWriter(context.db)  # the records' steps, written in batches
        # Claims are taken in batches and held briefly so that a free slot is refilled at
        # once, without one claiming transaction per record.
        self.prefetch = max(1, self.jobs // 4)
        self.started_at = context.clock.now()
        self._next_beat = -1e9
        self._beating = False

    async def _heartbeat(self) -> None:
        """Say this worker is alive, every :data:`heartbeat.BEAT_SECONDS` (RULES §1.10)."""
        clock = self.context.clock
        if clock.monotonic() < self._next_beat:
            return
        self._next_beat = clock.monotonic() + heartbeat.BEAT_SECONDS
        try:
            await heartbeat.beat(self.context, self.owner, self.started_at)
            self._beating = True
        except DATABASE_TROUBLE as exc:  # the work matters more than the sign of life
            log.warning("could not record the worker's heartbeat: %s", exc)

    async def rules(self) -> PlatformRules:
        if self._rules is None:
            self._rules = await platform_rules(self.context)
        return self._rules

    # ------------------------------------------------------------------ claiming

    async def _refresh_dead_owners(self) -> None:
        clock = self.context.clock
        if clock.monotonic() - self._dead_checked < DEAD_OWNER_CHECK_SECONDS:
            return
        if isinstance(clock, DatabaseClock):  # keep to the server's clock (RULES §1.14)
            await clock.refresh(self.context.db)
        self._dead_checked = clock.monotonic()
        now = clock.now()
        async with self.context.db.read() as session:
            owners = (
                await session.scalars(
                    select(SyncRecord.lease_owner)
                    .where(SyncRecord.lease_owner.is_not(None), SyncRecord.lease_expires_at > now)
                    .distinct()
                )
            ).all()
        self._dead_owners = {owner for owner in owners if owner and owner_is_dead(owner)}

    async def claim(self, limit: int) -> list[Claim]:
        """Lease up to ``limit`` due records to this worker."""
        if limit <= 0:
            return []
        await self._refresh_dead_owners()
        clock = self.context.clock
        now = clock.now()
        blocked = await self.pacer.blocked_until()
        if blocked is not None and blocked > now:
            return []
        lease_free = or_(SyncRecord.lease_expires_at.is_(None), SyncRecord.lease_expires_at < now)
        if self._dead_owners:
            lease_free = or_(lease_free, SyncRecord.lease_owner.in_(sorted(self._dead_owners)))
        due = and_(
            SyncRecord.state == SyncState.IN_PROGRESS.value,
            or_(SyncRecord.next_attempt_at.is_(None), SyncRecord.next_attempt_at <= now),
            lease_free,
        )
        # A first sync starts with the look-up: show it from the claim on (saves a write).
        first_step = and_(
            SyncRecord.account_id.is_(None),
            SyncRecord.request_kind.is_(None),
            SyncRecord.platform_job_id.is_(None),
        )
        statement = (
            select(SyncRecord.employee_id, SyncRecord.lease_owner, SyncRecord.requested_by)
            .where(due)
            .order_by(SyncRecord.next_attempt_at, SyncRecord.employee_id)
            .limit(limit)
        )
        if self.context.db.is_postgresql:
            statement = statement.with_for_update(skip_locked=True)
        expires = now + dt.timedelta(seconds=self.context.settings.sync.lease_seconds)
        async with self.context.db.read() as session:  # cheap look before taking the write lock
            if (
                await session.execute(select(SyncRecord.employee_id).where(due).limit(1))
            ).first() is None:
                return []

        def claim(
            session: Session,
        ) -> tuple[list[Any], int, dict[int, dict[str, Any]], dict[int, SyncRecord]]:
            """(claimed rows, how many taken over, their employees, their records)."""
            rows = session.execute(statement).all()
            if not rows:
                return [], 0, {}, {}
            ids = [row.employee_id for row in rows]
            claimed = (
                session.execute(
                    update(SyncRecord)
                    .where(SyncRecord.employee_id.in_(ids), due)
                    .values(
                        lease_owner=self.owner,
                        lease_token=SyncRecord.lease_token + 1,
                        lease_expires_at=expires,
                        phase=case((first_step, Phase.LOOKING_UP.value), else_=SyncRecord.phase),
                        updated_at=now,
                    )
                    .returning(SyncRecord.employee_id, SyncRecord.lease_token)
                    .execution_options(synchronize_session=False)
                )
            ).all()
            employees, records = read_claimed(session, [row.employee_id for row in claimed])
            taken_over = [row for row in rows if row.lease_owner]
            if taken_over:
                write_events(
                    session,
                    (
                        event(
                            row.employee_id,
                            self.context.actor,
                            Action.LEASE_RECLAIMED,
                            now,
                            reason=f"resumed work left by {row.lease_owner}",
                            requested_by=row.requested_by,
                        )
                        for row in taken_over
                    ),
                )
            return list(claimed), len(taken_over), employees, records

        claimed, taken_over, employees, records = await self.context.db.run_write(claim)
        self.stats.claimed += len(claimed)
        self.stats.reclaimed += taken_over
        return [
            Claim(
                row.employee_id,
                row.lease_token,
                self.owner,
                employees.get(row.employee_id),
                records.get(row.employee_id),
            )
            for row in claimed
        ]

    # ---------------------------------------------------------------- processing

    async def _process(self, claim: Claim) -> None:
        crashpoint("after_claim")
        try:
            job = RecordJob(
                self.context,
                claim,
                self.pacer,
                await self.rules(),
                self.rng,
                requests=self.requests,
                writer=self.writer,
            )
            await job.run()
        except (LeaseLost, WriteInterrupted):
            pass  # someone else has the record now, or the worker is stopping: the lease expires
        except Exception:  # a bug must not stop the worker: the lease expires and it is retried
            log.exception("sync of employee %s failed unexpectedly", claim.employee_id)
        finally:
            self.stats.processed += 1
            self._active -= 1
            self._wake.set()

    async def _release(self, claims: list[Claim]) -> None:
        """Give back leases taken but not started (fenced: only those still ours)."""
        now = self.context.clock.now()

        def release(session: Session) -> None:
            for claim in claims:
                session.execute(
                    update(SyncRecord)
                    .where(
                        SyncRecord.employee_id == claim.employee_id,
                        SyncRecord.lease_token == claim.token,
                        SyncRecord.lease_owner == claim.owner,
                    )
                    .values(lease_owner=None, lease_expires_at=None, updated_at=now)
                    .execution_options(synchronize_session=False)
                )

        await self.context.db.run_write(release)

    async def next_due_in(self) -> float | None:
        """Seconds until the next record falls due (None when nothing is In progress)."""
        now = self.context.clock.now()
        async with self.context.db.read() as session:
            row = (
                await session.execute(
                    select(
                        func.count(), func.min(func.coalesce(SyncRecord.next_attempt_at, now))
                    ).where(SyncRecord.state == SyncState.IN_PROGRESS.value)
                )
            ).one()
        count, soonest = row
        if not count:
            return None
        if soonest is None:
            return 0.0
        if isinstance(soonest, str):  # SQLite returns min() of a coalesce as text
            soonest = dt.datetime.fromisoformat(soonest).replace(tzinfo=dt.UTC)
        return max((soonest - now).total_seconds(), 0.0)

    async def run(
        self,
        *,
        until_idle: bool = False,
        stop: anyio.Event | None = None,
        poll_seconds: float = IDLE_POLL_SECONDS,
        on_progress: Callable[[], None] | None = None,
    ) -> WorkerStats:
        """Work until stopped; with ``until_idle``, until no employee is In progress.

        Keeps ``jobs`` records in work: claims come in batches into a small local
        queue (``prefetch``), and a task that ends wakes the loop to start the next at once.
        When nothing is due, the database is asked again every ``poll_seconds`` (every
        50 ms at most while records are being worked).
        """
        pending: deque[Claim] = deque()
        clock = self.context.clock
        exhausted = False  # the last claim found fewer due records than asked for
        next_poll = 0.0
        try:
            async with anyio.create_task_group() as group:
                while stop is None or not stop.is_set():
                    await self._heartbeat()
                    self._wake = anyio.Event()  # before looking at the slots: no end is missed
                    while pending and self._active < self.jobs:
                        self._active += 1
                        group.start_soon(self._process, pending.popleft())
                    want = self.jobs + self.prefetch - self._active - len(pending)
                    if (
                        want > 0
                        and (want >= self.prefetch or not pending)
                        and (not exhausted or clock.monotonic() >= next_poll)
                    ):
                        try:
                            claims = await self.claim(want)
                        except DATABASE_TROUBLE as exc:
                            await self._database_trouble(exc)
                            continue
                        self._database_streak = 0
                        pending.extend(claims)
                        exhausted = len(claims) < want
                        if exhausted:
                            interval = (
                                poll_seconds
                                if self._active == 0 and not pending
                                else BUSY_POLL_SECONDS
                            )
                            next_poll = clock.monotonic() + min(poll_seconds, interval)
                        if claims:
                            if on_progress:
                                on_progress()
                            continue
                    if until_idle and self._active == 0 and not pending:
                        try:
                            due = await self.next_due_in()
                        except DATABASE_TROUBLE as exc:
                            await self._database_trouble(exc)
                            continue
                        self._database_streak = 0
                        if due is None:
                            break
                        await anyio.sleep(min(max(due, 0.05), poll_seconds))
                        next_poll = 0.0
                        continue
                    if on_progress:
                        on_progress()
                    # Sleep until a task ends (a slot frees) or it is time to look again.
                    timeout = max(next_poll - clock.monotonic(), 0.0) if exhausted else poll_seconds
                    with anyio.move_on_after(min(max(timeout, 0.001), poll_seconds)):
                        await self._wake.wait()
                if stop is not None and stop.is_set():
                    group.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                if pending:
                    try:
                        await self._release(list(pending))
                    except Exception:  # the leases expire on their own
                        log.exception("could not give back %d unstarted claims", len(pending))
                if self._beating:
                    self._beating = False
                    self._next_beat = -1e9
                    try:
                        await heartbeat.stop_beating(self.context, self.owner)
                    except Exception:  # the heartbeat goes stale on its own
                        log.debug("could not remove the worker's heartbeat", exc_info=True)
        return self.stats

    async def _database_trouble(self, exc: Exception) -> None:
        """A deadlock, a restarting server, a full disk: wait and try again, never exit."""
        self.database_errors += 1
        self._database_streak += 1
        delay = DATABASE_RETRY.delay(self._database_streak)
        log.warning(
            "database trouble while looking for work (retrying in %.1f s): %s",
            delay,
            one_line(exc),
        )
        await anyio.sleep(delay)

    async def drain(self) -> WorkerStats:
        """Work until nothing is In progress (``benefits-tui worker --once``); callers that
        need a deadline wrap it in :func:`anyio.fail_after`."""
        return await self.run(until_idle=True, poll_seconds=0.05)
