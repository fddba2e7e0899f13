"""Tab titles with live counts: ``Not syncing (1,234)``, ``In progress (12, 3 stuck)``."""

from __future__ import annotations

from textual.content import Content

from benefits_tui.domain.states import SyncState


def tab_label(state: SyncState, count: int | None, stuck: int = 0) -> Content:
    """The title of a state's tab (counts are ours, not user text)."""
    if count is None:
        return Content(state.label)
    if state is SyncState.IN_PROGRESS and stuck:
        return Content.assemble(
            f"{state.label} ({count:,}, ", (f"⚠ {stuck:,} stuck", "$text-warning"), ")"
        )
    return Content(f"{state.label} ({count:,})")
