"""The employee grid on Textual's Line API: only the rows on screen are fetched and drawn.

Holds the ordered IDs of the whole filter (cheap ints from ``list_ids``), a cache of the rows
fetched for the window on screen, the cursor, and the ticks
(:class:`~benefits_tui.app.selection.Ticks`).
The grid is the one owner of its data: :meth:`EmployeeTable.load` fetches the filter's IDs
with the rows of the window, and scrolling fetches the rows that come into view.
Line 0 is the header, whose checkbox is the select-all toggle; line ``1 + i`` shows
``ids[scroll_y + i]``. Ticking a row redraws one line; ticking all flips a flag.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from benefits_tui.app.bindings import TABLE_BINDINGS
from benefits_tui.app.host import host_of
from benefits_tui.app.messages import RowActivated, RowHighlighted, TicksChanged
from benefits_tui.app.selection import Ticks, TickState
from benefits_tui.app.text import clean
from benefits_tui.app.typeahead import accept_keys, hold_keys
from benefits_tui.domain.states import SyncState
from benefits_tui.domain.wording import plural

# Plain data only: the queries (SQLAlchemy) are imported when first used, after the first frame
# (RULES §5; see services.first_page).
from benefits_tui.services.first_page import FIRST_PAGE
from benefits_tui.services.grid import EmployeeFilter, EmployeeRow

MARGIN = 60  # rows fetched beyond the window, so scrolling rarely shows placeholders
CACHE_LIMIT = 4000


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int  # minimum (and fixed width when flex == 0)
    flex: int = 0
    limit: int = 0  # maximum width of a flex column (0 = none)
    short: str = ""  # title when the column is at its minimum width


STATUS_TITLES = {
    SyncState.IN_PROGRESS: "Phase",
    SyncState.FAILED: "Reason",
}


def layout_columns(width: int, state: SyncState | None) -> list[tuple[Column, int]]:
    """Columns that fit in ``width`` cells, with their widths (one space between).

    The phase / reason column matters most where it exists; then name, email, level;
    the department goes first when space is short.
    """
    status = state in STATUS_TITLES
    columns = [
        Column("tick", "", 1),
        Column("number", "Number", 7),
        Column("name", "Name", 14, flex=2, limit=30),
        Column("email", "Email", 16, flex=3, limit=40),
        Column("department", "Department", 16, limit=16),
        Column("level", "Benefits Level", 14),
    ]
    if status:
        columns.append(Column("status", STATUS_TITLES[state], 24, flex=5))  # type: ignore[index]

    def needed(cols: list[Column]) -> int:
        return sum(c.width for c in cols) + len(cols) - 1

    if needed(columns) + (30 if status else 10) > width:
        short = {"department": ("Dept", 11), "level": ("Level", 9)}
        columns = [
            Column(c.key, short[c.key][0], short[c.key][1]) if c.key in short else c
            for c in columns
        ]
    if status and width < 120:
        columns = [c for c in columns if c.key != "department"]
    for drop in ("department", "email", "level"):
        if needed(columns) <= width:
            break
        columns = [c for c in columns if c.key != drop]
    spare = max(0, width - needed(columns))
    widths = {c.key: c.width for c in columns}
    # Hand out the spare cells to flex columns by weight, respecting their limits.
    while spare > 0:
        growable = [c for c in columns if c.flex and (not c.limit or widths[c.key] < c.limit)]
        if not growable:
            break
        weight = sum(c.flex for c in growable)
        given = 0
        for c in growable:
            share = max(1, spare * c.flex // weight)
            if c.limit:
                share = min(share, c.limit - widths[c.key])
            share = min(share, spare - given)
            widths[c.key] += share
            given += share
            if given >= spare:
                break
        if given == 0:
            break
        spare -= given
    if spare > 0 and "department" in widths:
        widths["department"] += min(spare, 8)
    return [(c, widths[c.key]) for c in columns]


def fit(text: str, width: int) -> str:
    """Crop (with an ellipsis) or pad ``text`` to exactly ``width`` cells."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


class EmployeeTable(ScrollView, can_focus=True):
    """A virtual grid of employees with a checkbox column and a select-all header."""

    BINDINGS = TABLE_BINDINGS

    COMPONENT_CLASSES = {
        "employee-table--header",
        "employee-table--cursor",
        "employee-table--cursor-blurred",
        "employee-table--ticked",
        "employee-table--muted",
        "employee-table--reason",
        "employee-table--stuck",
    }

    DEFAULT_CSS = """
    EmployeeTable {
        overflow-x: hidden;
        overflow-y: auto;
        background: $surface;
        & > .employee-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .employee-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .employee-table--cursor-blurred { background: $block-cursor-blurred-background; }
        & > .employee-table--ticked { color: $accent; text-style: bold; }
        & > .employee-table--muted { color: $text-muted; }
        & > .employee-table--reason { color: $text-error; }
        & > .employee-table--stuck { color: $text-warning; text-style: bold; }
    }
    """

    def __init__(
        self, state: SyncState, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.state = state
        self.search = ""
        self.shown_search = ""  # the search ``ids`` answer (``search`` may be ahead of it)
        self._toggle_all_when_loaded = False
        self._activate_when_shown = False  # `enter` typed before the first rows were in
        self._keys_wait_for_rows = False  # see hold_keys_until_rows
        self.ids: list[int] = []
        self.ticks = Ticks()
        self.cursor = 0
        self.loaded = False  # IDs fetched at least once
        self.stale = True  # IDs need reloading (data changed while the tab was hidden)
        self._rows: dict[int, tuple[int, EmployeeRow | None]] = {}
        self._generation = 0
        self._fetching = False
        self._want_fetch = False
        self._loading = False
        self._load_again = False
        self._asked_again = asyncio.Event()  # a load asked for while one runs
        # Listings still running (a search may have left one unread): ended before the
        # database closes (end_listings).
        self._listings: set[asyncio.Future[list[int]]] = set()
        self._highlighted: int | None = None
        self._anchor: int | None = None

    # ------------------------------------------------------------------ data
    @property
    def filter(self) -> EmployeeFilter:
        return EmployeeFilter(self.state, self.search)

    @property
    def highlighted_id(self) -> int | None:
        return self.ids[self.cursor] if 0 <= self.cursor < len(self.ids) else None

    def row(self, employee_id: int) -> EmployeeRow | None:
        cached = self._rows.get(employee_id)
        return cached[1] if cached else None

    def _cursor_for(self, ids: list[int], reset_cursor: bool) -> int:
        """Where the cursor lands when the filter becomes ``ids``: on the same employee if kept."""
        previous = self.highlighted_id
        if reset_cursor or previous is None:
            return 0
        try:
            return ids.index(previous)
        except ValueError:
            return min(self.cursor, max(0, len(ids) - 1))

    async def load(self, *, reset_cursor: bool = False) -> None:
        """Fetch the filter's IDs and the rows the new filter shows first, then show them.

        A call while a load runs is folded into it (the running load goes round once more), so
        a burst of changes costs one or two queries, not one per change.
        """
        if self._loading:
            self._load_again = True
            self._asked_again.set()
            return
        self._loading = True
        from benefits_tui.services.queries import fetch_rows, list_ids

        services = host_of(self).services
        try:
            if not self.loaded and not self.search:
                await self._show_first_page()
            while True:
                self._load_again = False
                search = self.search
                data_changed = self.stale  # not a keystroke in the search: people may have moved
                listed = await self._listed()
                if listed is None:  # the search changed meanwhile: list the new one
                    reset_cursor = True
                    continue
                ids = listed
                if data_changed and search and self.ticks.has_exceptions:
                    # Ticked employees may have left the tab, which the search cannot show:
                    # the whole tab says who is still here (RULES §3; see selection.py).
                    tab = await list_ids(services, EmployeeFilter(self.state, ""))
                    self._say_dropped(self.ticks.keep_members(tab))
                if self.search != search:
                    reset_cursor = True
                    continue
                # The rows the new filter shows first, so that one frame paints them.
                rows = await fetch_rows(services, self.window_for(ids, reset_cursor=reset_cursor))
                if self.search != search:
                    reset_cursor = True
                    continue
                self.set_ids(ids, reset_cursor=reset_cursor, rows=rows)
                if not self._load_again:
                    break
                reset_cursor = False
        finally:
            self._loading = False
            self._rows_shown()  # (or none: a failed load does not keep the keyboard)

    async def _listed(self) -> list[int] | None:
        """The filter's IDs; None when the search changes before they are in.

        Listing a whole tab of 1,000,000 takes a second or more (RULES §5): a search typed
        meanwhile does not wait for it. The abandoned query finishes on its own connection,
        its answer unread.
        """
        from benefits_tui.services.queries import list_ids

        search = self.search
        listing = asyncio.ensure_future(list_ids(host_of(self).services, self.filter))
        self._listings.add(listing)
        listing.add_done_callback(self._forget)
        while not listing.done():
            self._asked_again.clear()
            asked = asyncio.ensure_future(self._asked_again.wait())
            try:
                await asyncio.wait({listing, asked}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                asked.cancel()
            if not listing.done() and self.search != search:
                return None  # abandoned: it finishes unread (the app's close waits for it)
        return listing.result()

    def _forget(self, listing: asyncio.Future[list[int]]) -> None:
        self._listings.discard(listing)
        if not listing.cancelled():
            listing.exception()  # read, so that a failure of an unread listing is not logged

    async def end_listings(self, seconds: float) -> None:
        """Wait for the listings still running to end (``seconds`` at most).

        They are left to finish, not cancelled: a query cut off in the driver's thread can
        leave its session's close waiting for ever once the database closes. The database must
        not close under a running one either, for the same reason.
        """
        running = set(self._listings)
        if running:
            await asyncio.wait(running, timeout=seconds)

    async def _show_first_page(self) -> None:
        """Paint the first screenful before the whole tab's IDs are in (RULES §5: at
        1,000,000 employees listing them takes seconds, the first page milliseconds).

        The grid is not ``loaded`` until the whole list is; select-all ticks the whole tab
        (its IDs applied when they are in).
        """
        from benefits_tui.services.queries import fetch_rows, first_page_ids

        services = host_of(self).services
        ids = await first_page_ids(services, self.filter, max(self.page_size + 1, FIRST_PAGE))
        if not ids or self.loaded or self.search:
            return
        rows = await fetch_rows(services, ids)
        if self.loaded or self.search:
            return
        self._show_page(ids, rows)

    def show_preview(self, ids: list[int], rows: Sequence[EmployeeRow]) -> None:
        """The first page read before the services opened (``services.first_page``), drawn
        as :meth:`_show_first_page` draws it: not ``loaded``, the first load follows."""
        if not self.loaded and not self.search and ids:
            self._show_page(ids, rows)

    def _show_page(self, ids: list[int], rows: Sequence[EmployeeRow]) -> None:
        self.ids = ids
        self.cursor = 0
        for row in rows:
            self._rows[row.id] = (self._generation, row)
        self._update_virtual_size()
        self.refresh()
        self._activate_if_asked()
        self._rows_shown()

    def hold_keys_until_rows(self) -> None:
        """The screen holds the keys typed from now until this tab's first rows are shown
        (`4 down e` opens the tab's second employee; see app/typeahead.py)."""
        self._keys_wait_for_rows = True
        hold_keys(self.screen)

    def _rows_shown(self) -> None:
        """Let in the keys that waited for this tab's first rows (:meth:`hold_keys_until_rows`):
        its first page is enough (a search need not wait for the whole list, RULES §5); an
        ``a`` among them waits for the list (:meth:`action_toggle_all`)."""
        if self._keys_wait_for_rows:
            self._keys_wait_for_rows = False
            if not self._toggle_all_when_loaded:  # a select-all waiting lets them in itself
                accept_keys(self.screen)

    def request_load(self, *, reset_cursor: bool = False) -> None:
        """:meth:`load` in a worker."""
        self.run_worker(self.load(reset_cursor=reset_cursor), group="load", exit_on_error=False)

    def window_for(self, ids: list[int], *, reset_cursor: bool = False) -> list[int]:
        """The IDs that can be on screen once ``set_ids(ids)`` runs (wherever the cursor scrolls).

        Fetching their rows first and handing them to :meth:`set_ids` paints the new filter in
        one frame, instead of a frame of old rows while the window is fetched.
        """
        cursor = self._cursor_for(ids, reset_cursor)
        page = self.page_size
        return ids[max(0, cursor - page - 1) : cursor + page + 1]

    def set_ids(
        self,
        ids: list[int],
        *,
        reset_cursor: bool = False,
        rows: Sequence[EmployeeRow] | None = None,
    ) -> None:
        """The filter now matches ``ids`` (in order); rows on screen are fetched again.

        ``rows``: rows just fetched for (part of) the new window (see :meth:`window_for`).
        """
        self.cursor = self._cursor_for(ids, reset_cursor)
        self.ids = ids
        self.shown_search = self.search
        self.loaded = True
        self.stale = False
        self._say_dropped(self.ticks.show(ids, whole_tab=not self.shown_search))
        self.invalidate_rows()
        if rows is not None:
            for row in rows:
                self._rows[row.id] = (self._generation, row)
        self._update_virtual_size()
        self._scroll_cursor_into_view()
        self.refresh()
        self._announce_highlight()
        self.post_message(TicksChanged(self.ticks.count))
        self._rows_shown()
        if self._toggle_all_when_loaded and self.search == self.shown_search:
            self._toggle_all_when_loaded = False
            self.action_toggle_all()
            accept_keys(self.screen)  # the keys typed after `a` now act on what it ticked
        if self.search == self.shown_search:
            if not ids:  # nothing to open: the key is spent
                self._activate_when_shown = False
            self._activate_if_asked()

    def _say_dropped(self, dropped: int) -> None:
        """Ticks never vanish silently: the count went down because people left the tab."""
        if dropped:
            self.notify(
                f"{plural(dropped, 'ticked employee')} left {self.state.label} (changed "
                f"meanwhile) and {'is' if dropped == 1 else 'are'} no longer ticked",
                severity="warning",
                markup=False,
            )

    def invalidate_rows(self) -> None:
        """Rows on screen are refetched (old values stay visible until then)."""
        self._generation += 1
        if len(self._rows) > CACHE_LIMIT:
            self._rows.clear()
        self.refresh()

    def _update_virtual_size(self) -> None:
        width = max(1, self.scrollable_content_region.width)
        self.virtual_size = Size(width, len(self.ids) + 1)

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()
        self._scroll_cursor_into_view()

    def _request_rows(self) -> None:
        if host_of(self).services is None:  # the first frame's preview: rows come with the load
            return
        if self._fetching:
            self._want_fetch = True
            return
        top = max(0, int(self.scroll_y) - MARGIN)
        bottom = min(len(self.ids), int(self.scroll_y) + self.page_size + 1 + MARGIN)
        window = [
            i
            for i in self.ids[top:bottom]
            if (cached := self._rows.get(i)) is None or cached[0] != self._generation
        ]
        if not window:
            return
        self._fetching = True
        self.run_worker(self._fetch(window, self._generation), group="rows", exit_on_error=False)

    async def _fetch(self, window: list[int], generation: int) -> None:
        from benefits_tui.services.queries import fetch_rows

        try:
            rows = await fetch_rows(host_of(self).services, window)
            found = {row.id: row for row in rows}
            for employee_id in window:
                self._rows[employee_id] = (generation, found.get(employee_id))
        finally:
            self._fetching = False
        self.refresh()
        if self._want_fetch or generation != self._generation:
            self._want_fetch = False
            self.call_later(self._request_rows)

    # ------------------------------------------------------------------ rendering
    @property
    def page_size(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        base = self.rich_style
        columns = layout_columns(width, self.state)
        if y == 0:
            return self._render_header(columns, width, base)
        index = int(self.scroll_y) + y - 1
        if index >= len(self.ids):
            if not self.ids and y == 1 and self.loaded:
                text = "  No employees here" + (" match this search" if self.search else "")
                return Strip(
                    [
                        Segment(
                            fit(text, width),
                            base + self.get_component_rich_style("employee-table--muted"),
                        )
                    ]
                )
            return Strip.blank(width, base)
        employee_id = self.ids[index]
        cached = self._rows.get(employee_id)
        if cached is None or cached[0] != self._generation:
            self.call_later(self._request_rows)
        row = cached[1] if cached else None
        return self._render_row(columns, width, base, index, employee_id, row)

    def _render_header(self, columns: list[tuple[Column, int]], width: int, base: Style) -> Strip:
        style = base + self.get_component_rich_style("employee-table--header")
        segments: list[Segment] = []
        for n, (column, cell_width) in enumerate(columns):
            if n:
                segments.append(Segment(" ", style))
            if column.key == "tick":
                state = self.ticks.state
                tick_style = (
                    style + self.get_component_rich_style("employee-table--ticked")
                    if state is not TickState.NONE
                    else style
                )
                segments.append(Segment(state.value, tick_style + Style(meta={"toggle_all": True})))
            else:
                segments.append(Segment(fit(column.title, cell_width), style))
        return Strip(segments).adjust_cell_length(width, style)

    def _render_row(
        self,
        columns: list[tuple[Column, int]],
        width: int,
        base: Style,
        index: int,
        employee_id: int,
        row: EmployeeRow | None,
    ) -> Strip:
        style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style(
                "employee-table--cursor" if self.has_focus else "employee-table--cursor-blurred"
            )
        ticked = self.ticks.is_ticked(employee_id)
        segments: list[Segment] = []
        for n, (column, cell_width) in enumerate(columns):
            if n:
                segments.append(Segment(" ", style))
            cell_style = style
            if column.key == "tick":
                text = "☑" if ticked else "☐"
                if ticked:
                    cell_style = style + self._foreground("employee-table--ticked")
            elif row is None:
                text = "…" if column.key == "number" else ""
            else:
                text, extra = self._cell(column.key, row)
                if extra:
                    cell_style = style + self._foreground(extra)
            segments.append(Segment(fit(text, cell_width), cell_style))
        return Strip(segments).adjust_cell_length(width, style)

    def _foreground(self, component: str) -> Style:
        """A component's colour and emphasis without its background (keeps the cursor bar whole)."""
        style = self.get_component_rich_style(component)
        return Style(color=style.color, bold=style.bold, italic=style.italic)

    def _cell(self, key: str, row: EmployeeRow) -> tuple[str, str]:
        if key == "number":
            return clean(row.employee_number), ""
        if key == "name":
            if row.leave_date is not None:  # leavers are marked in every grid (RULES §3)
                return "(leaver) " + clean(row.name), "employee-table--muted"
            return clean(row.name), ""
        if key == "email":
            return (clean(row.email), "") if row.email else ("(no email)", "employee-table--muted")
        if key == "department":
            return clean(row.department), ""
        if key == "level":
            return (
                (clean(row.benefit_level), "")
                if row.benefit_level
                else ("—", "employee-table--muted")
            )
        if key == "status":
            if row.stuck:
                return "⚠ stuck: " + clean(row.status_text), "employee-table--stuck"
            if row.state is SyncState.FAILED:
                # The reason itself gets the narrow column; who rejected it ("HR rejected: ")
                # is in the detail pane, with the reason in full.
                text = row.status_text
                for who in ("HR rejected: ", "Benefits rejected: "):
                    text = text.removeprefix(who)
                return clean(text), "employee-table--reason"
            if row.state is not self.state:
                return f"now {row.state.label}", "employee-table--muted"
            return clean(row.status_text), ""
        return "", ""

    # ------------------------------------------------------------------ cursor
    def move_cursor(self, index: int) -> None:
        if not self.ids:
            return
        index = max(0, min(index, len(self.ids) - 1))
        if index == self.cursor:
            return
        old = self.cursor
        self.cursor = index
        self._refresh_index(old)
        self._refresh_index(index)
        self._scroll_cursor_into_view()
        self._announce_highlight()

    def _refresh_index(self, index: int) -> None:
        y = index - int(self.scroll_y) + 1
        if 1 <= y < self.size.height:
            self._refresh_screen_line(y)

    def _refresh_screen_line(self, y: int) -> None:
        """Redraw one line of the widget as seen (0 = the header)."""
        self.refresh(Region(0, y, self.size.width, 1))

    def _scroll_cursor_into_view(self) -> None:
        top = int(self.scroll_y)
        page = self.page_size
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + page:
            self.scroll_to(y=self.cursor - page + 1, animate=False)

    def _announce_highlight(self) -> None:
        current = self.highlighted_id
        if current != self._highlighted:
            self._highlighted = current
            self.post_message(RowHighlighted(current))

    def on_focus(self) -> None:
        self._refresh_index(self.cursor)

    def on_blur(self) -> None:
        self._refresh_index(self.cursor)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor - self.page_size)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor + self.page_size)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self.ids) - 1)

    def action_activate(self) -> None:
        if (current := self.highlighted_id) is not None:
            self.post_message(RowActivated(current))
        elif not self.loaded or self.search != self.shown_search:
            # `enter` typed right after switching tab or searching, before any row is on
            # screen, means the row that will be highlighted: no keystroke is lost (RULES §3).
            self._activate_when_shown = True

    def _activate_if_asked(self) -> None:
        if self._activate_when_shown and self.ids:
            self._activate_when_shown = False
            self.action_activate()

    # ------------------------------------------------------------------ ticks
    def _ticks_changed(self) -> None:
        self._refresh_screen_line(0)  # the header toggle
        self.post_message(TicksChanged(self.ticks.count))

    def action_tick(self) -> None:
        current = self.highlighted_id
        if current is None:
            return
        self.ticks.toggle(current)
        self._anchor = self.cursor
        self._refresh_index(self.cursor)
        self._ticks_changed()

    def _tick_step(self, step: int) -> None:
        current = self.highlighted_id
        if current is None:
            return
        # Extend the range: tick the row under the cursor, then move and tick the next.
        self.ticks.mark(current, True)
        self._refresh_index(self.cursor)
        self.move_cursor(self.cursor + step)
        if (after := self.highlighted_id) is not None:
            self.ticks.mark(after, True)
            self._refresh_index(self.cursor)
        self._ticks_changed()

    def action_tick_down(self) -> None:
        self._tick_step(1)

    def action_tick_up(self) -> None:
        self._tick_step(-1)

    @property
    def holds_keys(self) -> bool:
        """A select-all waits for its search's rows, or a first visit for the tab's first
        rows (the keys typed after them wait too)."""
        return self._toggle_all_when_loaded or self._keys_wait_for_rows

    def action_toggle_all(self) -> None:
        if self.search != self.shown_search or not self.loaded:
            # `a` typed right after a search (`/smith enter a`) means that search's rows, not
            # the rows still shown from before: it applies once they are loaded, and the keys
            # typed after it wait for it (`/smith enter a s` confirms the search's rows). So
            # does `a` while only the tab's first page is in (`4 a s`): that cannot count the tab.
            self._toggle_all_when_loaded = True
            hold_keys(self.screen)
            listing = self._loading and self.search == self.shown_search
            if not listing and host_of(self).services is not None:
                self.request_load(reset_cursor=True)
            return
        self.ticks.toggle_all(whole_tab=not self.shown_search)
        self.refresh()
        self._ticks_changed()

    def clear_ticks(self) -> None:
        self.ticks.clear()
        self.refresh()
        self._ticks_changed()

    # ------------------------------------------------------------------ mouse
    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        event.stop()
        self.focus()
        if offset.y == 0:
            if offset.x <= 1:
                self.action_toggle_all()
            return
        index = int(self.scroll_y) + offset.y - 1
        if index >= len(self.ids):
            return
        self.move_cursor(index)
        if offset.x <= 1:
            self.action_tick()
        elif event.chain >= 2:
            self.action_activate()
