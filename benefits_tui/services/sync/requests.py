"""Requesting a sync (RULES §1.2): the Sync button and `benefits-tui sync`, with pre-flight.

A request names employees, or "everything in this tab and filter" (a predicate, never a
list of 100,000 IDs shipped around), minus any unticked exceptions. Each employee is queued
at most once: the queueing UPDATE only matches records still in Not syncing or Failed, so
two users asking at the same moment share one job.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import (
    AsyncIterator,
    Callable,
    Collection,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Update, case, func, or_, select, true, update
from sqlalchemy.orm import Session

from benefits_tui.db.models import Employee, SyncRecord
from benefits_tui.domain.states import Action, Phase, SyncState
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.grid import Selection as Selection  # noqa: PLC0414
from benefits_tui.services.history import event, write_events
from benefits_tui.services.permissions import Permission
from benefits_tui.services.queries import EmployeeFilter, current_clause, filter_clauses
from benefits_tui.services.sync import preflight
from benefits_tui.services.sync.reference import PlatformRules, platform_rules
from benefits_tui.services.sync.verdicts import refresh_verdicts, shared_keys

CHUNK = 2000
REQUESTABLE = (SyncState.NOT_SYNCING.value, SyncState.FAILED.value)


@dataclass
class SyncPlan:
    """What a request would do, before it is confirmed (the Confirm Sync summary).

    Counts only: a plan of a million employees is as small as a plan of one.
    """

    total: int = 0
    to_send: int = 0
    already_in_progress: int = 0
    already_synced: int = 0
    rejected_by_kind: Counter[str] = field(default_factory=Counter)
    without_level: int = 0
    # When the plan looked: a record requested by someone else since then is theirs.
    planned_at: dt.datetime | None = None
    rules: PlatformRules | None = None

    @property
    def rejected(self) -> int:
        """Employees that will fail at once (pre-flight)."""
        return sum(self.rejected_by_kind.values())

    @property
    def sendable(self) -> int:
        """Employees the request sends: queued, plus those failed at once with a reason."""
        return self.to_send + self.rejected

    def summary_lines(self) -> list[str]:
        """The pre-flight summary, one line each, for people."""
        lines = []
        for kind, count in self.rejected_by_kind.most_common():
            label = preflight.REJECTION_LABELS.get(kind, kind)
            lines.append(f"{count:,} will fail at once: {label}")
        if self.without_level:
            verb = "has" if self.without_level == 1 else "have"
            lines.append(f"{self.without_level:,} {verb} no Benefits Level")
        if self.already_in_progress:
            lines.append(f"{self.already_in_progress:,} already in progress (left as they are)")
        if self.already_synced:
            lines.append(f"{self.already_synced:,} already synced (left as they are)")
        return lines

    def add(self, state: str, verdict: str | None, no_level: bool, count: int) -> None:
        """Count ``count`` records (negative to take excluded ones away)."""
        self.total += count
        if state == SyncState.IN_PROGRESS.value:
            self.already_in_progress += count
        elif state == SyncState.SUCCESSFUL.value:
            self.already_synced += count
        elif verdict is not None:
            self.rejected_by_kind[verdict] += count
            if not self.rejected_by_kind[verdict]:
                del self.rejected_by_kind[verdict]
        else:
            self.to_send += count
            if no_level:
                self.without_level += count


@dataclass(frozen=True)
class SyncRequestResult:
    """What a confirmed request did."""

    requested: int
    queued: int
    already_in_progress: int
    rejected: int
    already_synced: int

    @property
    def sent(self) -> int:
        """Employees sent to Benefits: queued, plus those failed at once with a reason."""
        return self.queued + self.rejected


def _id_chunks(selection: Selection) -> Iterator[list[int]]:
    ids = sorted((selection.ids or frozenset()) - selection.excluded)
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _filter_clauses(context: ServiceContext, selection: Selection) -> list[ColumnElement[bool]]:
    """The SQL conditions of a select-all (its tab and search), as the grid lists it."""
    flt = selection.filter or EmployeeFilter()
    return filter_clauses(flt, context.clock.today(), indexed=context.db.is_sqlite)


def _joined(*columns: Any) -> Select[Any]:
    """``SELECT columns`` from employees joined to their sync records."""
    return (
        select(*columns)
        .select_from(Employee)
        .join(SyncRecord, SyncRecord.employee_id == Employee.id)
    )


async def plan_sync(
    context: ServiceContext, selection: Selection, rules: PlatformRules | None = None
) -> SyncPlan:
    """Pre-flight every selected employee without changing anything: a grouped count in SQL.

    Verdicts are kept with each employee (:mod:`verdicts`); the few that are stale (edited
    since, or computed with other platform rules) are recomputed first, so the count is exact.
    """
    rules = rules or await platform_rules(context)
    await refresh_verdicts(context, rules)
    plan = SyncPlan(planned_at=context.clock.now(), rules=rules)
    if selection.ids is not None:
        # Ticked employees (the app holds their IDs anyway): a chunk at a time.
        for chunk in _id_chunks(selection):
            async with context.db.read() as session:
                rows = (
                    await session.execute(
                        select(*_CANDIDATE_COLUMNS, SyncRecord.state, Employee.benefit_level)
                        .select_from(Employee)
                        .join(SyncRecord, SyncRecord.employee_id == Employee.id)
                        .where(Employee.id.in_(chunk))
                    )
                ).all()
            keys = {row.email_key for row in rows if row.email_key and row.account_id is None}
            holders = await holders_of(context, keys)
            holders = {key: names for key, names in holders.items() if len(names) > 1}
            for row in rows:
                plan.add(row.state, _verdict(row, holders), not row.benefit_level, 1)
        return plan
    # Everyone in a tab and search. One pass counts the rows and those without a level; the
    # rejected, a minority, are found through the verdict indexes (migration 0009) instead of
    # judging every row in SQL (conditional counts per kind were 3x slower at 1,000,000, a
    # GROUP BY on the verdict sorted every row); then the few holders of a shared email are
    # moved from their own verdict to their shared-email verdict.
    clauses = _filter_clauses(context, selection)
    no_level = or_(Employee.benefit_level.is_(None), Employee.benefit_level == "")
    verdicts = (
        (Employee.preflight_alone, SyncRecord.account_id.is_(None)),
        (Employee.preflight_linked, SyncRecord.account_id.is_not(None)),
    )
    unlinked = func.coalesce(SyncRecord.account_id, "") == ""  # (not the account index)
    shared = _joined(
        SyncRecord.state,
        Employee.preflight_alone,
        Employee.preflight_shared,
        no_level,
        func.count(),
    ).group_by(SyncRecord.state, Employee.preflight_alone, Employee.preflight_shared, no_level)

    async def count(where: Sequence[ColumnElement[bool]], sign: int) -> None:
        async with context.db.read() as session:
            totals = await session.execute(
                _joined(SyncRecord.state, func.count(), func.count(case((no_level, 1))))
                .where(*where)
                .group_by(SyncRecord.state)
            )
            sendable = {state: [total - missing, missing] for state, total, missing in totals}
            for verdict, link in verdicts:
                judged = select(Employee.id).where(verdict.is_not(None))
                rejected = (
                    _joined(SyncRecord.state, verdict, no_level, func.count())
                    .where(*where, link, SyncRecord.employee_id.in_(judged))
                    .group_by(SyncRecord.state, verdict, no_level)
                )
                for state, kind, missing, n in (await session.execute(rejected)).all():
                    sendable[state][bool(missing)] -= n
                    plan.add(state, kind, False, sign * n)
            for state, (with_level, without_level) in sendable.items():
                plan.add(state, None, False, sign * with_level)
                plan.add(state, None, True, sign * without_level)
            # Driven from the shared keys (the email index), not from the whole tab.
            holder_ids = select(Employee.id).where(Employee.email_key.in_(shared_keys(context)))
            holders = shared.where(*where, unlinked, Employee.id.in_(holder_ids))
            for state, alone, if_shared, missing, n in (await session.execute(holders)).all():
                plan.add(state, alone, bool(missing), -sign * n)
                plan.add(state, if_shared, bool(missing), sign * n)

    await count(clauses, 1)
    excluded = sorted(selection.excluded)
    for start in range(0, len(excluded), CHUNK):
        await count([*clauses, Employee.id.in_(excluded[start : start + CHUNK])], -1)
    return plan


_CANDIDATE_COLUMNS = (
    Employee.id,
    Employee.email_key,
    Employee.preflight_alone,
    Employee.preflight_shared,
    Employee.preflight_linked,
    SyncRecord.account_id,
)
_PLAN_COLUMNS = (
    Employee.id,
    Employee.employee_number,
    Employee.benefit_level,
    SyncRecord.state,
    SyncRecord.account_id,
)


async def selected_rows(
    context: ServiceContext,
    selection: Selection,
    columns: Sequence[Any],
    *where: ColumnElement[bool],
) -> AsyncIterator[Sequence[Any]]:
    """``columns`` (with ``Employee.id``) of the selected employees, a chunk at a time.

    A filter is walked by ID (keyset), so neither memory nor any one query grows with the
    number of employees selected.
    """
    base = (
        select(*columns)
        .select_from(Employee)
        .join(SyncRecord, SyncRecord.employee_id == Employee.id)
        .where(*where)
    )
    if selection.ids is not None:
        for chunk in _id_chunks(selection):
            async with context.db.read() as session:
                yield (await session.execute(base.where(Employee.id.in_(chunk)))).all()
        return
    clauses = _filter_clauses(context, selection)
    last_id = 0
    while True:
        statement = base.where(*clauses, Employee.id > last_id).order_by(Employee.id).limit(CHUNK)
        async with context.db.read() as session:
            rows = (await session.execute(statement)).all()
        if not rows:
            return
        last_id = rows[-1].id
        yield [row for row in rows if row.id not in selection.excluded]


def _candidate_rows(context: ServiceContext, selection: Selection) -> AsyncIterator[Sequence[Any]]:
    """The selected employees (number, level, state, account), a chunk at a time."""
    return selected_rows(context, selection, _PLAN_COLUMNS)


def _candidates(context: ServiceContext, selection: Selection) -> AsyncIterator[Sequence[Any]]:
    """The selected records still requestable, with their verdicts, a chunk at a time."""
    return selected_rows(context, selection, _CANDIDATE_COLUMNS, SyncRecord.state.in_(REQUESTABLE))


async def holders_of(
    context: ServiceContext, keys: Collection[str]
) -> dict[str, list[tuple[int, str]]]:
    """Current employees holding each of these email keys: key -> [(id, "E000123 Name")]."""
    holders: dict[str, list[tuple[int, str]]] = {}
    if not keys:
        return holders
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
        .where(Employee.email_key.in_(list(keys)), current_clause(context.clock.today()))
        .order_by(Employee.employee_number)
    )
    async with context.db.read() as session:
        for row in (await session.execute(statement)).all():
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


def _verdict(row: Any, holders: dict[str, list[tuple[int, str]]]) -> str | None:
    if row.account_id is not None:
        return row.preflight_linked  # type: ignore[no-any-return]
    if _others(holders, row.email_key, row.id):
        return row.preflight_shared  # type: ignore[no-any-return]
    return row.preflight_alone  # type: ignore[no-any-return]


Progress = Callable[[int, int], None]


async def request_sync(
    context: ServiceContext,
    selection: Selection,
    *,
    plan: SyncPlan | None = None,
    on_progress: Progress | None = None,
) -> SyncRequestResult:
    """Confirm a sync: queue the sendable employees, fail the rest at once with a reason.

    The selection is walked a chunk at a time (short transactions, bounded memory);
    ``on_progress(done, total)`` is called after each. Nothing is kept of the employees: a
    caller follows its request by who asked and when (``queries.request_outcome``).
    """
    context.require(Permission.SYNC)
    plan = plan or await plan_sync(context, selection)
    rules = plan.rules or await platform_rules(context)
    await refresh_verdicts(context, rules)  # anything edited since the plan
    total = plan.sendable
    queued = rejected = 0
    async for chunk in _candidates(context, selection):
        keys = {row.email_key for row in chunk if row.email_key and row.account_id is None}
        holders = await holders_of(context, keys)
        holders = {key: names for key, names in holders.items() if len(names) > 1}
        to_send = [row.id for row in chunk if _verdict(row, holders) is None]
        failing = [row.id for row in chunk if _verdict(row, holders) is not None]
        failed, passing = await _reject(context, failing, rules, holders, plan.planned_at)
        moved = await queue_first_syncs(
            context, to_send + passing, not_requested_since=plan.planned_at
        )
        queued += len(moved)
        rejected += len(failed)
        if on_progress:
            on_progress(min(queued + rejected, total), total)
    return SyncRequestResult(
        requested=plan.total,
        queued=queued,
        already_in_progress=plan.already_in_progress + max(0, total - queued - rejected),
        rejected=rejected,
        already_synced=plan.already_synced,
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


def requeue_linked(context: ServiceContext, ids: Sequence[int]) -> Update:
    """Queue an update by account ID for those of ``ids`` that are linked and not already In
    progress (RULES §1.9: HR changed what a linked account holds); add ``.returning``."""
    return (
        update(SyncRecord)
        .where(
            SyncRecord.employee_id.in_(ids),
            SyncRecord.account_id.is_not(None),
            SyncRecord.state != SyncState.IN_PROGRESS.value,
        )
        .values(**queued_values(context))
        .execution_options(synchronize_session=False)
    )


def _not_requested_since(
    moment: dt.datetime | None, column: Any = SyncRecord.requested_at
) -> ColumnElement[bool]:
    """Nobody asked for this record after ``moment`` (two users asking at once share it)."""
    if moment is None:
        return true()
    return or_(column.is_(None), column <= moment)


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

    def queue(session: Session, chunk: list[int]) -> list[int]:
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
        done = list(session.scalars(statement).all())
        now = context.clock.now()
        write_events(session, (event(i, context.actor, Action.REQUESTED, now) for i in done))
        return done

    moved: list[int] = []
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        moved.extend(await context.db.run_write(queue, chunk))
        if on_progress:
            on_progress(start + len(chunk), len(ids))
    return moved


async def _reject(
    context: ServiceContext,
    ids: Sequence[int],
    rules: PlatformRules,
    holders: dict[str, list[tuple[int, str]]],
    planned_at: dt.datetime | None,
) -> tuple[list[int], list[int]]:
    """Fail records at once (HR rejected) with their reasons; no platform call.

    The reason is the pure pre-flight's, computed now from the record as it is (naming the
    other holders of a shared email). Each row is failed only if it is still as read here and
    nobody requested it after the plan looked, and its history is written only then: two
    users confirming at once record one request, not two. Returns (failed, now passing).
    """
    if not ids:
        return [], []
    statement = (
        select(
            *preflight.EMPLOYEE_COLUMNS,
            SyncRecord.state,
            SyncRecord.account_id,
            SyncRecord.requested_at,
        )
        .select_from(Employee)
        .join(SyncRecord, SyncRecord.employee_id == Employee.id)
        .where(Employee.id.in_(list(ids)), SyncRecord.state.in_(REQUESTABLE))
    )
    async with context.db.read() as session:
        rows = (await session.execute(statement)).mappings().all()
    records = SyncRecord.__table__
    done: list[int] = []
    passing: list[int] = []
    now = context.clock.now()

    def reject(session: Session) -> None:
        connection = session.connection()
        events = []
        for row in rows:
            employee_id = row["id"]
            rejection = preflight.check(
                cast(Mapping[str, Any], row),
                rules,
                _others(holders, row["email_key"], employee_id),
                linked=row["account_id"] is not None,
            )
            if rejection is None:
                passing.append(employee_id)
                continue
            requested_at = row["requested_at"]
            unchanged = (
                records.c.requested_at.is_(None)
                if requested_at is None
                else records.c.requested_at == requested_at
            )
            result = connection.execute(
                update(records)
                .where(
                    records.c.employee_id == employee_id,
                    records.c.state == row["state"],
                    unchanged,
                    _not_requested_since(planned_at, records.c.requested_at),
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
                events.append(event(employee_id, context.actor, Action.REQUESTED, now))
                events.append(
                    event(
                        employee_id, context.actor, Action.HR_REJECTED, now, reason=rejection.reason
                    )
                )
        write_events(session, events)

    await context.db.run_write(reject)
    return done, passing


async def queue_resends(context: ServiceContext, ids: Sequence[int], *, reason: str) -> list[int]:
    """Queue a re-send of HR's values (an update by account ID) for linked employees.

    The employee's revision moves on, as when HR edits a synced field (RULES §1.9), so the
    worker sends HR's values again by the linked account ID; history says who asked and why.
    Records already In progress are left alone (what they send is HR's values anyway);
    returns the IDs this call queued.
    """
    context.require(Permission.RECONCILE)

    def queue(session: Session, chunk: list[int]) -> list[int]:
        statement = requeue_linked(context, chunk).returning(
            SyncRecord.employee_id, SyncRecord.account_id
        )
        done = session.execute(statement).all()
        if done:
            session.execute(
                update(Employee)
                .where(Employee.id.in_([row.employee_id for row in done]))
                .values(revision=Employee.revision + 1)
                .execution_options(synchronize_session=False)
            )
        now = context.clock.now()
        write_events(
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
        return [row.employee_id for row in done]

    queued: list[int] = []
    for start in range(0, len(ids), CHUNK):
        queued.extend(await context.db.run_write(queue, list(ids[start : start + CHUNK])))
    return queued
