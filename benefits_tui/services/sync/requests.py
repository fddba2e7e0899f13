"""Requesting a sync (SPEC 1.2): the Sync button and `benefits-tui sync`, with pre-flight.

A request names employees, or "everything in this tab and filter" (a predicate, never a
list of 100,000 IDs shipped around), minus any unticked exceptions. Each employee is queued
at most once: the queueing UPDATE only matches records still in Not syncing or Failed, so
two users asking at the same moment share one job.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, true, update

from benefits_tui.config import Role
from benefits_tui.db.models import Employee, SyncRecord
from benefits_tui.domain.states import Action, Phase, SyncState
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.history import event, write_events
from benefits_tui.services.queries import EmployeeFilter, current_clause, filter_clauses
from benefits_tui.services.sync import preflight
from benefits_tui.services.sync.reference import PlatformRules, platform_rules

CHUNK = 2000
REQUESTABLE = (SyncState.NOT_SYNCING.value, SyncState.FAILED.value)


@dataclass(frozen=True)
class Selection:
    """Who an action applies to: ticked IDs, or all in a filter minus unticked ones."""

    ids: frozenset[int] | None = None
    filter: EmployeeFilter | None = None
    excluded: frozenset[int] = frozenset()

    @classmethod
    def of(cls, ids: Iterable[int]) -> Selection:
        return cls(ids=frozenset(ids))

    @classmethod
    def all_in(cls, flt: EmployeeFilter, excluded: Iterable[int] = ()) -> Selection:
        return cls(filter=flt, excluded=frozenset(excluded))


@dataclass
class SyncPlan:
    """What a request would do, before it is confirmed (the Confirm Sync summary)."""

    total: int = 0
    to_send: list[int] = field(default_factory=list)
    already_in_progress: int = 0
    already_synced: int = 0
    rejected: dict[int, preflight.Rejection] = field(default_factory=dict)
    without_level: int = 0
    # When the plan looked: a record requested by someone else since then is theirs.
    planned_at: dt.datetime | None = None
    # What the plan saw of each rejected record (state, requested_at), to fail it only if
    # nobody else has touched it since.
    seen: dict[int, tuple[str, dt.datetime | None]] = field(default_factory=dict)

    @property
    def rejected_by_kind(self) -> Counter[str]:
        return Counter(rejection.kind for rejection in self.rejected.values())

    def summary_lines(self) -> list[str]:
        """The pre-flight summary, one line each, for people."""
        lines = []
        for kind, count in self.rejected_by_kind.most_common():
            label = preflight.REJECTION_LABELS.get(kind, kind)
            lines.append(f"{count:,} will fail at once: {label}")
        if self.without_level:
            lines.append(f"{self.without_level:,} have no Benefits Level")
        if self.already_in_progress:
            lines.append(f"{self.already_in_progress:,} already in progress (left as they are)")
        if self.already_synced:
            lines.append(f"{self.already_synced:,} already synced (left as they are)")
        return lines


@dataclass(frozen=True)
class SyncRequestResult:
    """What a confirmed request did."""

    requested: int
    queued: int
    already_in_progress: int
    rejected: int
    already_synced: int
    queued_ids: tuple[int, ...] = ()
    rejected_ids: tuple[int, ...] = ()

    @property
    def sent(self) -> int:
        """Employees sent to Benefits: queued, plus those failed at once with a reason."""
        return self.queued + self.rejected


_PLAN_COLUMNS = (
    Employee.id,
    Employee.employee_number,
    Employee.title,
    Employee.forenames,
    Employee.surname,
    Employee.email,
    Employee.email_key,
    Employee.date_of_birth,
    Employee.gender,
    Employee.annual_pay,
    Employee.pay_basis,
    Employee.pay_frequency,
    Employee.benefit_level,
    Employee.leave_date,
    SyncRecord.state,
    SyncRecord.account_id,
    SyncRecord.requested_at,
)


async def _candidate_rows(
    context: ServiceContext, selection: Selection
) -> AsyncIterator[Sequence[Any]]:
    base = (
        select(*_PLAN_COLUMNS)
        .select_from(Employee)
        .join(SyncRecord, SyncRecord.employee_id == Employee.id)
    )
    if selection.ids is not None:
        ids = sorted(selection.ids - selection.excluded)
        for start in range(0, len(ids), CHUNK):
            async with context.db.read() as session:
                yield (
                    await session.execute(base.where(Employee.id.in_(ids[start : start + CHUNK])))
                ).all()
        return
    flt = selection.filter or EmployeeFilter()
    statement = base.where(*filter_clauses(flt, context.clock.today())).order_by(Employee.id)
    excluded = selection.excluded
    async with context.db.read() as session:
        rows = (await session.execute(statement)).all()
    rows = [row for row in rows if row.id not in excluded]
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


async def shared_emails(context: ServiceContext) -> dict[str, list[tuple[int, str]]]:
    """Emails held by more than one current employee: key -> [(id, "E000123 Name"), ...]."""
    today = context.clock.today()
    current = current_clause(today)
    keys = (
        select(Employee.email_key)
        .select_from(Employee)
        .join(SyncRecord, SyncRecord.employee_id == Employee.id)
        .where(Employee.email_key.is_not(None), current)
        .group_by(Employee.email_key)
        .having(func.count() > 1)
    )
    statement = (
        select(
            Employee.id,
            Employee.employee_number,
            Employee.forenames,
            Employee.surname,
            Employee.email_key,
        )
        .select_from(Employee)
        .join(SyncRecord, SyncRecord.employee_id == Employee.id)
        .where(Employee.email_key.in_(keys), current)
        .order_by(Employee.employee_number)
    )
    async with context.db.read() as session:
        rows = (await session.execute(statement)).all()
    holders: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        holders.setdefault(row.email_key, []).append(
            (row.id, f"{row.employee_number} {row.forenames} {row.surname}".strip())
        )
    return holders


def _others(
    holders: dict[str, list[tuple[int, str]]], key: str | None, employee_id: int
) -> str | None:
    if not key or key not in holders:
        return None
    names = [name for other_id, name in holders[key] if other_id != employee_id]
    return ", ".join(names) if names else None


async def plan_sync(
    context: ServiceContext, selection: Selection, rules: PlatformRules | None = None
) -> SyncPlan:
    """Pre-flight every selected employee without changing anything."""
    rules = rules or await platform_rules(context)
    holders = await shared_emails(context)
    plan = SyncPlan(planned_at=context.clock.now())
    async for chunk in _candidate_rows(context, selection):
        for row in chunk:
            plan.total += 1
            state = row.state
            if state == SyncState.IN_PROGRESS.value:
                plan.already_in_progress += 1
                continue
            if state == SyncState.SUCCESSFUL.value:
                plan.already_synced += 1
                continue
            mapping = row._mapping
            rejection = preflight.check(
                mapping,
                rules,
                _others(holders, row.email_key, row.id),
                linked=row.account_id is not None,
            )
            if rejection is not None:
                plan.rejected[row.id] = rejection
                plan.seen[row.id] = (row.state, row.requested_at)
                continue
            plan.to_send.append(row.id)
            if not row.benefit_level:
                plan.without_level += 1
    return plan


Progress = Callable[[int, int], None]


async def request_sync(
    context: ServiceContext,
    selection: Selection,
    *,
    plan: SyncPlan | None = None,
    on_progress: Progress | None = None,
) -> SyncRequestResult:
    """Confirm a sync: queue the sendable employees, fail the rest at once with a reason.

    Large batches are written in chunks (short transactions); ``on_progress(done, total)``
    is called after each.
    """
    context.require(Role.HR, "sync employees to Benefits")
    plan = plan or await plan_sync(context, selection)
    total = len(plan.rejected) + len(plan.to_send)

    def rejected_progress(done: int, _: int) -> None:
        if on_progress:
            on_progress(done, total)

    def queued_progress(done: int, _: int) -> None:
        if on_progress:
            on_progress(len(plan.rejected) + done, total)

    rejected = await _reject(context, plan.rejected, plan.seen, on_progress=rejected_progress)
    queued = await queue_first_syncs(
        context, plan.to_send, on_progress=queued_progress, not_requested_since=plan.planned_at
    )
    return SyncRequestResult(
        requested=plan.total,
        queued=len(queued),
        already_in_progress=plan.already_in_progress + (len(plan.to_send) - len(queued)),
        rejected=len(rejected),
        already_synced=plan.already_synced,
        queued_ids=tuple(queued),
        rejected_ids=tuple(rejected),
    )


def queued_values(context: ServiceContext) -> dict[str, Any]:
    """Column values that put a record In progress, due now."""
    now = context.clock.now()
    return {
        "state": SyncState.IN_PROGRESS.value,
        "phase": Phase.QUEUED.value,
        "attempts": 0,
        "first_attempt_at": None,
        "next_attempt_at": now,
        "reason": None,
        "last_error": None,
        "lookup_misses": 0,
        "requested_by": context.actor,
        "requested_at": now,
        "updated_at": now,
    }


def _not_requested_since(moment: dt.datetime | None) -> ColumnElement[bool]:
    """Nobody asked for this record after ``moment`` (two users asking at once share it)."""
    if moment is None:
        return true()
    return or_(SyncRecord.requested_at.is_(None), SyncRecord.requested_at <= moment)


async def queue_first_syncs(
    context: ServiceContext,
    ids: Sequence[int],
    *,
    on_progress: Progress | None = None,
    not_requested_since: dt.datetime | None = None,
) -> list[int]:
    """Move Not syncing / Failed records to In progress; returns the IDs this call moved.

    Only records still requestable, and not requested by someone else after
    ``not_requested_since`` (the moment the caller's plan looked), are moved.
    """
    moved: list[int] = []
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        async with context.db.write() as session:
            statement = (
                update(SyncRecord)
                .where(
                    SyncRecord.employee_id.in_(chunk),
                    SyncRecord.state.in_(REQUESTABLE),
                    _not_requested_since(not_requested_since),
                )
                .values(**queued_values(context))
                .returning(SyncRecord.employee_id)
            )
            done = list((await session.scalars(statement)).all())
            now = context.clock.now()
            await write_events(
                session, (event(i, context.actor, Action.REQUESTED, now) for i in done)
            )
        moved.extend(done)
        if on_progress:
            on_progress(start + len(chunk), len(ids))
    return moved


async def _reject(
    context: ServiceContext,
    rejected: dict[int, preflight.Rejection],
    seen: dict[int, tuple[str, dt.datetime | None]],
    *,
    on_progress: Progress | None = None,
) -> list[int]:
    """Fail records at once (HR rejected) with their reasons; no platform call.

    Each row is failed only if it is still as the plan saw it (same state, same last
    request), and its history is written only then: two users confirming at once record
    one request, not two — even when the other's write was not yet visible to the plan.
    """
    records = SyncRecord.__table__
    items = list(rejected.items())
    done: list[int] = []
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        now = context.clock.now()
        async with context.db.write() as session:
            connection = await session.connection()
            rows = []
            for employee_id, rejection in chunk:
                state, requested_at = seen.get(employee_id, (SyncState.NOT_SYNCING.value, None))
                unchanged = (
                    records.c.requested_at.is_(None)
                    if requested_at is None
                    else records.c.requested_at == requested_at
                )
                result = await connection.execute(
                    update(records)
                    .where(
                        records.c.employee_id == employee_id, records.c.state == state, unchanged
                    )
                    .values(
                        state=SyncState.FAILED.value,
                        phase=None,
                        reason=rejection.reason,
                        next_attempt_at=None,
                        requested_by=context.actor,
                        requested_at=now,
                        updated_at=now,
                    )
                )
                if result.rowcount:
                    done.append(employee_id)
                    rows.append(event(employee_id, context.actor, Action.REQUESTED, now))
                    rows.append(
                        event(
                            employee_id,
                            context.actor,
                            Action.HR_REJECTED,
                            now,
                            reason=rejection.reason,
                        )
                    )
            await write_events(session, rows)
        if on_progress:
            on_progress(start + len(chunk), len(items))
    return done


async def queue_resends(context: ServiceContext, ids: Sequence[int], *, reason: str) -> list[int]:
    """Queue a re-send of HR's values (an update by account ID) for linked employees.

    The record forgets which revision it sent, so the worker sends HR's values again, by the
    linked account ID, and history says who asked and why. Records already In progress are
    left alone (what they send is HR's values anyway); returns the IDs this call queued.
    """
    context.require(Role.HR, "re-send HR's values to Benefits")
    queued: list[int] = []
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        async with context.db.write() as session:
            statement = (
                update(SyncRecord)
                .where(
                    SyncRecord.employee_id.in_(chunk),
                    SyncRecord.account_id.is_not(None),
                    SyncRecord.state != SyncState.IN_PROGRESS.value,
                )
                .values(synced_revision=0, **queued_values(context))
                .returning(SyncRecord.employee_id, SyncRecord.account_id)
            )
            done = (await session.execute(statement)).all()
            now = context.clock.now()
            await write_events(
                session,
                (
                    event(
                        row.employee_id,
                        context.actor,
                        Action.UPDATE_QUEUED,
                        now,
                        reason=f"re-send HR's values to account {row.account_id}: {reason}",
                    )
                    for row in done
                ),
            )
        queued.extend(row.employee_id for row in done)
    return queued
