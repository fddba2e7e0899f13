"""The main screen as an HR person uses it all day (RULES §3): what it marks and says."""

from __future__ import annotations

import datetime as dt

from benefits_tui.services.employees import record_leaver
from tests.app.conftest import context_for, make_app, screen_text, settle
from tests.helpers import Simulator, add_people


async def test_leavers_are_marked_in_the_grid(sqlite_url: str, no_debounce: None) -> None:
    async with context_for(sqlite_url, Simulator()) as context:
        ids = await add_people(context, 3)
        await record_leaver(context, ids[1], dt.date(2026, 3, 1), "Resignation")
        app = make_app(context)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            text = screen_text(app)
            assert "(leaver) Test2 Person" in text
            assert "(leaver) Test1" not in text and "(leaver) Test3" not in text
