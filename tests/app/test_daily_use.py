"""The main screen as an HR person uses it all day (RULES §3): what it marks and says."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from benefits_tui.app.app import BenefitsApp
from benefits_tui.app.screens.benefits_management import BenefitsManagementScreen
from benefits_tui.services.employees import record_leaver
from benefits_tui.services.sync.requests import Selection, request_sync
from tests.app.conftest import context_for, launched, make_app
from tests.helpers import Simulator, add_people, piloted, press, screen_text


async def test_leavers_are_marked_in_the_grid(sqlite_url: str, no_debounce: None) -> None:
    async with context_for(sqlite_url, Simulator()) as context:
        ids = await add_people(context, 3)
        await record_leaver(context, ids[1], dt.date(2026, 3, 1), "Resignation")
        app = make_app(context)
        async with piloted(app):
            text = screen_text(app)
            assert "(leaver) Test2 Person" in text
            assert "(leaver) Test1" not in text and "(leaver) Test3" not in text


async def test_quitting_with_syncs_in_progress_says_they_continue(
    sqlite_url: str, no_debounce: None
) -> None:
    async with context_for(sqlite_url, Simulator()) as context:
        ids = await add_people(context, 3)
        await request_sync(context, Selection.of(ids[:2]))
        async with launched(context, (80, 24)) as (app, pilot):
            assert app.quit_message() == (
                "2 employees still In progress: nothing is lost. A running `benefits-tui "
                "worker`, or the next start of benefits-tui, finishes them."
            )
            said: list[object] = []
            exit_app = app.exit

            def exit_saying(*args: Any, **kwargs: Any) -> None:
                said.append(kwargs.get("message"))
                exit_app()

            app.exit = exit_saying  # type: ignore[method-assign]
            await press(pilot, "q")
        assert said == [app.quit_message()]


async def test_a_dialogs_footer_shows_the_dialogs_keys(sqlite_url: str, no_debounce: None) -> None:
    async with context_for(sqlite_url, Simulator()) as context:
        await add_people(context, 2)
        async with launched(context, (80, 24)) as (app, pilot):
            await press(pilot, "s")
            last_line = screen_text(app).splitlines()[-1]
            assert "Cancel" in last_line and "Leaver" not in last_line and "Level" not in last_line


async def test_gender_codes_are_offered_with_their_names(
    sqlite_url: str, no_debounce: None
) -> None:
    from textual.widgets import Select

    async with context_for(sqlite_url, Simulator()) as context:
        await add_people(context, 1)
        async with launched(context, (100, 40)) as (app, pilot):
            await press(pilot, "e")
            select = app.screen.query_one("#input-gender", Select)
            prompts = [str(prompt) for prompt, _ in select._options]
            assert "F - Female" in prompts and "M - Male" in prompts
            assert select.value == "F"
            assert "F - Female" in screen_text(app)


async def test_the_status_line_says_nothing_of_the_worker_until_it_is_known(
    sqlite_url: str, no_debounce: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sync worker starts once the first rows are up; until then the status line said
    "Worker off" (a flash at every start, alarming and untrue): it says nothing of it."""
    said: list[str] = []
    update_status = BenefitsManagementScreen.update_status

    def recording(screen: BenefitsManagementScreen) -> None:
        update_status(screen)
        if screen.tables:
            said.append(screen._activity_text().plain)

    monkeypatch.setattr(BenefitsManagementScreen, "update_status", recording)
    async with context_for(sqlite_url, Simulator()) as context:
        ids = await add_people(context, 2)
        await request_sync(context, Selection.of(ids[:1]))
        app = BenefitsApp(services=context, poll_seconds=None)  # with its sync worker
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(250):  # no settle(): the sync worker never completes
                if "Worker running" in "".join(said):
                    break
                await pilot.pause(0.02)
    assert said[0] == "" and "1 in progress" in said  # before the worker: only the count
    assert not [text for text in said if "Worker off" in text], said
    assert any(text.startswith("Worker running") for text in said), said


async def test_the_employee_forms_sync_line_breaks_between_its_parts_at_80_columns(
    sqlite_url: str, no_debounce: None
) -> None:
    """A failed employee's status and reason filled the line: "Benefits account: not" ended
    it and "linked" began the next. Too long for the screen, each part has a line."""
    async with context_for(sqlite_url, Simulator()) as context:
        ids = await add_people(context, 1, email=None)
        await request_sync(context, Selection.of(ids))  # fails at once: no email
        async with launched(context, (80, 24)) as (app, pilot):
            await press(pilot, "4", "e")
            lines = screen_text(app).splitlines()
            assert lines[1].strip() == "Benefits sync: Failed - HR rejected: no email address"
            assert lines[2].strip() == "Benefits account: not linked"
        async with launched(context, (120, 36)) as (app, pilot):
            await press(pilot, "4", "e")
            line = screen_text(app).splitlines()[1]
            assert "no email address   Benefits account: not linked" in line  # fits: one line
