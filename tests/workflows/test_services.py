"""Service rules of the HR workflows, on SQLite and PostgreSQL (they touch SQL)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from benefits_tui.db.models import Employee, SyncEvent
from benefits_tui.domain.states import Action, CreatedVia, SyncState
from benefits_tui.services.csv_export import export_csv, export_filter
from benefits_tui.services.csv_import import import_csv
from benefits_tui.services.employees import (
    add_employee,
    assign_level,
    leaver_preview,
    record_leaver,
    set_fields,
)
from benefits_tui.services.errors import InvalidInput, PermissionDenied
from benefits_tui.services.queries import EmployeeFilter, employee_detail
from benefits_tui.services.sync.requests import Selection, request_sync
from benefits_tui.services.sync.worker import SyncWorker
from tests.helpers import Simulator, add_people, drain, person, services, synced

HEADER = "employee_number,forenames,surname,email,annual_pay,benefits_level\n"


async def test_bulk_level_assignment_is_set_based_and_reaches_linked_accounts(
    database_url: str,
) -> None:
    sim = Simulator()
    async with services(database_url, sim) as context:
        ids = await add_people(context, 30, benefit_level="CORE")
        linked = ids[:10]
        await synced(context, linked)
        await set_fields(context, ids[20], {"benefits_level": "ENHANCED"})  # already has it
        result = await assign_level(
            context, Selection.all_in(EmployeeFilter(None, "person")), "enhanced"
        )
        assert (result.selected, result.changed, result.updates_queued) == (30, 29, 10)
        assert "29 of 30 employees changed" in result.message()
        detail = await employee_detail(context, linked[0])
        assert detail.state is SyncState.IN_PROGRESS
        actions = [event.action for event in detail.history]
        assert Action.LEVEL_ASSIGNED in actions and Action.UPDATE_QUEUED in actions
        assert detail.history[0].actor == context.actor  # the login on PostgreSQL
        unlinked = await employee_detail(context, ids[15])
        assert unlinked.state is SyncState.NOT_SYNCING and unlinked.benefit_level == "ENHANCED"
        await drain(SyncWorker(context), 20)
        detail = await employee_detail(context, linked[0])
        assert detail.state is SyncState.SUCCESSFUL
        with pytest.raises(InvalidInput):
            await assign_level(context, Selection.of(ids), "PLATINUM")
    for account in await sim.accounts():
        assert account["benefit_level"] == "ENHANCED"


async def test_level_fix_on_failed_employee_queues_a_new_attempt(database_url: str) -> None:
    async with services(database_url, Simulator()) as context:
        employee_id, _, _ = await add_employee(
            context, person(1, benefit_level="GOLD"), created_via=CreatedVia.CLI
        )
        await request_sync(context, Selection.of([employee_id]))
        assert (await employee_detail(context, employee_id)).state is SyncState.FAILED
        result = await assign_level(context, Selection.of([employee_id]), "CORE")
        assert result.retries_queued == 1
        assert (await employee_detail(context, employee_id)).state is SyncState.IN_PROGRESS


async def test_never_synced_leaver_makes_no_platform_call(database_url: str) -> None:
    sim = Simulator()
    async with services(database_url, sim) as context:
        [employee_id] = await add_people(context, 1)
        before = await sim.requests()
        preview = await leaver_preview(context, employee_id, dt.date(2026, 3, 31))
        assert "nothing is sent" in preview
        result = await record_leaver(context, employee_id, dt.date(2026, 3, 31), "Resignation")
        assert not result.termination_queued
        await drain(SyncWorker(context), 5)
        detail = await employee_detail(context, employee_id)
        assert detail.leave_date == dt.date(2026, 3, 31)
        assert Action.LEAVER_RECORDED in [event.action for event in detail.history]
        with pytest.raises(InvalidInput):
            await record_leaver(context, employee_id, dt.date(2026, 3, 31), "   ")
        with pytest.raises(InvalidInput):
            await record_leaver(context, employee_id, dt.date(2019, 1, 1), "Before the start date")
    assert await sim.requests() == before


async def test_linked_leaver_ends_coverage_on_the_platform(database_url: str) -> None:
    sim = Simulator()
    async with services(database_url, sim) as context:
        [employee_id] = await add_people(context, 1)
        await synced(context, [employee_id])
        account_id = (await employee_detail(context, employee_id)).account_id
        assert account_id and account_id in await leaver_preview(
            context, employee_id, dt.date(2026, 2, 28)
        )
        result = await record_leaver(context, employee_id, dt.date(2026, 2, 28), "Retirement")
        assert result.termination_queued
        await drain(SyncWorker(context), 20)
        # The same leaver again, same date: nothing recorded, nothing sent (RULES §3).
        again = await record_leaver(context, employee_id, dt.date(2026, 2, 28), "Retirement")
        assert not again.changed and not again.termination_queued
        assert "nothing changed" in again.message
        history = (await employee_detail(context, employee_id)).history
        assert [e.action for e in history].count(Action.TERMINATION_QUEUED) == 1
        assert [e.action for e in history].count(Action.LEAVER_RECORDED) == 1
        detail = await employee_detail(context, employee_id)
        assert detail.state is SyncState.SUCCESSFUL and detail.coverage_ended_on == dt.date(
            2026, 2, 28
        )
    account = await sim.account_by_email("test.person1@example.com")
    assert (
        account is not None
        and account["status"] == "terminated"
        and account["leave_date"] == "2026-02-28"
    )


async def test_read_only_users_cannot_change_anything(database_url: str) -> None:
    async with services(database_url, Simulator()) as context:
        [employee_id] = await add_people(context, 1)
        context.role = context.role.__class__("read_only")
        with pytest.raises(PermissionDenied):
            await assign_level(context, Selection.of([employee_id]), "CORE")
        with pytest.raises(PermissionDenied):
            await record_leaver(context, employee_id, dt.date(2026, 1, 1), "x")
        with pytest.raises(PermissionDenied):
            await import_csv(context, (HEADER + "X1,A,B,,,\n").encode())
        dry = await import_csv(context, (HEADER + "X1,A,B,,,\n").encode(), dry_run=True)
        assert dry.ok and dry.rows == 1


async def test_import_is_all_or_nothing_and_names_every_bad_line(database_url: str) -> None:
    async with services(database_url) as context:
        await add_people(context, 1)  # E000001 exists
        data = (
            "\ufeff"
            + HEADER
            + "N1,Ann,Lee,ann@example.com,30000,CORE\n"
            + "N2,Bob,,bob@example,abc,GOLD\n"
            + "\n"
            + "N1,Ann,Again,,,\n"
            + "E000001,Old,Number,,,\n"
            + '"N3","Multi\nline",Name,,,\n'
            + "N4,Too,Many,,,,\n"
        ).encode()
        result = await import_csv(context, data)
        problems = [(p.line, p.column) for p in result.problems]
        assert problems == [
            (3, "surname"),
            (3, "annual_pay"),  # email and level: checked at sync, not import
            (5, "employee_number"),
            (6, "employee_number"),
            (7, "forenames"),
            (9, ""),
        ]
        assert "N1 is also on line 2" in str(result.problems[2])
        assert str(result.problems[0]) == "line 3, column surname: is required"
        async with context.db.read() as session:
            assert await session.scalar(select(func.count()).select_from(Employee)) == 1
        good = (
            "\ufeff"
            + HEADER
            + 'N1,Ann,Lee,ANN@example.com,"30,000",core\n'
            + '"N3","Zoë","Ó Briain",,,\n'
        ).encode()
        dry = await import_csv(context, good, dry_run=True)
        assert dry.ok and dry.rows == 2 and dry.inserted == 0
        result = await import_csv(context, good, source="starters.csv")
        assert result.ok and result.inserted == 2
        async with context.db.read() as session:
            ann = await session.scalar(select(Employee).where(Employee.employee_number == "N1"))
            assert (
                ann is not None
                and ann.benefit_level == "CORE"
                and str(ann.annual_pay) == "30000.00"
            )
            assert ann.email_key == "ann@example.com" and ann.created_via == CreatedVia.IMPORT.value
            events = await session.scalar(
                select(func.count()).select_from(SyncEvent).where(SyncEvent.employee_id == ann.id)
            )
            assert events == 1
        assert (await employee_detail(context, ann.id)).state is SyncState.NOT_SYNCING


async def test_import_refuses_a_bad_header_and_non_utf8(database_url: str) -> None:
    async with services(database_url) as context:
        result = await import_csv(context, b"employee_number,forename,surname\nX,A,B\n")
        assert [str(p) for p in result.problems] == [
            "line 1, column forename: is not a column (use: employee_number, title, forenames, "
            "surname, email, "
            "date_of_birth, gender, job_title, department, start_date, annual_pay, pay_basis, "
            "pay_frequency, "
            "benefits_level)",
            "line 1, column forenames: is required but not in the header",
        ]
        result = await import_csv(context, b"employee_number,forenames,surname\nX,Ren\xe9,B\n")
        assert str(result.problems[0]).startswith("line 2: is not UTF-8")
        result = await import_csv(context, b"")
        assert not result.ok


async def test_export_neutralises_formulas_and_round_trips(database_url: str) -> None:
    async with services(database_url) as context:
        await add_employee(
            context,
            person(
                1,
                forenames='=HYPERLINK("http://x")',
                surname="+Evil",
                job_title="@SUM(A1)",
                department="-2+3",
            ),
            created_via=CreatedVia.CLI,
        )
        await add_employee(
            context, person(2, forenames="Zoë", surname="[bold]O'Brien"), created_via=CreatedVia.CLI
        )
        out = io.StringIO()
        count = await export_csv(context, export_filter("not-syncing"), out)
        assert count == 2
        lines = out.getvalue().splitlines()
        assert lines[0].endswith("benefits_level,status,reason,benefits_account_id,last_synced_at")
        assert lines[1].startswith('E000001,Ms,"\'=HYPERLINK(""http://x"")",\'+Evil,')
        assert "'@SUM(A1),'-2+3" in lines[1] and lines[1].endswith(",CORE,not-syncing,,,")
        assert lines[2].startswith("E000002,Ms,Zoë,[bold]O'Brien,")
        empty = io.StringIO()
        assert await export_csv(context, export_filter("failed"), empty) == 0
        # The export imports again (as new numbers), quotes taken off.
        text = out.getvalue().replace("E000001", "R1").replace("E000002", "R2")
        result = await import_csv(context, text.encode())
        assert result.ok, result.problems
        async with context.db.read() as session:
            r1 = await session.scalar(select(Employee).where(Employee.employee_number == "R1"))
            assert (
                r1 is not None
                and r1.forenames == '=HYPERLINK("http://x")'
                and r1.surname == "+Evil"
            )
