"""Repairing drift (RULES §1.16): re-send HR's values, or link an unlinked match.

Both go through the normal sync queue: nothing here calls the platform. A re-send is an
update by account ID that the worker sends; a link stores the account on the employee's
record (one employee <-> one account, RULES §1.12) and queues the update that makes the
account hold HR's values, exactly as a first sync that found the account by email does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from benefits_tui.db.models import Employee, SyncRecord
from benefits_tui.domain.states import Action, SyncState
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.errors import NotFound, ServiceError
from benefits_tui.services.history import event, write_events
from benefits_tui.services.permissions import Permission
from benefits_tui.services.reconcile import store
from benefits_tui.services.reconcile.findings import DriftKind
from benefits_tui.services.sync.requests import queue_resends, queued_values

RESOLVE_BATCH = 1000


class LinkRefused(ServiceError):
    """The link would break one employee <-> one account (RULES §1.12), or is not possible now."""


@dataclass(frozen=True)
class RepairResult:
    """What a repair did: how many were queued, and why the others were not."""

    queued: int
    skipped: int = 0
    problems: tuple[str, ...] = ()

    def message(self, what: str) -> str:
        text = f"{what}: {self.queued:,} queued"
        if self.skipped:
            text += (
                f", {self.skipped:,} not ({'; '.join(self.problems[:3]) or 'already in progress'})"
            )
        return text + "."


async def _resolve(context: ServiceContext, finding_ids: list[int]) -> None:
    for start in range(0, len(finding_ids), RESOLVE_BATCH):
        await store.resolve_findings(context, finding_ids[start : start + RESOLVE_BATCH])


async def resend_hr_values(
    context: ServiceContext, findings: Iterable[store.FindingRow]
) -> RepairResult:
    """Queue a re-send of HR's values for field-drift findings (an update by account ID)."""
    context.require(Permission.RECONCILE)
    chosen = [f for f in findings if f.kind is DriftKind.FIELD_DRIFT and f.employee_id]
    by_employee = {f.employee_id: f for f in chosen if f.employee_id is not None}
    queued: set[int] = set()
    ids = list(by_employee)
    for start in range(0, len(ids), RESOLVE_BATCH):
        chunk = ids[start : start + RESOLVE_BATCH]
        names = sorted({name for i in chunk for name in by_employee[i].fields})
        queued.update(
            await queue_resends(
                context,
                chunk,
                reason=f"reconciliation found {', '.join(names) or 'fields'} changed on Benefits",
            )
        )
    await _resolve(context, [f.id for f in chosen if f.employee_id in queued])
    return RepairResult(queued=len(queued), skipped=len(chosen) - len(queued))


async def _holder(context: ServiceContext, account_id: str, besides: int) -> str | None:
    async with context.db.read() as session:
        row = (
            await session.execute(
                select(Employee.employee_number, Employee.forenames, Employee.surname)
                .join(SyncRecord, SyncRecord.employee_id == Employee.id)
                .where(SyncRecord.account_id == account_id, Employee.id != besides)
            )
        ).first()
    return f"{row.employee_number} {row.forenames} {row.surname}".strip() if row else None


async def link_account(context: ServiceContext, employee_id: int, account_id: str) -> None:
    """Ask for an unlinked employee to be linked to an existing account (RULES §1.16).

    The request goes through the sync queue: the worker links the account once the platform
    confirms it holds the employee's email or employee number, then sends HR's values to it
    by account ID. Refused at once (:class:`LinkRefused`, naming the other employee) when
    the account is linked to someone else or the employee already has one: never a double
    link (RULES §1.12). History records who asked.
    """
    context.require(Permission.RECONCILE)
    holder = await _holder(context, account_id, employee_id)
    if holder is not None:
        raise LinkRefused(f"Benefits account {account_id} is already linked to {holder}")

    def link(session: Session) -> None:
        statement = select(SyncRecord).where(SyncRecord.employee_id == employee_id)
        if context.db.is_postgresql:
            statement = statement.with_for_update()
        record = session.scalar(statement)
        if record is None:
            raise NotFound(f"no employee with id {employee_id}")
        if record.account_id is not None:
            raise LinkRefused(
                f"this employee is already linked to Benefits account {record.account_id}"
            )
        if record.state == SyncState.IN_PROGRESS.value:
            raise LinkRefused("a sync of this employee is under way; it links by email by itself")
        if record.request_kind is not None or record.platform_job_id is not None:
            # A create whose outcome is unknown may yet give this employee an account.
            raise LinkRefused(
                "an earlier sync attempt of this employee has an unconfirmed outcome; "
                "sync it again from the Failed tab instead"
            )
        record.link_account_id = account_id
        for key, value in queued_values(context).items():
            setattr(record, key, value)
        write_events(
            session,
            [
                event(
                    employee_id,
                    context.actor,
                    Action.REQUESTED,
                    context.clock.now(),
                    reason=f"link to Benefits account {account_id} (an unlinked match)",
                )
            ],
        )

    await context.db.run_write(link)


async def link_matches(
    context: ServiceContext, findings: Iterable[store.FindingRow]
) -> RepairResult:
    """Link the employee and account of each unlinked-match finding (see :func:`link_account`).

    An account that matches two employees is linked to neither: which one owns it is for a
    person to decide (the Drift view links one chosen match).
    """
    context.require(Permission.RECONCILE)
    chosen = [
        f for f in findings if f.kind is DriftKind.UNLINKED_MATCH and f.employee_id and f.account_id
    ]
    per_account: dict[str, int] = {}
    for finding in chosen:
        assert finding.account_id is not None
        per_account[finding.account_id] = per_account.get(finding.account_id, 0) + 1
    linked: list[int] = []
    problems: list[str] = []
    for finding in chosen:
        assert finding.account_id is not None and finding.employee_id is not None
        if per_account[finding.account_id] > 1:
            problems.append(
                f"account {finding.account_id} matches {per_account[finding.account_id]} employees"
            )
            continue
        try:
            await link_account(context, finding.employee_id, finding.account_id)
        except (LinkRefused, NotFound) as exc:
            problems.append(f"{finding.employee_number or finding.employee_id}: {exc}")
            continue
        linked.append(finding.id)
    await _resolve(context, linked)
    return RepairResult(
        queued=len(linked), skipped=len(chosen) - len(linked), problems=tuple(problems)
    )


async def link_finding(context: ServiceContext, finding: store.FindingRow) -> None:
    """Link one unlinked match chosen by a person (the Drift view, after a Confirm dialog)."""
    if finding.kind is not DriftKind.UNLINKED_MATCH or not finding.employee_id:
        raise LinkRefused("only an unlinked match can be linked")
    assert finding.account_id is not None
    await link_account(context, finding.employee_id, finding.account_id)
    await store.resolve_findings(context, [finding.id], linked_account=finding.account_id)
