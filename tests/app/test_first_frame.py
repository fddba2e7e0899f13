"""The app's first frame from the standard library's reader (``BenefitsApp(preview=...)``,
RULES §5): the first rows are on screen before the settings and services load, and keys typed
meanwhile do, once the services are open, what they do when typed after (RULES §3)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot

from benefits_tui.app.app import BenefitsApp
from benefits_tui.app.screens.confirm_sync import ConfirmSync
from benefits_tui.app.widgets.detail_pane import DetailPane
from benefits_tui.app.widgets.search_bar import SearchBar
from benefits_tui.cli.app_cmd import first_page_preview
from benefits_tui.config import Settings
from benefits_tui.domain.states import SyncState
from tests.app.conftest import main_screen
from tests.conftest import make_settings
from tests.helpers import Simulator, add_people, services, settle

pytestmark = pytest.mark.usefixtures("no_debounce")


def key(name: str) -> events.Key:
    return events.Key(name, name if len(name) == 1 else None)


@asynccontextmanager
async def preview_app(
    url: str, typed: tuple[str, ...] = ()
) -> AsyncIterator[tuple[BenefitsApp, Pilot[Any], dict[str, Any]]]:
    """The app as ``benefits-tui`` opens it on a SQLite file: the preview first; ``typed``
    keys arrive while the settings load (after the first frame, before the services). Yields
    ``(app, pilot, seen)``, ``seen`` holding the grid's first line when the keys were typed."""
    seen: dict[str, Any] = {}
    preview = first_page_preview({"database_url": url, "user": "hr.tester"})
    assert preview is not None

    def loader() -> Settings:
        screen = main_screen(app)
        seen["services"] = app.services
        seen["first_line"] = screen.table.render_line(1).text
        for name in typed:
            app.post_message(key(name))
        return make_settings(url)

    app = BenefitsApp(
        preview=preview,
        settings_loader=loader,
        start_worker=False,
        poll_seconds=None,
        transport=Simulator().transport,
    )
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: bool(main_screen(app).counts))
        await settle(pilot)
        yield app, pilot, seen


async def wait_until(pilot: Pilot[Any], done: Callable[[], bool]) -> None:
    for _ in range(500):
        if done():
            return
        await pilot.pause(0.02)
    raise AssertionError("not reached")


async def test_the_first_rows_are_drawn_before_the_services_open(sqlite_url: str) -> None:
    async with services(sqlite_url) as context:
        await add_people(context, 5)
    async with preview_app(sqlite_url) as (app, _, seen):
        assert seen["services"] is None
        assert "Test1 Person" in seen["first_line"]
        screen = main_screen(app)
        # The app's first screen, not pushed over Textual's default one (drawn once, sooner).
        assert app.screen_stack == [screen]
        assert screen.counts[SyncState.NOT_SYNCING] == 5  # then everything loads as usual
        assert screen.table.loaded and len(screen.table.ids) == 5
        assert app.services is not None


async def test_enter_typed_before_the_services_opens_the_first_row(sqlite_url: str) -> None:
    async with services(sqlite_url) as context:
        await add_people(context, 5)
    async with preview_app(sqlite_url, ("down", "enter")) as (app, pilot, _):
        await wait_until(pilot, lambda: main_screen(app).detail.employee_id is not None)
        screen = main_screen(app)
        assert isinstance(app.focused, DetailPane)
        assert screen.table.cursor == 1
        assert screen.detail.employee_id == screen.table.ids[1]


async def test_a_then_s_typed_before_the_services_confirms_the_whole_tab(
    sqlite_url: str,
) -> None:
    async with services(sqlite_url) as context:
        await add_people(context, 7)
    async with preview_app(sqlite_url, ("a", "s")) as (app, pilot, _):
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmSync))
        assert isinstance(app.screen, ConfirmSync)
        assert app.screen.count == 7


async def test_a_search_typed_before_the_services_lands_in_the_search_box(
    sqlite_url: str,
) -> None:
    async with services(sqlite_url) as context:
        await add_people(context, 12)
    async with preview_app(sqlite_url, ("slash", "t", "e", "s", "t", "1", "1")) as (
        app,
        pilot,
        _,
    ):
        screen = main_screen(app)
        bar = app.focused
        assert isinstance(bar, SearchBar) and bar.value == "test11"
        await wait_until(pilot, lambda: screen.table.shown_search == "test11")
        assert [screen.table.row(i).name for i in screen.table.ids] == ["Test11 Person"]  # type: ignore[union-attr]
