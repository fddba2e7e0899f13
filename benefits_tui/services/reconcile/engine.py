"""Reconciling HR with the platform (RULES §1.16): read every account page by page, compare.

The platform is only read, one page of up to 500 accounts per call (a few hundred calls for
100,000 accounts), each call through the sync engine's :class:`Pacer` so that it waits for a
429's hold-back and the shared rate limit like any sync. HR is read a page's worth at a time
(the employees linked to, or matching, the accounts of that page), and findings are written
to the database as they are found: memory does not grow with the number of accounts, only a
set of the linked employees already seen does (one integer each).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio
from sqlalchemy import or_, select

from benefits_tui.db.models import Employee, SyncRecord
from benefits_tui.domain.fields import email_key
from benefits_tui.domain.retry import RetryPolicy
from benefits_tui.domain.states import SyncState
from benefits_tui.platform.errors import NotFoundError, ProtocolError, Throttled, TransientError
from benefits_tui.platform.types import Account
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.errors import ServiceError
from benefits_tui.services.permissions import Permission
from benefits_tui.services.reconcile import store
from benefits_tui.services.reconcile.findings import (
    DriftKind,
    Finding,
    differing_fields,
    hr_body,
    side_by_side,
)
from benefits_tui.services.sync import preflight
from benefits_tui.services.sync.pacing import HeldBack, Pacer

log = logging.getLogger(__name__)

PAGE_SIZE = 500  # the most the list operation gives per call
HR_BATCH = 5000  # employees read per query when looking for linked accounts not listed
MAX_PAGE_ATTEMPTS = 5  # transient failures of one page before the run gives up
# The waits between those attempts: 1 s doubling, 10 s at most.
PAGE_RETRY = RetryPolicy(base_seconds=1.0, max_seconds=10.0)
MAX_CONFIRMATIONS = 50  # accounts missing from the listing that are looked up one by one

# What a sync would send is built from the columns the sync engine reads (one owner: the
# pre-flight check), beside the link each employee's sync record holds.
_HR_COLUMNS = (*preflight.EMPLOYEE_COLUMNS, SyncRecord.state, SyncRecord.account_id)

Progress = Callable[[int, int], None]
"""``on_progress(accounts_read, platform_calls)``."""


def _body(row: Any) -> dict[str, Any]:
    """What a sync would send for this employee row."""
    return hr_body(row._mapping)


class ReconcileFailed(ServiceError):
    """The platform could not be read to the end; nothing of this run is reported."""


@dataclass
class _Counters:
    accounts: int = 0
    calls: int = 0
    employees: int = 0


class Reconciler:
    """One run. Use :func:`reconcile`."""

    def __init__(
        self,
        context: ServiceContext,
        run_id: int,
        *,
        page_size: int = PAGE_SIZE,
        on_progress: Progress | None = None,
    ) -> None:
        self.context = context
        self.run_id = run_id
        self.page_size = page_size
        self.on_progress = on_progress
        self.pacer = Pacer(context)
        self.counters = _Counters()
        self.seen_linked: set[int] = set()  # employees whose account the listing held
        self.today = context.clock.today()

    # ----------------------------------------------------------------- platform
    async def _call(self, factory: Callable[[], Any]) -> Any:
        """One platform read when it is our turn; waits out holds and transient trouble."""
        clock = self.context.clock
        budget = self.context.settings.sync.max_retry_seconds
        started = clock.monotonic()
        failures = 0
        while True:
            if clock.monotonic() - started > budget:
                raise ReconcileFailed(
                    f"the Benefits platform could not be read for {budget:g} s; try again later"
                )
            try:
                self.counters.calls += 1
                return await self.pacer.call(factory)
            except HeldBack as held:
                self.counters.calls -= 1  # nothing was sent
                wait = (held.until - clock.now()).total_seconds()
                await anyio.sleep(min(max(wait, 0.05), budget))
            except Throttled:
                continue  # the pacer has recorded the hold: the next turn waits it out
            except TransientError:
                failures += 1
                left = budget - (clock.monotonic() - started)
                if failures >= MAX_PAGE_ATTEMPTS or left <= 0:
                    raise
                await anyio.sleep(min(PAGE_RETRY.delay(failures), left))

    async def _pages(self) -> Any:
        client = self.context.platform()
        cursor: str | None = None
        seen_cursors: set[str] = set()
        while True:
            page = await self._call(
                partial(client.list_accounts, limit=self.page_size, cursor=cursor)
            )
            yield page.accounts
            if page.next_cursor is None:
                return
            if page.next_cursor in seen_cursors:
                raise ProtocolError(
                    "The Benefits platform's account listing went round in a circle "
                    f"(cursor {page.next_cursor[:40]!r} came back)."
                )
            seen_cursors.add(page.next_cursor)
            cursor = page.next_cursor

    # ----------------------------------------------------------------- comparing
    def _linked_findings(self, row: Any, account: Account) -> list[Finding]:
        """What differs between a linked employee and its account."""
        if row.state == SyncState.IN_PROGRESS.value:
            return []  # a change is on its way to the platform: not drift
        body = _body(row)
        raw = account.raw
        findings: list[Finding] = []
        leave_date: dt.date | None = row.leave_date

        def found(kind: DriftKind, fields: dict[str, Any] | None = None) -> None:
            findings.append(
                Finding(
                    kind,
                    employee_id=row.id,
                    account_id=account.id,
                    fields=fields or {},
                    values=side_by_side(body, raw, leave_date),
                )
            )

        if account.status == "terminated" and leave_date is None:
            found(DriftKind.TERMINATED_ON_PLATFORM)
        if (
            account.status == "active"
            and leave_date is not None
            and account.leave_date != leave_date.isoformat()
        ):
            found(DriftKind.ACTIVE_LEAVER)
        fields = differing_fields(body, raw)
        if fields:
            found(DriftKind.FIELD_DRIFT, fields)
        return findings

    async def _check_page(self, accounts: Sequence[Account]) -> None:
        by_id = {account.id: account for account in accounts}
        if not by_id:
            return
        base = select(*_HR_COLUMNS).join(SyncRecord, SyncRecord.employee_id == Employee.id)
        async with self.context.db.read() as session:
            linked = (
                await session.execute(base.where(SyncRecord.account_id.in_(list(by_id))))
            ).all()
        findings: list[Finding] = []
        for row in linked:
            self.seen_linked.add(row.id)
            findings.extend(self._linked_findings(row, by_id.pop(row.account_id)))
        # What is left is held by no HR employee: an unlinked employee's, or nobody's.
        findings.extend(await self._unlinked_findings(list(by_id.values())))
        await store.add_findings(self.context, self.run_id, findings)

    async def _unlinked_findings(self, accounts: list[Account]) -> list[Finding]:
        if not accounts:
            return []
        emails = {key for a in accounts if (key := email_key(a.email))}
        numbers = {a.external_id for a in accounts if a.external_id}
        matches: list[Any] = []
        if emails or numbers:
            conditions = []
            if emails:
                conditions.append(Employee.email_key.in_(emails))
            if numbers:
                conditions.append(Employee.employee_number.in_(numbers))
            statement = (
                select(*_HR_COLUMNS)
                .join(SyncRecord, SyncRecord.employee_id == Employee.id)
                .where(SyncRecord.account_id.is_(None), or_(*conditions))
                .order_by(Employee.employee_number)
            )
            async with self.context.db.read() as session:
                matches = list((await session.execute(statement)).all())
        by_email: dict[str, list[Any]] = {}
        by_number: dict[str, Any] = {}
        for row in matches:
            if row.email_key:
                by_email.setdefault(row.email_key, []).append(row)
            by_number[row.employee_number] = row
        findings: list[Finding] = []
        for account in accounts:
            owners = list(by_email.get(email_key(account.email) or "", ()))
            numbered = by_number.get(account.external_id or "")
            if numbered is not None and numbered not in owners:
                owners.append(numbered)
            if any(row.state == SyncState.IN_PROGRESS.value for row in owners):
                continue  # a first sync is looking this account up right now
            if not owners:
                findings.append(
                    Finding(
                        DriftKind.ORPHAN,
                        account_id=account.id,
                        values=side_by_side(None, account.raw),
                    )
                )
            for row in owners:
                findings.append(
                    Finding(
                        DriftKind.UNLINKED_MATCH,
                        employee_id=row.id,
                        account_id=account.id,
                        values=side_by_side(_body(row), account.raw, row.leave_date),
                    )
                )
        return findings

    # ----------------------------------------------------------------- not listed
    async def _missing(self) -> None:
        """Linked employees whose account the listing did not hold (read HR in batches)."""
        after = 0
        confirmations = 0
        while True:
            statement = (
                select(Employee.id, SyncRecord.state, SyncRecord.account_id)
                .join(SyncRecord, SyncRecord.employee_id == Employee.id)
                .where(Employee.id > after)
                .order_by(Employee.id)
                .limit(HR_BATCH)
            )
            async with self.context.db.read() as session:
                rows = (await session.execute(statement)).all()
            if not rows:
                return
            after = rows[-1].id
            self.counters.employees += len(rows)
            candidates = [
                row.id
                for row in rows
                if row.account_id is not None
                and row.id not in self.seen_linked
                and row.state != SyncState.IN_PROGRESS.value
            ]
            if candidates:
                # A few are looked up one by one: an account created while the pages were
                # read may not be listed yet. Past that, the listing is trusted.
                check = candidates[: max(0, MAX_CONFIRMATIONS - confirmations)]
                confirmations += len(check)
                await self._report_missing(candidates, set(check))

    async def _report_missing(self, employee_ids: list[int], confirm: set[int]) -> None:
        statement = (
            select(*_HR_COLUMNS)
            .join(SyncRecord, SyncRecord.employee_id == Employee.id)
            .where(Employee.id.in_(employee_ids))
        )
        async with self.context.db.read() as session:
            rows = (await session.execute(statement)).all()
        client = self.context.platform()
        findings: list[Finding] = []
        for row in rows:
            if row.account_id is None or row.state == SyncState.IN_PROGRESS.value:
                continue  # unlinked or queued since
            if row.id in confirm:
                try:
                    account = await self._call(partial(client.get_account, row.account_id))
                except NotFoundError:
                    account = None
                if account is not None:
                    self.counters.accounts += 1
                    findings.extend(self._linked_findings(row, account))
                    continue
            body = _body(row)
            findings.append(
                Finding(
                    DriftKind.MISSING_ON_PLATFORM,
                    employee_id=row.id,
                    account_id=row.account_id,
                    values=side_by_side(body, None, row.leave_date),
                )
            )
        await store.add_findings(self.context, self.run_id, findings)

    # ----------------------------------------------------------------- the run
    async def run(self) -> store.RunSummary:
        async for accounts in self._pages():
            self.counters.accounts += len(accounts)
            await self._check_page(accounts)
            if self.on_progress:
                self.on_progress(self.counters.accounts, self.counters.calls)
        await self._missing()
        await store.drop_linked_accounts(self.context, self.run_id)
        return await store.finish_run(
            self.context,
            self.run_id,
            checked_employees=self.counters.employees,
            platform_accounts=self.counters.accounts,
            platform_calls=self.counters.calls,
        )


async def reconcile(
    context: ServiceContext,
    *,
    page_size: int = PAGE_SIZE,
    on_progress: Progress | None = None,
) -> store.RunSummary:
    """Compare every employee with the platform and store what differs (RULES §1.16).

    Only reads the platform. Raises :class:`ReconcileFailed` or a
    :class:`~benefits_tui.platform.errors.PlatformError` when the platform cannot be read to
    the end; that run is then stored as failed, and the previous findings stay the last ones.
    """
    context.require(Permission.RECONCILE)
    context.platform()  # a missing URL or token is a configuration error before anything
    run_id = await store.start_run(context)
    return await run_claimed(context, run_id, page_size=page_size, on_progress=on_progress)


async def run_claimed(
    context: ServiceContext,
    run_id: int,
    *,
    page_size: int = PAGE_SIZE,
    on_progress: Progress | None = None,
) -> store.RunSummary:
    """Carry out a run already recorded as started (by :func:`reconcile` or the schedule)."""
    reconciler = Reconciler(context, run_id, page_size=page_size, on_progress=on_progress)
    try:
        return await reconciler.run()
    except BaseException as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        with anyio.CancelScope(shield=True):
            try:
                await store.fail_run(
                    context, run_id, message, platform_calls=reconciler.counters.calls
                )
            except Exception:  # the database may be what failed; the error still propagates
                log.warning("could not record the failed reconciliation", exc_info=True)
        raise


def kinds_from_slugs(slugs: Iterable[str]) -> list[DriftKind]:
    """``field-drift`` -> :attr:`DriftKind.FIELD_DRIFT` (the CLI's spelling)."""
    return [DriftKind(slug.strip().lower().replace("-", "_")) for slug in slugs]
