"""The app's first page read with the standard library (services/first_page.py) is the page the
services show: the same employees, in the same order, with the same row values (RULES §5)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text, update

from benefits_tui.config_quick import QuickSettings, Role
from benefits_tui.db.models import Employee, SyncRecord
from benefits_tui.domain.states import SyncState
from benefits_tui.services import first_page, queries
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.first_page import read_first_page
from benefits_tui.services.queries import EmployeeFilter, EmployeeRow, fetch_rows, list_ids
from tests.helpers import add_people, services

IDENTITY = ("hr.tester", Role.HR)


async def _varied(context: ServiceContext) -> None:
    """People in every tab, leavers (gone, and still with work open), a stuck record, numbers
    not in insertion order, missing values: what the grid tells apart."""
    ids = await add_people(context, 24)
    now = context.clock.now()
    left = now.date() - dt.timedelta(days=3)
    async with context.db.engine.begin() as connection:
        # Numbers that sort differently from the IDs (the grid orders by number).
        for n, employee_id in enumerate(ids):
            number = f"X{(n * 7) % 24:06d}"
            await connection.execute(
                update(Employee).where(Employee.id == employee_id).values(employee_number=number)
            )
        for employee_id in ids[:3]:  # left, nothing open: not current
            await connection.execute(
                update(Employee).where(Employee.id == employee_id).values(leave_date=left)
            )
        await connection.execute(  # leaves later: current, marked
            update(Employee)
            .where(Employee.id == ids[3])
            .values(leave_date=now.date() + dt.timedelta(days=3), email=None, department=None)
        )
        await connection.execute(
            update(Employee).where(Employee.id == ids[4]).values(benefit_level=None)
        )
        records: dict[int, dict[str, object]] = {
            ids[5]: {"state": "in_progress", "requested_at": now - dt.timedelta(hours=1)},
            ids[6]: {
                "state": "in_progress",
                "phase": "retrying",
                "requested_at": now,
                "next_attempt_at": now + dt.timedelta(minutes=2),
            },
            ids[7]: {"state": "failed", "reason": "HR rejected: no email"},
            ids[0]: {"state": "failed", "reason": "left with work open"},
            ids[8]: {"state": "successful", "account_id": "acc-8"},
            ids[9]: {"state": "successful", "reason": "Linked", "account_id": "acc-9"},
        }
        for employee_id, values in records.items():
            await connection.execute(
                update(SyncRecord).where(SyncRecord.employee_id == employee_id).values(**values)
            )


async def _services_page(context: ServiceContext, state: SyncState, size: int) -> list[EmployeeRow]:
    """The grid's first page through the services: first_page_ids, else the tab's list."""
    flt = EmployeeFilter(state)
    ids = await queries.first_page_ids(context, flt, size) or (await list_ids(context, flt))[:size]
    return await fetch_rows(context, ids)


@pytest.mark.parametrize("probe", [5000, 6])
async def test_the_quick_page_is_the_services_page(
    sqlite_url: str, probe: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # probe 6: the first employees by number hold too few of a tab, which is then listed.
    monkeypatch.setattr(queries, "FIRST_PAGE_PROBE", probe)
    monkeypatch.setattr(first_page, "FIRST_PAGE_PROBE", probe)
    async with services(sqlite_url) as context:
        await _varied(context)
        now = context.clock.now()
        for state in SyncState:
            for size in (1, 4, 100):
                expected = await _services_page(context, state, size)
                page = read_first_page(
                    QuickSettings(sqlite_url, 15.0), IDENTITY, size, state=state, now=now
                )
                assert page is not None
                assert page.rows == expected, (state, size)
                assert page.filter == EmployeeFilter(state)
        # The cases above, so that empty pages could not pass.
        whole = await _services_page(context, SyncState.NOT_SYNCING, 100)
        assert len(whole) == 16  # 24, less 6 in other tabs and 2 gone
        assert [row.employee_number for row in whole] == sorted(r.employee_number for r in whole)
        assert any(row.leave_date is not None for row in whole)
        in_progress = await _services_page(context, SyncState.IN_PROGRESS, 100)
        assert [row.stuck for row in in_progress] == [True, False] or [
            row.stuck for row in in_progress
        ] == [False, True]
        assert any(row.next_attempt_at is not None for row in in_progress)
        assert len(await _services_page(context, SyncState.FAILED, 100)) == 2


async def test_the_quick_page_leaves_what_it_is_not_sure_of_to_the_services(
    sqlite_url: str, tmp_path: Path
) -> None:
    settings = QuickSettings(sqlite_url, 15.0)
    assert read_first_page(settings, IDENTITY, 10) is None  # no schema yet
    async with services(sqlite_url) as context:  # creates it
        await add_people(context, 2)
        assert read_first_page(settings, IDENTITY, 10) is not None
        async with context.db.engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    assert read_first_page(settings, IDENTITY, 10) is None  # behind: to be upgraded
    for url in (
        f"sqlite+aiosqlite:///{tmp_path / 'missing.db'}",
        "postgresql+asyncpg://nobody@127.0.0.1:1/none",
    ):
        assert read_first_page(QuickSettings(url, 15.0), IDENTITY, 10) is None, url


async def test_the_preview_refuses_what_the_services_refuse(sqlite_url: str) -> None:
    """Keys shown disabled in the first frame are the ones disabled once the services open."""
    from benefits_tui.services.context import open_context
    from benefits_tui.services.permissions import Permission
    from tests.conftest import make_settings

    async with services(sqlite_url) as context:
        await add_people(context, 1)
    for role, user in ((Role.READ_ONLY, "viewer"), (Role.HR, "hr.tester"), (Role.ADMIN, "boss")):
        settings = make_settings(sqlite_url, user=user, default_role=role)
        async with open_context(settings) as context:
            page = read_first_page(QuickSettings(sqlite_url, 15.0), (user, role), 10)
            assert page is not None
            assert (page.actor, page.role_label) == (context.actor, context.role_label)
            for permission in Permission:
                assert page.refusal(permission) == context.refusal(permission), permission
