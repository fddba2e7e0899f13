"""The search bar of a tab: name, email or employee number, filtered as you type."""

from __future__ import annotations

from textual.widgets import Input

from benefits_tui.app.bindings import SEARCH_BINDINGS
from benefits_tui.domain.states import SyncState


class SearchBar(Input):
    """A one-line search box; ``escape``, ``enter`` or ``down`` return to the grid."""

    BINDINGS = SEARCH_BINDINGS

    def __init__(self, state: SyncState, *, id: str | None = None) -> None:
        super().__init__(
            placeholder="/ Search name, email or employee number",
            compact=True,
            id=id,
            select_on_focus=False,
        )
        self.state = state
