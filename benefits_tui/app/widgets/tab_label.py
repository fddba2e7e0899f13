"""Tab titles with live counts: ``Not syncing (1,234)``, ``In progress (12, 3 stuck)``, and
``Failed (3 of 40)`` while a search filters the tab."""

from __future__ import annotations

from textual.content import Content

from benefits_tui.domain.states import SyncState


def tab_label(
    state: SyncState, count: int | None, stuck: int = 0, *, shown: int | None = None
) -> Content:
    """The title of a state's tab (counts are ours, not user text); ``shown``: how many the
    tab's search matches, when it has one (``Failed (3 of 40)``: a filtered tab says so)."""
    if count is None:
        return Content(state.label)
    total = f"{count:,}" if shown is None else f"{shown:,} of {count:,}"
    if state is SyncState.IN_PROGRESS and stuck:
        return Content.assemble(
            f"{state.label} ({total}, ", (f"⚠ {stuck:,} stuck", "$text-warning"), ")"
        )
    return Content(f"{state.label} ({total})")
