"""Type-ahead (RULES §3): keys typed while a screen or form opens are delivered to it, in order, as
if the user had waited; no keystroke is lost or lands in another field; a save takes every key
typed before it. Each test sends its keys in ONE burst (nothing is processed in between), as a
terminal delivers fast typing, a slow SSH link, a paste or ``tmux send-keys``."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from textual import events
from textual.widgets import Input

from benefits_tui.app.app import BenefitsApp
from benefits_tui.app.screens.employee import EmployeeScreen
from benefits_tui.app.screens.leaver import LeaverScreen
from benefits_tui.app.screens.new_employee import NewEmployeeScreen
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.queries import employee_detail
from tests.app.conftest import context_for, launched, make_app
from tests.helpers import (
    STARTER_PERSONAL,
    Simulator,
    add_people,
    fill_form,
    piloted,
    screen_text,
    settle,
)

NAMES = {
    "/": "slash",
    "-": "minus",
    " ": "space",
    ".": "full_stop",
    "@": "at",
    "\t": "tab",
    "\r": "enter",
}


def burst(app: BenefitsApp, *parts: str) -> None:
    """Post keys all at once. A part is a key name in angle brackets (``<ctrl+s>``) or text."""
    for part in parts:
        if part.startswith("<") and part.endswith(">"):
            name = part[1:-1]
            character = {"tab": "\t", "enter": "\r", "escape": "\x1b", "space": " "}.get(name)
            app.post_message(events.Key(name, character))
            continue
        for character in part:
            app.post_message(events.Key(NAMES.get(character, character), character))


def field(app: BenefitsApp, name: str) -> str:
    return app.screen.query_one(f"#input-{name}", Input).value


async def test_keys_typed_while_the_employee_form_opens_go_to_the_right_field(
    sqlite_url: str, no_debounce: None
) -> None:
    """``e`` then ``Tab Tab Tab 1975-06-01 ctrl+s``: the date is the date of birth, saved whole."""
    async with context_for(sqlite_url, Simulator()) as context:
        (employee_id,) = await add_people(context, 1, date_of_birth=None)
        async with launched(context) as (app, pilot):
            burst(app, "e", "<tab>", "<tab>", "<tab>", "1975-06-01", "<ctrl+s>")
            await settle(pilot)
            await settle(pilot)
            detail = await employee_detail(context, employee_id)
            assert detail.date_of_birth == dt.date(1975, 6, 1)
            assert detail.forenames == "Test1"
            assert not isinstance(app.screen, EmployeeScreen)  # saved and closed


async def test_ctrl_s_takes_every_key_typed_before_it(sqlite_url: str, no_debounce: None) -> None:
    async with context_for(sqlite_url, Simulator()) as context:
        (employee_id,) = await add_people(context, 1)
        async with launched(context) as (app, pilot):
            burst(app, "e", "<ctrl+u>", "Alexandra-Louise", "<ctrl+s>")
            await settle(pilot)
            await settle(pilot)
            detail = await employee_detail(context, employee_id)
            assert detail.forenames == "Alexandra-Louise"


async def test_the_starter_wizard_takes_a_burst_step_by_step(
    sqlite_url: str, no_debounce: None
) -> None:
    async with context_for(sqlite_url, Simulator()) as context:
        await add_people(context, 1)
        async with launched(context) as (app, pilot):
            # n, enter (the wizard), then the Title select, Tab to Forenames, Tab to Surname.
            burst(app, "n", "<enter>", "<tab>", "Ada", "<tab>", "Lovelace")
            await settle(pilot)
            assert isinstance(app.screen, NewEmployeeScreen)
            assert field(app, "forenames") == "Ada"
            assert field(app, "surname") == "Lovelace"


async def test_keys_after_next_wait_for_the_wizards_email_check(
    sqlite_url: str, no_debounce: None
) -> None:
    """Next on the personal step looks the email up (is it another employee's?) before the
    employment step opens: the keys typed after ``ctrl+s`` go to that step's first field."""

    async with context_for(sqlite_url, Simulator()) as context:
        await add_people(context, 1)
        async with launched(context) as (app, pilot):
            burst(app, "n", "<enter>")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, NewEmployeeScreen)
            fill_form(screen, **STARTER_PERSONAL)
            screen.query_one("#input-email", Input).focus()
            await settle(pilot)
            burst(app, "ann.lee@example.com", "<ctrl+s>", "Analyst")
            await settle(pilot)
            await settle(pilot)
            assert "Employment details (2 of 4)" in screen_text(app)
            assert field(app, "email") == "ann.lee@example.com"
            assert field(app, "job_title") == "Analyst"


async def test_the_leaver_dialog_takes_a_burst(sqlite_url: str, no_debounce: None) -> None:
    async with context_for(sqlite_url, Simulator()) as context:
        await add_people(context, 1)
        async with launched(context) as (app, pilot):
            # enter in the date moves to the reason (a Submitted message, then a focus change):
            # the next key must wait for both.
            burst(app, "l", "2026-03-01", "<enter>", "Resignation")
            await settle(pilot)
            assert isinstance(app.screen, LeaverScreen)
            assert field(app, "leave_date") == "2026-03-01"
            assert field(app, "leave_reason") == "Resignation"


# ---------------------------------------------------------------------- search and ticks


async def search_app(context: ServiceContext) -> BenefitsApp:
    await add_people(context, 20)
    await add_people(context, 2, start=50, forenames="Sam", surname="Quill")
    return make_app(context)


def table(app: BenefitsApp):  # type: ignore[no-untyped-def]
    assert app.main_screen is not None
    return app.main_screen.table


async def test_ticks_survive_a_search_and_its_clearing(sqlite_url: str, no_debounce: None) -> None:
    """Tick 16, search, `a`, clear the search: 18 ticked (was 0), and Sync sends those 18."""
    async with context_for(sqlite_url, Simulator()) as context:
        app = await search_app(context)
        async with piloted(app) as pilot:
            burst(app, *(["<space>", "<down>"] * 16))
            await settle(pilot)
            assert table(app).ticks.count == 16
            burst(app, "/quill", "<enter>", "a")  # `a` means the search's rows, loaded or not
            await settle(pilot)
            assert len(table(app).ids) == 2
            assert table(app).ticks.count == 18
            burst(app, "/", "<escape>")  # escape clears the search
            await settle(pilot)
            assert table(app).search == "" and len(table(app).ids) == 22
            assert table(app).ticks.count == 18
            selection, count = app.main_screen._target()  # type: ignore[union-attr,misc]
            assert count == 18 and selection.ids is not None and len(selection.ids) == 18
            # `a` on the whole tab ticks all 22; again unticks all.
            burst(app, "a")
            await settle(pilot)
            assert table(app).ticks.count == 22
            burst(app, "a")
            await settle(pilot)
            assert table(app).ticks.count == 0


async def test_slash_ctrl_u_and_a_query_in_one_burst(sqlite_url: str, no_debounce: None) -> None:
    async with context_for(sqlite_url, Simulator()) as context:
        app = await search_app(context)
        async with piloted(app) as pilot:
            burst(app, "/test1", "<enter>")
            await settle(pilot)
            burst(app, "/", "<ctrl+u>", "quill", "<enter>")
            await settle(pilot)
            assert table(app).search == "quill"
            assert len(table(app).ids) == 2


async def test_slash_starts_a_new_search_and_the_tab_says_it_is_filtered(
    sqlite_url: str, no_debounce: None
) -> None:
    async with context_for(sqlite_url, Simulator()) as context:
        app = await search_app(context)
        async with piloted(app) as pilot:
            burst(app, "/test1", "<enter>")
            await settle(pilot)
            burst(app, "/quill", "<enter>")  # replaces "test1", never "test1quill"
            await settle(pilot)
            assert table(app).search == "quill"
            assert "Not syncing (2 of 22)" in screen_text(app)
            burst(app, "/", "<escape>")
            await settle(pilot)
            assert table(app).search == ""
            assert "Not syncing (22)" in screen_text(app)


async def test_sync_right_after_a_search_and_select_all_covers_the_search(
    sqlite_url: str, no_debounce: None
) -> None:
    """`/quill enter a s` in one burst: Confirm Sync covers the search's two employees, not
    the row highlighted before the search (keys after a waiting `a` wait with it)."""
    from benefits_tui.app.screens.confirm_sync import ConfirmSync

    async with context_for(sqlite_url, Simulator()) as context:
        app = await search_app(context)
        async with piloted(app) as pilot:
            burst(app, "/quill", "<enter>", "a", "s")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmSync)
            assert app.screen.plan.total == 2
            assert table(app).ticks.count == 2


async def test_keys_after_a_tab_switch_wait_for_its_rows(
    sqlite_url: str, no_debounce: None
) -> None:
    """`4 down e` in one burst opens the Failed tab's second employee: the keys after `4`
    wait for that tab's first rows (they used to find it empty: "No employee highlighted")."""
    from benefits_tui.app.screens.benefits_management import BenefitsManagementScreen
    from benefits_tui.domain.states import SyncState
    from benefits_tui.services.sync.requests import Selection, request_sync

    async with context_for(sqlite_url, Simulator()) as context:
        await add_people(context, 3)
        bad = await add_people(context, 3, start=7, email=None, forenames="Nomail")
        await request_sync(context, Selection.of(bad))
        async with launched(context) as (app, pilot):
            main = app.screen
            assert isinstance(main, BenefitsManagementScreen)
            assert not main.tables[SyncState.FAILED].loaded
            burst(app, "4", "<down>", "e")
            await settle(pilot)
            await settle(pilot)
            assert isinstance(app.screen, EmployeeScreen), screen_text(app)
            failed = main.tables[SyncState.FAILED]
            assert len(failed.ids) == 3 and failed.cursor == 1
            assert app.screen.employee_id == failed.ids[1]


async def test_select_all_right_after_a_tab_switch_covers_the_tab(
    sqlite_url: str, no_debounce: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`4 a s` in one burst: Confirm Sync covers the whole Failed tab (`a` waited for the tab's
    list, not only its first page, which shows first: the tick count comes from the list)."""
    from benefits_tui.app.screens.confirm_sync import ConfirmSync
    from benefits_tui.services import queries
    from benefits_tui.services.sync.requests import Selection, request_sync

    list_ids = queries.list_ids

    async def slow_list_ids(*args: Any, **kwargs: Any) -> list[int]:
        await asyncio.sleep(0.5)  # a whole tab's list takes a second at 1,000,000
        return await list_ids(*args, **kwargs)

    monkeypatch.setattr(queries, "list_ids", slow_list_ids)
    async with context_for(sqlite_url, Simulator()) as context:
        await add_people(context, 2)
        # More than a first page (100): the tab's first page shows before its whole list is in.
        bad = await add_people(context, 120, start=7, email=None, forenames="Nomail")
        await request_sync(context, Selection.of(bad))
        async with launched(context) as (app, pilot):
            burst(app, "4", "a", "s")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmSync), screen_text(app)
            assert app.screen.plan.total == 120
