"""The read side: tabs, search and counts on both databases."""

from __future__ import annotations

import datetime as dt

import pytest

from benefits_tui.domain.states import SyncState
from benefits_tui.services.queries import EmployeeFilter, count_by_state, fetch_rows, list_ids
from benefits_tui.services.sync.requests import Selection, request_sync
from tests.helpers import add_people, services


async def test_tabs_search_and_counts(database_url: str) -> None:
    async with services(database_url) as context:
        ids = await add_people(context, 12)
        await add_people(
            context,
            1,
            start=50,
            forenames="Zoë",
            surname="O'Brien [admin]",
            email="zoe.obrien@example.com",
        )
        await add_people(
            context, 1, start=60, leave_date=dt.date(2020, 1, 1)
        )  # left long ago: not current
        await request_sync(context, Selection.of(ids[:3]))
        not_syncing = await list_ids(context, EmployeeFilter(SyncState.NOT_SYNCING))
        assert len(not_syncing) == 10
        rows = await fetch_rows(context, not_syncing)
        assert [row.employee_number for row in rows] == sorted(row.employee_number for row in rows)
        found = await list_ids(context, EmployeeFilter(SyncState.NOT_SYNCING, "zoë o'brien"))
        assert len(found) == 1
        assert await list_ids(context, EmployeeFilter(SyncState.NOT_SYNCING, "[admin]")) == found
        assert await list_ids(context, EmployeeFilter(SyncState.NOT_SYNCING, "100%")) == []
        assert len(await list_ids(context, EmployeeFilter(SyncState.NOT_SYNCING, "E00001"))) == 4
        assert await list_ids(context, EmployeeFilter(SyncState.FAILED)) == []
        counts = await count_by_state(context)
    assert counts == {
        SyncState.NOT_SYNCING: 10,
        SyncState.IN_PROGRESS: 3,
        SyncState.SUCCESSFUL: 0,
        SyncState.FAILED: 0,
    }


async def test_the_failed_tab_is_searched_by_reason_too(database_url: str) -> None:
    """Fix or re-sync Failed by reason: "no email" finds those failing for it (and the
    same search in another tab does not look at reasons)."""
    from benefits_tui.domain.states import SyncState
    from benefits_tui.services.queries import EmployeeFilter, list_ids
    from benefits_tui.services.sync.requests import Selection, request_sync
    from tests.helpers import Simulator, add_people, services

    async with services(database_url, Simulator()) as context:
        no_email = await add_people(context, 2, email=None)
        bad_gender = await add_people(context, 1, start=10, gender="Q")
        await request_sync(context, Selection.of(no_email + bad_gender))
        failed = EmployeeFilter(SyncState.FAILED, "No Email")
        assert sorted(await list_ids(context, failed)) == sorted(no_email)
        gender = EmployeeFilter(SyncState.FAILED, "gender 'q'")
        assert await list_ids(context, gender) == bad_gender
        # Names still match as before; other tabs do not search reasons.
        assert await list_ids(context, EmployeeFilter(SyncState.FAILED, "test10")) == bad_gender
        assert await list_ids(context, EmployeeFilter(SyncState.NOT_SYNCING, "no email")) == []


async def test_a_search_follows_every_edit(database_url: str) -> None:
    """On SQLite a search reads a trigram index (migration 0008) kept by triggers: an edited
    name is found by its new words at once, and no longer by its old ones."""
    from benefits_tui.services.employees import update_employee

    async with services(database_url) as context:
        (moved,) = await add_people(context, 1, start=20, surname="Oldname")
        await add_people(context, 1, start=9, surname='Quote"Marks')

        async def found(text: str) -> list[int]:
            return await list_ids(context, EmployeeFilter(SyncState.NOT_SYNCING, text))

        assert await found("oldname test20") == [moved]
        await update_employee(context, moved, {"surname": "Fairweather"})
        assert await found("fairweather") == [moved]
        assert await found("weat test20") == [moved]
        assert await found("oldname") == []
        assert len(await found('quote"marks')) == 1
        assert (await count_by_state(context, "fairweather"))[SyncState.NOT_SYNCING] == 1


async def test_a_tabs_first_page_is_exactly_the_start_of_its_list(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first screen paints the first page before the whole list (RULES §5, 1,000,000
    employees): the same IDs the whole list starts with, or none when it cannot tell."""
    from benefits_tui.services import queries

    monkeypatch.setattr(queries, "FIRST_PAGE_PROBE", 12)
    async with services(sqlite_url) as context:
        ids = await add_people(context, 20)
        await add_people(context, 1, start=99, leave_date=dt.date(2020, 1, 1))  # not current
        await request_sync(context, Selection.of(ids[1:10:2]))  # 2, 4, 6, 8, 10 leave the tab
        tab = EmployeeFilter(SyncState.NOT_SYNCING)
        whole = await list_ids(context, tab)
        assert await queries.first_page_ids(context, tab, 5) == whole[:5]
        assert await queries.first_page_ids(context, tab, 7) == whole[:7]  # 7 of the first 12
        assert await queries.first_page_ids(context, tab, 8) == []  # not among the first 12
        in_progress = EmployeeFilter(SyncState.IN_PROGRESS)
        assert await queries.first_page_ids(context, in_progress, 5) == ids[1:10:2]
        assert await queries.first_page_ids(context, EmployeeFilter(None, "test1"), 1) == []
