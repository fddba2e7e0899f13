"""Keys that arrive in one burst (fast typing or typeahead over SSH, a paste, tmux send-keys)
land where the user meant: after "/", in the search box, never on the grid as actions."""

from __future__ import annotations

from textual import events

from benefits_tui.app.screens.confirm_sync import ConfirmSync
from tests.app.conftest import context_for, launched
from tests.app.test_benefits_management import table_of
from tests.helpers import add_people, settle


async def test_a_burst_after_slash_is_typed_into_the_search(
    sqlite_url: str, no_debounce: None
) -> None:
    async with context_for(sqlite_url) as context:
        await add_people(context, 12)
        await add_people(
            context, 1, start=50, forenames="Sam", surname="Quill", email="sq@example.com"
        )
        async with launched(context) as (app, pilot):
            # All at once, as a terminal delivers a burst: nothing is processed in between.
            for key, character in [("slash", "/"), *((c, c) for c in "sam quill")]:
                app.post_message(events.Key(key if key != " " else "space", character))
            await settle(pilot)
            search = app.focused
            assert search is not None and getattr(search, "value", None) == "sam quill"
            assert not isinstance(app.screen, ConfirmSync)  # "s" did not open Sync
            assert table_of(app).ticks.count == 0  # "a" did not tick all
            await settle(pilot)
            assert len(table_of(app).ids) == 1
