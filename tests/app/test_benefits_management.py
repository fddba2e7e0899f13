"""The Benefits Management screen, driven by keys only (RULES §3)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import ProgressBar

from benefits_tui.app.app import BenefitsApp
from benefits_tui.app.screens.confirm_sync import ConfirmSync
from benefits_tui.app.widgets.detail_pane import DetailPane
from benefits_tui.app.widgets.employee_table import EmployeeTable
from benefits_tui.config import Role
from benefits_tui.domain.states import SyncState
from benefits_tui.services.queries import count_by_state
from benefits_tui.services.sync.requests import Selection, request_sync
from tests.app.conftest import context_for, launched, main_screen, make_app
from tests.helpers import Simulator, add_people, piloted, press, screen_text, settle

pytestmark = pytest.mark.usefixtures("no_debounce")


def table_of(app) -> EmployeeTable:  # type: ignore[no-untyped-def]
    return main_screen(app).table


async def polled(pilot: Pilot[Any], done: Callable[[], bool]) -> None:
    """Let the app run until ``done()`` (at most two seconds): for a state reached while a
    listing is held back on purpose, which ``settle`` would wait on for ever."""
    for _ in range(200):
        await pilot.pause(0.01)
        if done():
            return


async def test_search_narrows_rows(sqlite_url: str) -> None:
    async with context_for(sqlite_url) as context:
        await add_people(context, 12)
        await add_people(
            context, 1, start=50, forenames="Zebedee", surname="Quill", email="zq@example.com"
        )
        async with launched(context) as (app, pilot):
            assert len(table_of(app).ids) == 13
            await press(pilot, "slash", *"quill")
            assert len(table_of(app).ids) == 1
            assert "Zebedee Quill" in screen_text(app)
            assert "Test1 Person" not in screen_text(app)
            # By employee number and by email too; escape returns to the grid.
            await press(pilot, *["backspace"] * 5, *"E000003")
            assert len(table_of(app).ids) == 1
            await press(pilot, *["backspace"] * 7, *"test.person1")
            assert len(table_of(app).ids) == 4  # 1, 10, 11, 12
            await pilot.press("escape")
            assert isinstance(app.focused, EmployeeTable)


async def test_space_ticks_and_shift_down_ticks_a_range(sqlite_url: str) -> None:
    async with context_for(sqlite_url) as context:
        await add_people(context, 10)
        async with launched(context) as (app, pilot):
            table = table_of(app)
            await pilot.press("space")
            assert table.ticks.count == 1
            assert "1 ticked" in screen_text(app)
            await pilot.press("j", "shift+down", "shift+down")
            assert table.ticks.count == 4
            await pilot.press("space")  # untick the highlighted row
            assert table.ticks.count == 3
            assert "▣" in screen_text(app)  # the header shows "some"


async def test_a_ticks_every_row_in_the_filter_including_off_screen(sqlite_url: str) -> None:
    async with context_for(sqlite_url) as context:
        await add_people(context, 60)
        async with launched(context, (80, 24)) as (app, pilot):
            table = table_of(app)
            assert table.size.height < 60
            await pilot.press("a")
            assert table.ticks.count == 60
            assert table.ticks.is_ticked(table.ids[-1])
            text = screen_text(app)
            assert "☑ Number" in text and "60 ticked" in text
            await pilot.press("G", "space")  # untick the last one, off screen before
            assert table.ticks.count == 59
            await press(pilot, "s")
            assert isinstance(app.screen, ConfirmSync)
            assert app.screen.count == 59
            await pilot.press("escape")
            await pilot.press("a")  # some ticked: tick all again
            assert table.ticks.count == 60
            await pilot.press("a")  # all ticked: untick all
            assert table.ticks.count == 0


async def test_sync_opens_confirm_and_escape_sends_nothing(sqlite_url: str) -> None:
    async with context_for(sqlite_url) as context:
        await add_people(context, 5)
        await add_people(context, 1, start=9, email=None)
        async with launched(context) as (app, pilot):
            await pilot.press("space", "j", "space", "j", "space")
            await press(pilot, "s")
            assert isinstance(app.screen, ConfirmSync)
            assert "Send 3 employees to Benefits?" in screen_text(app)
            await press(pilot, "escape")
            assert not isinstance(app.screen, ConfirmSync)
            counts = await count_by_state(context)
            assert counts[SyncState.NOT_SYNCING] == 6 and counts[SyncState.IN_PROGRESS] == 0
            assert table_of(app).ticks.count == 3  # ticks kept after cancel
            await press(pilot, "s")
            await press(pilot, "n")
            assert (await count_by_state(context))[SyncState.IN_PROGRESS] == 0
            # The pre-flight summary names what will fail at once.
            await press(pilot, "a", "s")
            text = screen_text(app)
            assert "Send 6 employees to Benefits?" in text
            assert "1 will fail at once: no email" in text


async def test_enter_sends_them_and_counts_move(sqlite_url: str) -> None:
    async with context_for(sqlite_url) as context:
        await add_people(context, 4)
        async with launched(context) as (app, pilot):
            await pilot.press("space", "j", "space")
            await press(pilot, "s")
            assert isinstance(app.screen, ConfirmSync)
            await press(pilot, "enter")
            counts = await count_by_state(context)
            assert counts[SyncState.IN_PROGRESS] == 2 and counts[SyncState.NOT_SYNCING] == 2
            messages = [str(n.message) for n in app._notifications]
            assert "2 employees sent to Benefits" in messages
            assert table_of(app).ticks.count == 0
            # The batch's progress shows in the status bar (hidden, and mounted late, before).
            bar = main_screen(app).query_one("#batch-progress", ProgressBar)
            assert bar.display and bar.region.width > 0 and bar.total == 2
            text = screen_text(app)
            assert "Not syncing (2)" in text and "In progress (2)" in text
            # Nothing ticked: `s` syncs the highlighted row; `y` confirms.
            await press(pilot, "s")
            assert "Send 1 employee to Benefits?" in screen_text(app)
            await press(pilot, "y")
            assert (await count_by_state(context))[SyncState.IN_PROGRESS] == 3
            await press(pilot, "2")
            assert len(table_of(app).ids) == 3
            assert "Queued" in screen_text(app)


async def test_failed_row_shows_reason_and_history(sqlite_url: str) -> None:
    async with context_for(sqlite_url) as context:
        ids = await add_people(context, 2)
        bad = await add_people(
            context, 1, start=7, email=None, forenames="Nomail", surname="Person"
        )
        await request_sync(context, Selection.of(bad))
        async with launched(context, (160, 40)) as (app, pilot):
            assert "Failed (1)" in screen_text(app)
            await press(pilot, "4")
            assert main_screen(app).active is SyncState.FAILED
            text = screen_text(app)
            assert "Nomail Person" in text
            assert "Reason" in text and "no email address" in text  # in the grid
            await press(pilot, "enter")
            assert isinstance(app.focused, DetailPane)
            detail = main_screen(app).query_one(DetailPane)
            assert detail.employee_id == bad[0]
            text = screen_text(app)
            assert "Sync history (3, newest first)" in text
            assert "HR rejected" in text and "Requested" in text and "Employee added" in text
            assert text.index("HR rejected") < text.index("Employee added")  # newest first
            assert "reason: HR rejected: no email address" in text
            await pilot.press("escape")
            assert isinstance(app.focused, EmployeeTable)
            assert ids  # the others stay in Not syncing


async def test_tabs_switch_with_1_to_4(sqlite_url: str) -> None:
    async with context_for(sqlite_url) as context:
        await add_people(context, 3)
        async with launched(context, (100, 30)) as (app, pilot):
            screen = main_screen(app)
            for key, state in zip(
                "2341",
                [
                    SyncState.IN_PROGRESS,
                    SyncState.SUCCESSFUL,
                    SyncState.FAILED,
                    SyncState.NOT_SYNCING,
                ],
                strict=True,
            ):
                await press(pilot, key)
                assert screen.active is state
                assert app.focused is screen.tables[state]
            # In a search box, digits are text, not tab switches.
            await press(pilot, "slash", "3")
            assert screen.active is SyncState.NOT_SYNCING


HOSTILE = [
    "Bob [/x]",
    "[bold]x",
    "Smith [admin]",
    "\x1b[31mRed\x1b[0m",
    "[link=http://evil]click[/link]",
]


async def test_hostile_names_render_literally(sqlite_url: str) -> None:
    async with context_for(sqlite_url) as context:
        for n, name in enumerate(HOSTILE, start=1):
            await add_people(
                context, 1, start=n, forenames=name, surname="[/]", email=f"h{n}@example.com"
            )
        bad = await add_people(
            context, 1, start=9, forenames="[red]Evil", surname="Reason", email="not-an-email[b]"
        )
        await request_sync(context, Selection.of(bad))
        async with launched(context, (160, 40)) as (app, pilot):
            text = screen_text(app)
            assert "Bob [/x] [/]" in text
            assert "[bold]x [/]" in text
            assert "Smith [admin] [/]" in text
            assert "␛[31mRed␛[0m [/]" in text  # escape sequences are shown, not obeyed
            assert "[link=http://evil]click" in text
            # The detail pane and notifications too.
            await press(pilot, "4")
            text = screen_text(app)
            assert "[red]Evil Reason" in text
            assert "'not-an-email[b]'" in text


async def test_main_screen_at_80x24(sqlite_url: str) -> None:
    async with context_for(sqlite_url) as context:
        await add_people(context, 40)
        app = make_app(context)
        async with piloted(app, (80, 24)):
            lines = screen_text(app).splitlines()
            assert len(lines) == 24
            text = "\n".join(lines)
            for part in (
                "Not syncing (40)",
                "In progress (0)",
                "Successful (0)",
                "Failed (0)",
                "Search",
                "Number",
                "Name",
                "E000001",
                "0 ticked",
            ):
                assert part in text, part
            assert "Sync" in lines[-1] and "Quit" in lines[-1]  # the footer
            table = table_of(app)
            assert table.size.height >= 8  # rows to work with
            assert main_screen(app).query_one(DetailPane).size.height >= 5


async def test_read_only_user_sees_sync_disabled(sqlite_url: str) -> None:
    sim = Simulator()
    async with context_for(sqlite_url, sim) as hr:
        await add_people(hr, 3)
    viewer = context_for(sqlite_url, sim, role=Role.READ_ONLY, user="viewer")
    async with viewer as context, launched(context) as (app, pilot):
        bindings = app.screen.active_bindings
        assert bindings["s"].enabled is False
        assert bindings["b"].enabled is False
        assert bindings["space"].enabled is True
        await press(pilot, "space", "s")
        assert not isinstance(app.screen, ConfirmSync)
        messages = [str(n.message) for n in app._notifications]
        assert "viewer is a read-only user and cannot sync employees to Benefits" in messages
        assert (await count_by_state(context))[SyncState.IN_PROGRESS] == 0
        assert "viewer · read-only" in screen_text(app)


async def test_sync_key_is_disabled_on_in_progress_tab(sqlite_url: str) -> None:
    async with context_for(sqlite_url) as context:
        ids = await add_people(context, 2)
        await request_sync(context, Selection.of(ids))
        async with launched(context) as (app, pilot):
            await press(pilot, "2")
            assert app.screen.active_bindings["s"].enabled is False
            await press(pilot, "s")
            assert not isinstance(app.screen, ConfirmSync)
            assert "Sync works from the Not syncing and Failed tabs" in [
                str(n.message) for n in app._notifications
            ]


async def test_help_and_command_palette_list_actions(sqlite_url: str) -> None:
    async with context_for(sqlite_url) as context:
        await add_people(context, 2)
        async with launched(context) as (app, pilot):
            await press(pilot, "question_mark")
            text = screen_text(app)
            assert "Keys" in text and "Tick every row in the current filter" in text
            await pilot.press("escape")
            await press(pilot, "ctrl+p")
            await press(pilot, *"sync to")
            assert "Sync to Benefits" in screen_text(app)
            await press(pilot, "enter")
            assert isinstance(app.screen, ConfirmSync)


async def test_live_update_from_another_terminal(sqlite_url: str, tmp_path: Path) -> None:
    sim = Simulator()
    async with context_for(sqlite_url, sim) as context:
        ids = await add_people(context, 3)
        async with launched(context) as (app, pilot):
            assert "Not syncing (3)" in screen_text(app)
            async with context_for(sqlite_url, sim, user="someone.else") as other:
                await request_sync(other, Selection.of(ids[:2]))
            app._poll()  # what the 1 s timer does
            await settle(pilot)
            text = screen_text(app)
            assert "Not syncing (1)" in text and "In progress (2)" in text


async def test_stuck_records_are_flagged_and_counted(sqlite_url: str) -> None:
    async with context_for(sqlite_url) as context:
        ids = await add_people(context, 3)
        await request_sync(context, Selection.of(ids[:2]))
        context.clock.advance(20 * 60)  # type: ignore[attr-defined]  # past the 15-minute threshold
        async with launched(context) as (app, pilot):
            assert "In progress (2, ⚠ 2 stuck)" in screen_text(app)
            await press(pilot, "2")
            text = screen_text(app)
            assert "⚠ stuck: Queued" in text
            assert "⚠ stuck" in text.split("Sync history")[0]  # the detail pane says so too


async def test_workflow_keys_open_their_screens(sqlite_url: str) -> None:
    from benefits_tui.app.screens.assign_level import AssignLevelScreen
    from benefits_tui.app.screens.employee import EmployeeScreen
    from benefits_tui.app.screens.leaver import LeaverScreen
    from benefits_tui.app.screens.new_employee import NewEmployeeScreen

    async with context_for(sqlite_url) as context:
        ids = await add_people(context, 3)
        async with launched(context) as (app, pilot):
            for key, screen_type in (
                ("e", EmployeeScreen),
                ("n", NewEmployeeScreen),
                ("l", LeaverScreen),
                ("b", AssignLevelScreen),
            ):
                await press(pilot, key)
                opened = app.screen
                assert isinstance(opened, screen_type), key
                if isinstance(opened, (EmployeeScreen, LeaverScreen)):
                    assert key in ("e", "l")
                    assert opened.employee_id == ids[0]
                opened.dismiss(None)
                await settle(pilot)
                assert app.screen is main_screen(app)


async def test_q_quits(sqlite_url: str) -> None:
    async with context_for(sqlite_url) as context:
        await add_people(context, 1)
        async with launched(context, (80, 24)) as (app, pilot):
            await pilot.press("q")
            await pilot.pause()
            assert app._exit


async def test_changing_the_search_keeps_the_ticks(sqlite_url: str) -> None:
    """Ticks belong to employees, not to a search (RULES §3): `a` in a search ticks its rows;
    clearing the search shows them among the others, still ticked, and no one else."""
    async with context_for(sqlite_url) as context:
        await add_people(context, 12)
        async with launched(context) as (app, pilot):
            await press(pilot, "slash", *"person1", "enter")
            await pilot.press("a")
            assert table_of(app).ticks.count == 4  # 1, 10, 11, 12
            await pilot.press("slash", "backspace")  # `/` selects the old search: one key clears it
            await settle(pilot)
            table = table_of(app)
            assert len(table.ids) == 12
            assert table.ticks.count == 4  # never "all 12" by surprise, never 0
            assert table.ticks.state.name == "SOME"


async def test_a_ticked_employee_who_leaves_the_tab_during_a_search_is_no_longer_ticked(
    sqlite_url: str,
) -> None:
    """A tick is "this employee, in this tab" (see app/selection.py): one who leaves the tab
    while a search hides the rest of it (a colleague synced them) no longer counts, and Confirm
    Sync offers only the employees still here; the user is told why the count went down."""
    sim = Simulator()
    async with context_for(sqlite_url, sim) as context:
        ids = await add_people(context, 12)
        async with launched(context) as (app, pilot):
            await pilot.press("space", "j", "space")  # E000001, E000002
            await pilot.press("slash", *"person1", "enter")  # 1, 10, 11, 12: E000002 hidden
            await settle(pilot)
            await pilot.press("j", "space")  # E000010
            table = table_of(app)
            assert table.ticks.count == 3
            # Someone else syncs E000001 and E000002: they move to In progress.
            await request_sync(context, Selection.of(ids[:2]))
            main_screen(app).refresh_data()
            await settle(pilot)
            assert table.ticks.count == 1
            assert "1 ticked" in screen_text(app)
            messages = [str(n.message) for n in app._notifications]
            assert (
                "2 ticked employees left Not syncing (changed meanwhile) and are no longer ticked"
                in messages
            )
            await press(pilot, "s")
            text = screen_text(app)
            assert "Send 1 employee to Benefits?" in text and "already in progress" not in text
            await pilot.press("escape", "slash", "ctrl+u", "enter")  # the whole tab again
            await settle(pilot)
            assert len(table.ids) == 10 and table.ticks.count == 1


async def test_the_screen_can_be_recomposed(sqlite_url: str) -> None:
    """``recompose()`` runs inside ``Widget.batch()``: no attribute may shadow it."""
    async with context_for(sqlite_url) as context:
        await add_people(context, 3)
        async with launched(context) as (app, pilot):
            screen = main_screen(app)
            old_table = table_of(app)
            await screen.recompose()
            await settle(pilot)
            assert table_of(app) is not old_table and table_of(app).is_attached
            assert len(table_of(app).ids) == 3
            assert "E000003" in screen_text(app)
            await pilot.press("j", "space")
            assert table_of(app).ticks.count == 1


async def test_the_detail_pane_moves_beside_the_grid_when_wide(sqlite_url: str) -> None:
    async with context_for(sqlite_url) as context:
        await add_people(context, 3)
        async with launched(context) as (app, pilot):
            screen = main_screen(app)
            detail = screen.query_one(DetailPane)
            assert screen.has_class("-narrow") and not screen.has_class("-wide")
            assert detail.region.x == 0 and detail.region.y >= table_of(app).region.bottom
            await pilot.resize_terminal(160, 36)
            await settle(pilot)
            assert screen.has_class("-wide") and not screen.has_class("-narrow")
            assert detail.region.x >= table_of(app).region.right


async def test_a_save_reloads_the_grid_once(sqlite_url: str) -> None:
    from textual.widgets import Input

    from benefits_tui.app.screens.employee import EmployeeScreen

    async with context_for(sqlite_url) as context:
        await add_people(context, 2)
        async with launched(context) as (app, pilot):
            screen = main_screen(app)
            reloads: list[None] = []
            reload = screen.refresh_data

            def counted() -> None:
                reloads.append(None)
                reload()

            screen.refresh_data = counted  # type: ignore[method-assign]
            await press(pilot, "e")
            editor = app.screen
            assert isinstance(editor, EmployeeScreen)
            editor.query_one("#input-job_title", Input).value = "Chief Analyst"
            await press(pilot, "ctrl+s")
            assert app.screen is screen
            assert len(reloads) == 1


@asynccontextmanager
async def whole_tab_held(
    url: str, monkeypatch: pytest.MonkeyPatch, people: int, *, searches_too: bool
) -> AsyncIterator[tuple[BenefitsApp, Pilot[Any], asyncio.Event]]:
    """The app over ``people`` employees, its first page up while listing the whole tab (and
    every search when ``searches_too``) waits for the event it yields: ``(app, pilot,
    listed)``."""
    from benefits_tui.services import queries
    from benefits_tui.services.context import ServiceContext
    from benefits_tui.services.queries import EmployeeFilter, list_ids

    listed = asyncio.Event()

    async def held_list_ids(context: ServiceContext, flt: EmployeeFilter) -> list[int]:
        if searches_too or not flt.search:
            await listed.wait()
        return await list_ids(context, flt)

    # The grid imports its queries when it first runs them (after the first frame): held there.
    monkeypatch.setattr(queries, "list_ids", held_list_ids)
    async with context_for(url, Simulator()) as context:
        await add_people(context, people)
        app = make_app(context)
        async with app.run_test(size=(120, 36)) as pilot:
            table = table_of(app)
            await polled(pilot, lambda: bool(table.ids))
            yield app, pilot, listed


async def test_the_first_page_shows_before_the_whole_tab_and_select_all_covers_the_tab(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RULES §5 (1,000,000 employees): the first page of rows shows while all the tab's IDs
    are listed; `a` typed meanwhile ticks the whole tab once it is in."""
    async with whole_tab_held(sqlite_url, monkeypatch, 150, searches_too=True) as held:
        app, pilot, listed = held
        table = table_of(app)
        assert not table.loaded and "E000001" in screen_text(app)
        assert len(table.ids) == 100  # the first page only
        await pilot.press("a")
        listed.set()
        await settle(pilot)
        assert table.loaded and len(table.ids) == 150
        assert table.ticks.count == 150


async def test_a_search_does_not_wait_for_the_whole_tab(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RULES §5 (1,000,000 employees): a search typed while the whole tab is still being
    listed shows its rows at once; the whole list is not waited for."""
    async with whole_tab_held(sqlite_url, monkeypatch, 120, searches_too=False) as held:
        app, pilot, listed = held
        table = table_of(app)
        assert not table.loaded  # the first page; the whole tab is still being listed
        await pilot.press("slash", *"e000077")
        await polled(pilot, lambda: table.loaded)
        assert table.loaded and len(table.ids) == 1
        assert "E000077" in screen_text(app)
        listed.set()
        await settle(pilot)
        assert len(table.ids) == 1  # the abandoned whole list changed nothing


async def test_enter_typed_before_the_first_rows_opens_the_first_row(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`enter` pressed before a tab's rows are on screen is not lost (RULES §3): it opens the
    row that is highlighted once they are."""
    from benefits_tui.services import queries
    from benefits_tui.services.context import ServiceContext
    from benefits_tui.services.queries import EmployeeFilter, first_page_ids, list_ids

    shown = asyncio.Event()

    async def held_first_page(context: ServiceContext, flt: EmployeeFilter, n: int) -> list[int]:
        await shown.wait()
        return await first_page_ids(context, flt, n)

    async def held_list(context: ServiceContext, flt: EmployeeFilter) -> list[int]:
        await shown.wait()
        return await list_ids(context, flt)

    monkeypatch.setattr(queries, "first_page_ids", held_first_page)
    monkeypatch.setattr(queries, "list_ids", held_list)
    async with context_for(sqlite_url, Simulator()) as context:
        await add_people(context, 3)
        app = make_app(context)
        async with app.run_test(size=(120, 36)) as pilot:
            table = table_of(app)
            await pilot.pause(0.05)
            assert not table.ids  # nothing on screen yet
            await pilot.press("enter")
            await pilot.pause(0.05)
            shown.set()
            await polled(pilot, lambda: isinstance(app.focused, DetailPane))
            assert isinstance(app.focused, DetailPane)
            assert table.highlighted_id == table.ids[0]
            # The whole tab is still being listed: let it end before the app and the database
            # close (leaving with it in flight once hung this test's teardown).
            await settle(pilot)
            assert table.loaded and table.highlighted_id == table.ids[0]


async def test_no_listing_outlives_the_app(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quitting while a tab is still being listed ends that query before the database closes:
    a query left running would close its session on a connection pulled from under it, and
    wait for ever (the app's exit with it)."""
    async with whole_tab_held(sqlite_url, monkeypatch, 150, searches_too=False) as held:
        app, _pilot, listed = held
        assert not table_of(app).loaded  # the whole tab is still being listed
        listed.set()  # its query starts as the app closes
    leftovers = [task for task in asyncio.all_tasks() if "held_list_ids" in repr(task.get_coro())]
    assert leftovers == []
