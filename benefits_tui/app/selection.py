"""The ticks of one tab: a set of employee IDs, or "every employee of the tab" minus exceptions.

Ticks belong to employees, not to a search (RULES §3): changing or clearing the search keeps
them, so a selection can be built from several searches; only an explicit untick, the header
toggle on an all-ticked filter, or a completed action clears them.

A tick is "this employee, in this tab": the count and every action (Sync, Level) cover only
employees the tab holds now. One who leaves the tab while ticked (a colleague synced them, the
platform answered, they left the company) is no longer ticked, whether a search is on or not:
the action the tick was for no longer applies to them from here, and "3 ticked" must mean the
3 that Confirm Sync will send. Should they come back later (a sync that fails), they come back
unticked: their state changed under the user, who is told when ticks go this way.

Cheap at 100,000 rows: ticking the whole tab is a flag, not 100,000 set insertions, and the
action sends a predicate (:meth:`Selection.all_in`) rather than a list of IDs. Ticking all in a
search adds that search's IDs (already in memory: the grid holds them).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from benefits_tui.services.grid import EmployeeFilter, Selection


class TickState(Enum):
    """The header toggle: ☐ none · ▣ some · ☑ all in the current filter."""

    NONE = "☐"
    SOME = "▣"
    ALL = "☑"


class Ticks:
    """Which employees of a tab are ticked, and how many of those the current filter shows."""

    def __init__(self) -> None:
        self.all = False  # every employee of the tab, minus ``excluded``
        self.ids: set[int] = set()  # ticked (when not ``all``)
        self.excluded: set[int] = set()  # unticked exceptions (when ``all``)
        self.tab_total = 0  # employees in the tab (all searches)
        self._shown: Sequence[int] = ()  # the current filter's IDs
        self._shown_ticked = 0

    # ------------------------------------------------------------------ reading
    @property
    def count(self) -> int:
        """Ticked employees in the tab, whatever the search."""
        if self.all:
            return max(0, self.tab_total - len(self.excluded))
        return len(self.ids)

    @property
    def shown_count(self) -> int:
        """Ticked employees the current filter shows."""
        return self._shown_ticked

    @property
    def state(self) -> TickState:
        """The header toggle, for the current filter."""
        if self._shown_ticked == 0:
            return TickState.NONE
        if self._shown_ticked >= len(self._shown):
            return TickState.ALL
        return TickState.SOME

    def is_ticked(self, employee_id: int) -> bool:
        if self.all:
            return employee_id not in self.excluded
        return employee_id in self.ids

    def selection(self, state_filter: EmployeeFilter) -> Selection | None:
        """What an action applies to (``state_filter``: the tab, without its search), or None
        when nothing is ticked."""
        if self.count == 0:
            return None
        if self.all:
            return Selection.all_in(EmployeeFilter(state_filter.state, ""), self.excluded)
        return Selection.of(self.ids)

    # ------------------------------------------------------------------ the filter
    @property
    def has_exceptions(self) -> bool:
        """Whether some IDs are held (ticked, or unticked from "all"): they may leave the tab."""
        return bool(self.ids or self.excluded)

    def show(self, ids: Sequence[int], *, whole_tab: bool) -> int:
        """The grid now shows ``ids`` (``whole_tab``: no search, so these are the tab).

        Returns how many ticked employees left the tab (and are no longer ticked)."""
        self._shown = ids
        dropped = self.keep_members(ids) if whole_tab else 0
        self._shown_ticked = self._count_shown()
        return dropped

    def keep_members(self, tab: Sequence[int]) -> int:
        """``tab`` is every employee the tab holds now (whatever the search): ticks of those who
        left it go (see the module docstring). Returns how many ticked employees left."""
        self.tab_total = len(tab)
        dropped = 0
        if self.ids or self.excluded:
            members = set(tab)
            before = len(self.ids)
            self.ids &= members
            self.excluded &= members
            dropped = before - len(self.ids)
        self._shown_ticked = self._count_shown()
        return dropped

    def _count_shown(self) -> int:
        if self.all:
            if not self.excluded:
                return len(self._shown)
            return len(self._shown) - sum(1 for i in self._shown if i in self.excluded)
        if not self.ids:
            return 0
        return sum(1 for i in self._shown if i in self.ids)

    # ------------------------------------------------------------------ changing
    def toggle(self, employee_id: int) -> bool:
        """Flip one row of the current filter; returns its new state."""
        ticked = not self.is_ticked(employee_id)
        self.mark(employee_id, ticked)
        return ticked

    def mark(self, employee_id: int, ticked: bool) -> None:
        """Tick or untick one row of the current filter."""
        if self.is_ticked(employee_id) == ticked:
            return
        if self.all:
            (self.excluded.discard if ticked else self.excluded.add)(employee_id)
        else:
            (self.ids.add if ticked else self.ids.discard)(employee_id)
        self._shown_ticked += 1 if ticked else -1

    def toggle_all(self, *, whole_tab: bool) -> TickState:
        """The header toggle: tick every row of the current filter, or untick them all if all
        are ticked (``whole_tab``: the filter has no search). Ticks outside the filter stay."""
        if self.state is TickState.ALL:
            if whole_tab:
                self.clear()
            else:
                shown = set(self._shown)
                if self.all:
                    self.excluded |= shown
                else:
                    self.ids -= shown
                self._shown_ticked = 0
            return self.state
        if whole_tab:
            self.all = True
            self.ids.clear()
            self.excluded.clear()
        elif self.all:
            self.excluded.difference_update(self._shown)
        else:
            self.ids.update(self._shown)
        self._shown_ticked = len(self._shown)
        return self.state

    def clear(self) -> None:
        self.all = False
        self.ids.clear()
        self.excluded.clear()
        self._shown_ticked = 0
