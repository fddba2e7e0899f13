"""Reconciliation runs and their findings in the database: written as a run goes, read by the
status line, `status --json`, the Drift view and `reconcile --json`."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from benefits_tui.db.models import DriftFinding, Employee, Reconciliation, SyncRecord
from benefits_tui.domain.safe_text import clip
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.reconcile import summary
from benefits_tui.services.reconcile.findings import DriftKind, Finding
from benefits_tui.services.reconcile.summary import run_summary

RUNNING, FINISHED, FAILED = "running", "finished", "failed"
KEEP_RUNS = 50  # older runs (and their findings) are deleted when a run finishes
READ_BATCH = 1000
MAX_ERROR_CHARS = 1000
SCHEDULE_LOCK = 0x62_74_72_63  # "btrc": the advisory lock of scheduled runs

# They live apart (no SQLAlchemy there, for `status`'s quick path); still named from here.
RunSummary = summary.RunSummary
LastReconciliation = summary.LastReconciliation


@dataclass(frozen=True)
class FindingRow:
    """A stored finding with the employee it concerns, for people."""

    id: int
    kind: DriftKind
    employee_id: int | None
    employee_number: str | None
    employee_name: str | None
    account_id: str | None
    fields: dict[str, dict[str, Any]]
    values: dict[str, dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        """The finding as RULES §4's `reconcile --json` lists it."""
        item: dict[str, Any] = {"kind": self.kind.value}
        if self.employee_number is not None:
            item["employee_number"] = self.employee_number
        if self.account_id is not None:
            item["account_id"] = self.account_id
        if self.kind is DriftKind.FIELD_DRIFT:
            item["fields"] = self.fields
        return item


def _summary(run: Reconciliation) -> RunSummary:
    assert run.finished_at is not None
    return run_summary(
        run.id,
        run.actor,
        run.started_at,
        run.finished_at,
        run.checked_employees,
        run.platform_accounts,
        run.platform_calls,
        run.counts,
    )


async def start_run(context: ServiceContext) -> int:
    """Record a run as started; returns its id."""

    def start(session: Session) -> int:
        return int(
            (
                session.execute(
                    insert(Reconciliation).returning(Reconciliation.id),
                    [
                        {
                            "status": RUNNING,
                            "actor": context.actor,
                            "started_at": context.clock.now(),
                        }
                    ],
                )
            ).scalar_one()
        )

    return await context.db.run_write(start)


async def add_findings(context: ServiceContext, run_id: int, findings: Iterable[Finding]) -> None:
    """Store findings of a run in progress (not shown until the run finishes)."""
    rows = [
        {
            "reconciliation_id": run_id,
            "kind": finding.kind.value,
            "employee_id": finding.employee_id,
            "account_id": finding.account_id,
            "fields": finding.fields or None,
            "values": finding.values or None,
        }
        for finding in findings
    ]
    if rows:

        def add(session: Session) -> None:
            connection = session.connection()
            connection.execute(insert(DriftFinding.__table__), rows)

        await context.db.run_write(add)


async def drop_linked_accounts(context: ServiceContext, run_id: int) -> None:
    """Forget orphans and unlinked matches whose account a sync linked while the run read the
    platform (the page was read before the link was stored)."""
    linked = select(SyncRecord.account_id).where(SyncRecord.account_id.is_not(None))

    def drop(session: Session) -> None:
        session.execute(
            delete(DriftFinding).where(
                DriftFinding.reconciliation_id == run_id,
                DriftFinding.kind.in_([DriftKind.ORPHAN.value, DriftKind.UNLINKED_MATCH.value]),
                DriftFinding.account_id.in_(linked),
            )
        )

    await context.db.run_write(drop)


def _counts(session: Session, run_id: int) -> dict[str, int]:
    rows = session.execute(
        select(DriftFinding.kind, func.count())
        .where(DriftFinding.reconciliation_id == run_id)
        .group_by(DriftFinding.kind)
    )
    found = dict(rows.all())
    return {kind.value: int(found.get(kind.value, 0)) for kind in DriftKind}


async def finish_run(
    context: ServiceContext,
    run_id: int,
    *,
    checked_employees: int,
    platform_accounts: int,
    platform_calls: int,
) -> RunSummary:
    """Close a run with its counts; it becomes the last reconciliation. Older runs go."""
    now = context.clock.now()

    def finish(session: Session) -> RunSummary:
        counts = _counts(session, run_id)
        session.execute(
            update(Reconciliation)
            .where(Reconciliation.id == run_id)
            .values(
                status=FINISHED,
                finished_at=now,
                checked_employees=checked_employees,
                platform_accounts=platform_accounts,
                platform_calls=platform_calls,
                counts=counts,
            )
        )
        # The findings of older runs are history nobody reads: the newest run replaces them.
        session.execute(
            delete(DriftFinding).where(
                DriftFinding.reconciliation_id < run_id,
                DriftFinding.reconciliation_id.in_(
                    select(Reconciliation.id).where(Reconciliation.status != RUNNING)
                ),
            )
        )
        oldest_kept = session.scalar(
            select(Reconciliation.id).order_by(Reconciliation.id.desc()).offset(KEEP_RUNS).limit(1)
        )
        if oldest_kept is not None:
            session.execute(delete(Reconciliation).where(Reconciliation.id <= oldest_kept))
        run = session.get(Reconciliation, run_id)
        assert run is not None
        return _summary(run)

    return await context.db.run_write(finish)


async def fail_run(
    context: ServiceContext, run_id: int, error: str, *, platform_calls: int = 0
) -> None:
    """Close a run that could not finish; its partial findings are dropped."""
    text = clip(error, MAX_ERROR_CHARS)

    def fail(session: Session) -> None:
        session.execute(delete(DriftFinding).where(DriftFinding.reconciliation_id == run_id))
        session.execute(
            update(Reconciliation)
            .where(Reconciliation.id == run_id)
            .values(
                status=FAILED,
                finished_at=context.clock.now(),
                error=text,
                platform_calls=platform_calls,
            )
        )

    await context.db.run_write(fail)


async def last_run_id(context: ServiceContext) -> int | None:
    """The id of the last finished run (the one the Drift view shows)."""
    async with context.db.read() as session:
        return await session.scalar(
            select(func.max(Reconciliation.id)).where(Reconciliation.status == FINISHED)
        )


async def last_reconciliation(context: ServiceContext) -> LastReconciliation:
    """The last finished run, and whether a later one failed."""
    async with context.db.read() as session:
        finished = await session.scalar(
            select(Reconciliation)
            .where(Reconciliation.status == FINISHED)
            .order_by(Reconciliation.id.desc())
            .limit(1)
        )
        failed_query = select(Reconciliation).where(Reconciliation.status == FAILED)
        if finished is not None:
            failed_query = failed_query.where(Reconciliation.id > finished.id)
        failed = await session.scalar(failed_query.order_by(Reconciliation.id.desc()).limit(1))
    return LastReconciliation(
        summary=_summary(finished) if finished is not None else None,
        failed_at=failed.finished_at if failed is not None else None,
        error=failed.error if failed is not None else None,
    )


async def claim_scheduled_run(context: ServiceContext, every: dt.timedelta) -> int | None:
    """Start a scheduled run unless one started less than ``every`` ago; returns its id.

    The check and the insert are one write transaction (SQLite's write lock; on PostgreSQL
    a transaction-scoped advisory lock), so two workers due at the same moment start one run.
    """

    def claim(session: Session) -> int | None:
        if context.db.is_postgresql:
            session.execute(select(func.pg_advisory_xact_lock(SCHEDULE_LOCK)))
        last = session.scalar(select(func.max(Reconciliation.started_at)))
        now = context.clock.now()
        if last is not None and now - last < every:
            return None
        return int(
            (
                session.execute(
                    insert(Reconciliation).returning(Reconciliation.id),
                    [{"status": RUNNING, "actor": context.actor, "started_at": now}],
                )
            ).scalar_one()
        )

    return await context.db.run_write(claim)


_FINDING_COLUMNS = (
    DriftFinding.id,
    DriftFinding.kind,
    DriftFinding.employee_id,
    DriftFinding.account_id,
    DriftFinding.fields,
    DriftFinding.values,
    Employee.employee_number,
    Employee.forenames,
    Employee.surname,
)


def _finding_row(row: Any) -> FindingRow:
    name = f"{row.forenames} {row.surname}".strip() if row.employee_number else None
    return FindingRow(
        id=row.id,
        kind=DriftKind(row.kind),
        employee_id=row.employee_id,
        employee_number=row.employee_number,
        employee_name=name,
        account_id=row.account_id,
        fields=dict(row.fields or {}),
        values=dict(row.values or {}),
    )


async def list_findings(
    context: ServiceContext,
    run_id: int,
    *,
    kind: DriftKind | None = None,
    limit: int = READ_BATCH,
    after_id: int = 0,
) -> list[FindingRow]:
    """Findings of a run in id order (one kind, or all), ``limit`` at a time after ``after_id``."""
    statement = (
        select(*_FINDING_COLUMNS)
        .outerjoin(Employee, Employee.id == DriftFinding.employee_id)
        .where(DriftFinding.reconciliation_id == run_id, DriftFinding.id > after_id)
        .order_by(DriftFinding.id)
        .limit(limit)
    )
    if kind is not None:
        statement = statement.where(DriftFinding.kind == kind.value)
    async with context.db.read() as session:
        return [_finding_row(row) for row in (await session.execute(statement)).all()]


async def iter_findings(
    context: ServiceContext, run_id: int, *, kind: DriftKind | None = None
) -> AsyncIterator[FindingRow]:
    """Every finding of a run, read in batches (bounded memory for 100,000 findings)."""
    after = 0
    while True:
        batch = await list_findings(context, run_id, kind=kind, after_id=after)
        for row in batch:
            yield row
        if len(batch) < READ_BATCH:
            return
        after = batch[-1].id


async def get_finding(context: ServiceContext, finding_id: int) -> FindingRow | None:
    statement = (
        select(*_FINDING_COLUMNS)
        .outerjoin(Employee, Employee.id == DriftFinding.employee_id)
        .where(DriftFinding.id == finding_id)
    )
    async with context.db.read() as session:
        row = (await session.execute(statement)).first()
    return _finding_row(row) if row is not None else None


async def resolve_findings(
    context: ServiceContext, finding_ids: Iterable[int], *, linked_account: str | None = None
) -> None:
    """Remove repaired findings and bring their run's counts up to date. With
    ``linked_account``, also the other orphan or match findings of that (now linked) account."""
    ids = list(finding_ids)
    if not ids:
        return

    def resolve(session: Session) -> None:
        if linked_account is not None:
            ids.extend(
                (
                    session.scalars(
                        select(DriftFinding.id).where(
                            DriftFinding.account_id == linked_account,
                            DriftFinding.kind.in_(
                                [DriftKind.ORPHAN.value, DriftKind.UNLINKED_MATCH.value]
                            ),
                        )
                    )
                ).all()
            )
        runs = set(
            (
                session.scalars(
                    select(DriftFinding.reconciliation_id).where(DriftFinding.id.in_(ids))
                )
            ).all()
        )
        session.execute(delete(DriftFinding).where(DriftFinding.id.in_(ids)))
        for run_id in runs:
            counts = _counts(session, run_id)
            session.execute(
                update(Reconciliation)
                .where(Reconciliation.id == run_id, Reconciliation.status == FINISHED)
                .values(counts=counts)
            )

    await context.db.run_write(resolve)
