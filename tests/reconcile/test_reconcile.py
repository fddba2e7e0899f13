"""Reconciliation (RULES §1.16) against the simulator: planted drift is found, exactly."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from benefits_tui.config import Role
from benefits_tui.db.models import Employee
from benefits_tui.domain.states import CreatedVia, SyncState
from benefits_tui.services.employees import add_employee
from benefits_tui.services.errors import PermissionDenied
from benefits_tui.services.queries import employee_detail
from benefits_tui.services.reconcile.engine import reconcile
from benefits_tui.services.reconcile.findings import DriftKind
from benefits_tui.services.reconcile.repairs import (
    LinkRefused,
    link_account,
    link_finding,
    resend_hr_values,
)
from benefits_tui.services.reconcile.store import (
    iter_findings,
    last_reconciliation,
    list_findings,
)
from benefits_tui.services.sync.worker import SyncWorker
from tests.helpers import Simulator, drain, person, services
from tests.reconcile.common import (
    EMPLOYEES,
    create_account,
    delete_account,
    linked,
    mark_leaver_without_termination,
    patch_account,
    seed_and_sync,
    terminate_account,
)


async def _found(context, summary) -> set[tuple[str, str | None, str | None]]:  # type: ignore[no-untyped-def]
    return {
        (f.kind.value, f.employee_number, f.account_id)
        async for f in iter_findings(context, summary.id)
    }


async def test_each_planted_drift_is_found_and_nothing_else(database_url: str) -> None:
    sim = Simulator()
    async with services(database_url, sim) as context:
        await seed_and_sync(context)
        # Freshly synced employees never show as drift.
        fresh = await reconcile(context, page_size=50)
        assert fresh.total == 0, await _found(context, fresh)
        accounts = (await sim.stats())["accounts"]
        assert fresh.platform_accounts == accounts > 150
        # Page by page: one call per 50 accounts, never one per employee.
        assert fresh.platform_calls == accounts // 50 + 1
        assert fresh.checked_employees == EMPLOYEES

        (_a, a_no, a_acc), (_b, b_no, b_acc), (_c, c_no, c_acc), (d, d_no, d_acc) = await linked(
            context, 4
        )
        await patch_account(sim, a_acc, {"surname": "Changed-On-Platform"})
        await terminate_account(sim, b_acc)
        delete_account(sim, c_acc)
        await mark_leaver_without_termination(context, d)
        orphan = await create_account(sim)
        # An employee HR has not synced yet, whose email the platform already holds.
        _, e_no, _ = await add_employee(
            context, person(1, email="Enrolled.Before@Example.com"), created_via=CreatedVia.CLI
        )
        match = await create_account(sim, email="enrolled.before@example.com", external_id="OLD-77")
        requests_before = len(await sim.requests())

        summary = await reconcile(context)

        assert await _found(context, summary) == {
            ("field_drift", a_no, a_acc),
            ("terminated_on_platform", b_no, b_acc),
            ("missing_on_platform", c_no, c_acc),
            ("active_leaver", d_no, d_acc),
            ("orphan", None, orphan),
            ("unlinked_match", e_no, match),
        }
        assert summary.counts_json() == {
            "field_drift": 1,
            "terminated_on_platform": 1,
            "missing_on_platform": 1,
            "active_leaver": 1,
            "unlinked_match": 1,
            "orphan": 1,
        }
        drift = (await list_findings(context, summary.id, kind=DriftKind.FIELD_DRIFT))[0]
        surname = drift.fields["surname"]
        assert surname["platform"] == "Changed-On-Platform" and surname["hr"] != surname["platform"]
        assert list(drift.fields) == ["surname"]
        assert drift.values["surname"] == surname
        # Reconciling only reads the platform.
        methods = {r["method"] for r in (await sim.requests())[requests_before:]}
        assert methods == {"GET"}
        last = await last_reconciliation(context)
        assert last.summary is not None and last.summary.total == 6


async def test_a_change_being_sent_is_not_drift(database_url: str) -> None:
    sim = Simulator()
    async with services(database_url, sim) as context:
        await seed_and_sync(context, 40)
        ((a, _, a_acc),) = await linked(context, 1)
        await patch_account(sim, a_acc, {"surname": "Changed-On-Platform"})
        from benefits_tui.services.employees import update_employee

        await update_employee(context, a, {"job_title": "Director"})  # queued, In progress
        assert (await reconcile(context)).total == 0


async def test_resend_repairs_field_drift_through_the_queue(database_url: str) -> None:
    sim = Simulator()
    async with services(database_url, sim) as context:
        await seed_and_sync(context, 40)
        ((a, _a_no, a_acc),) = await linked(context, 1)
        await patch_account(sim, a_acc, {"surname": "Changed-On-Platform", "job_title": "X"})
        summary = await reconcile(context)
        findings = [f async for f in iter_findings(context, summary.id)]
        result = await resend_hr_values(context, findings)
        assert result.queued == 1
        detail = await employee_detail(context, a)
        assert detail.state is SyncState.IN_PROGRESS
        assert str(detail.history[0].action) == "update_queued"
        # Who asked: the acting user (on PostgreSQL the database sets it from the login).
        requester = next(e.actor for e in detail.history if str(e.action) == "requested")
        assert detail.history[0].actor == requester
        assert "job_title" in (detail.history[0].reason or "")
        assert (await last_reconciliation(context)).summary.total == 0  # type: ignore[union-attr]
        await drain(SyncWorker(context), 20)
        patches = [r for r in await sim.requests() if r["method"] == "PATCH"]
        assert patches and patches[-1]["path"].endswith(a_acc)
        assert (await reconcile(context)).total == 0
        assert (await employee_detail(context, a)).state is SyncState.SUCCESSFUL


async def test_link_repairs_an_unlinked_match_and_history_says_who(database_url: str) -> None:
    sim = Simulator()
    async with services(database_url, sim) as context:
        employee_id, _, _ = await add_employee(
            context, person(1, email="known@example.com"), created_via=CreatedVia.CLI
        )
        account = await create_account(
            sim, email="KNOWN@example.com", external_id="LEGACY-1", surname="Legacy"
        )
        summary = await reconcile(context)
        (finding,) = [f async for f in iter_findings(context, summary.id)]
        assert finding.kind is DriftKind.UNLINKED_MATCH and finding.employee_id == employee_id
        assert finding.values["surname"] == {"hr": "Person", "platform": "Legacy"}
        await link_finding(context, finding)
        detail = await employee_detail(context, employee_id)
        assert detail.state is SyncState.IN_PROGRESS and detail.account_id is None
        asked = detail.history[0]
        assert str(asked.action) == "requested" and account in (asked.reason or "")
        added = next(e.actor for e in detail.history if str(e.action) == "employee_added")
        assert asked.actor == added  # who asked: the acting user (the login, on PostgreSQL)
        # The worker confirms the match on the platform, then links.
        await drain(SyncWorker(context), 20)
        detail = await employee_detail(context, employee_id)
        assert detail.account_id == account and detail.state is SyncState.SUCCESSFUL
        assert any(str(e.action) == "linked" for e in detail.history)
        assert (await sim.stats())["accounts"] == 1  # linked, never a second account
        after = await reconcile(context)
        assert after.total == 0
        account_now = next(a for a in await sim.accounts() if a["id"] == account)
        assert account_now["surname"] == "Person"  # HR's values were sent to it


async def test_link_keeps_one_employee_one_account(database_url: str) -> None:
    sim = Simulator()
    async with services(database_url, sim) as context:
        await seed_and_sync(context, 20)
        ((_, holder_no, taken),) = await linked(context, 1)
        other, _, _ = await add_employee(context, person(2), created_via=CreatedVia.CLI)
        with pytest.raises(LinkRefused, match=holder_no):
            await link_account(context, other, taken)
        assert (await employee_detail(context, other)).account_id is None
        # An account that holds neither the employee's email nor number is never linked.
        stranger = await create_account(sim, email="someone@else.example", external_id="Z-1")
        await link_account(context, other, stranger)
        await drain(SyncWorker(context), 20)
        detail = await employee_detail(context, other)
        assert detail.account_id is None and detail.state is SyncState.FAILED
        assert "neither this employee's email nor their employee number" in (detail.reason or "")


async def test_read_only_users_cannot_repair_or_run(database_url: str) -> None:
    sim = Simulator()
    async with services(database_url, sim) as context:
        await seed_and_sync(context, 20)
        ((a, _, a_acc),) = await linked(context, 1)
        await patch_account(sim, a_acc, {"surname": "Changed"})
        summary = await reconcile(context)
        findings = [f async for f in iter_findings(context, summary.id)]
        context.role = Role.READ_ONLY
        with pytest.raises(PermissionDenied, match="read-only"):
            await resend_hr_values(context, findings)
        with pytest.raises(PermissionDenied, match="read-only"):
            await link_account(context, a, "acc_x")
        with pytest.raises(PermissionDenied):
            await reconcile(context)
        # They still see the findings.
        assert (await last_reconciliation(context)).summary.total == 1  # type: ignore[union-attr]
        async with context.db.read() as session:
            assert await session.scalar(select(Employee.surname).where(Employee.id == a))
        assert (await employee_detail(context, a)).state is SyncState.SUCCESSFUL


async def test_a_platform_that_cannot_be_read_leaves_the_last_result(database_url: str) -> None:
    sim = Simulator()
    async with services(database_url, sim, max_retry_seconds=0.3) as context:
        await seed_and_sync(context, 20)
        first = await reconcile(context)
        await sim.configure(fail_rate=1.0)
        with pytest.raises(Exception, match=r"temporary error|could not be read"):
            await reconcile(context)
        last = await last_reconciliation(context)
        assert last.summary is not None and last.summary.id == first.id
        assert last.failed_at is not None and last.error
