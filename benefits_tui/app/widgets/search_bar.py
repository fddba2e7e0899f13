"""The search bar of a tab: name, email or employee number, filtered as you type."""

from __future__ import annotations

from textual.widgets import Input

from benefits_tui.app.bindings import SEARCH_BINDINGS
from benefits_tui.domain.states import SyncState


class SearchBar(Input):
    """A one-line search box; ``enter`` or ``down`` return to the grid keeping the search,
    ``escape`` clears it and returns."""

    BINDINGS = SEARCH_BINDINGS

    def __init__(self, state: SyncState, *, id: str | None = None) -> None:
        what = (
            "name, email, number or reason"
            if state is SyncState.FAILED
            else ("name, email or employee number")
        )
        super().__init__(
            placeholder=f"/ Search {what}",
            compact=True,
            id=id,
            select_on_focus=False,
        )
        self.state = state

    async def action_clear_and_leave(self) -> None:
        self.clear()
        await self.run_action("screen.focus_table")
