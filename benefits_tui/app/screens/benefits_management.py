"""Benefits Management (RULES §3): four tabs with live counts, search, ticks, detail, Sync."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Container, Horizontal
from textual.content import Content
from textual.lazy import Lazy
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, ProgressBar, Static, TabbedContent, TabPane
from textual.widgets.tabbed_content import ContentTabs

from benefits_tui.app.bindings import SCREEN_ACTION_OF_KEY, SCREEN_BINDINGS
from benefits_tui.app.commands import BenefitsCommands
from benefits_tui.app.host import AppHost, host_of
from benefits_tui.app.messages import DataChanged, RowActivated, RowHighlighted, TicksChanged
from benefits_tui.app.text import literal
from benefits_tui.app.typeahead import accept_keys, hold_keys
from benefits_tui.app.widgets.detail_pane import DetailPane
from benefits_tui.app.widgets.employee_table import EmployeeTable
from benefits_tui.app.widgets.search_bar import SearchBar
from benefits_tui.app.widgets.tab_label import tab_label
from benefits_tui.domain.errors import one_line
from benefits_tui.domain.states import SyncState
from benefits_tui.domain.wording import plural
from benefits_tui.services.errors import NotFound, ServiceError
from benefits_tui.services.grid import Selection
from benefits_tui.services.permissions import Permission

# Only plain data and the standard library up to the first frame: the queries (SQLAlchemy) are
# imported where used, once the services are open (RULES §5; see services.first_page).
if TYPE_CHECKING:
    from benefits_tui.services.first_page import FirstPage
    from benefits_tui.services.reconcile.summary import LastReconciliation
    from benefits_tui.services.sync.requests import SyncPlan

SYNCABLE = (SyncState.NOT_SYNCING, SyncState.FAILED)
FIRST_TAB = SyncState.NOT_SYNCING  # shown when the screen opens; the others are mounted later
# What each guarded key asks the services' permissions table (RULES §1.10).
GUARDED = {
    "sync": Permission.SYNC,
    "assign_level": Permission.ASSIGN_LEVEL,
    "new_employee": Permission.ADD_EMPLOYEE,
    "leaver": Permission.RECORD_LEAVER,
    "integration": Permission.SEE_INTEGRATION,
}
WIDE = 140  # columns from which the detail pane sits beside the grid
SEARCH_DEBOUNCE = 0.15
DETAIL_DEBOUNCE = 0.08


def drift_status(last: LastReconciliation) -> Content:
    """The status line's word on the last reconciliation: "drift: 3, checked 10:42"."""
    if last.failed_at is not None:
        return Content.styled(
            f"drift check failed {last.failed_at.astimezone():%H:%M}", "$text-error"
        )
    if last.summary is None:
        return Content("")
    total = last.summary.total
    text = f"drift: {total:,}, checked {last.summary.finished_at.astimezone():%H:%M}"
    return Content.styled(text, "$text-warning" if total else "$text-muted")


def breakpoint_class(width: int, breakpoints: list[tuple[int, str]]) -> str:
    """The class ``Screen`` gives a screen ``width`` columns wide: the widest breakpoint it
    reaches."""
    return max((b for b in breakpoints if width >= b[0]), default=(0, ""))[1]


class BenefitsManagementScreen(Screen[None]):
    """The main screen."""

    # Its stylesheet, benefits_management.tcss, is loaded with the app's (BenefitsApp.CSS_PATH).
    BINDINGS = SCREEN_BINDINGS
    COMMANDS = {BenefitsCommands}
    AUTO_FOCUS = None
    # The detail pane sits beside the grid from WIDE columns, under it below (see the .tcss).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE, "-wide")]
    search_debounce = SEARCH_DEBOUNCE
    detail_debounce = DETAIL_DEBOUNCE

    def __init__(self, preview: FirstPage | None = None) -> None:
        # The breakpoint's class from the start: set on the first resize, it would restyle
        # every widget once more before the first frame (RULES §5).
        width = self.app.size.width
        super().__init__(classes=breakpoint_class(width, self.HORIZONTAL_BREAKPOINTS))
        # The first page read before the services opened (services.first_page): drawn at
        # once; keys typed meanwhile wait for services_ready (app/typeahead.py).
        self.preview = preview
        if preview is not None:
            hold_keys(self)
        self.active = FIRST_TAB
        self.counts: dict[SyncState, int] = {}
        self.stuck = 0
        self.tables: dict[SyncState, EmployeeTable] = {}
        self._reloading = False
        self._reload_again = False
        self._search_timer: Timer | None = None
        self._detail_timer: Timer | None = None
        self._detail_generation = 0
        self.activity = ""
        # The batch last sent, while the platform answers: (queued, In progress before it).
        # Not ``self.batch``: that would shadow ``Widget.batch()``, which ``recompose`` uses.
        self.sync_batch: tuple[int, int] | None = None
        self.batch_note = ""

    @property
    def host(self) -> AppHost:
        return host_of(self)

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        who = self.host.services or self.preview
        assert who is not None  # the app gives one or the other
        # Built here, not looked up on mount: a recompose makes new grids and this follows.
        self.tables = {
            state: EmployeeTable(state, id=f"table-{state.value}") for state in SyncState
        }
        with Horizontal(id="title-bar"):
            yield Static(Content.styled("Benefits Management", "bold"), id="title")
            yield Static(Content.assemble(literal(who.actor), f" · {who.role_label}"), id="who")
        with Container(id="body"):
            with TabbedContent(initial=FIRST_TAB.value, id="tabs"):
                for state in SyncState:
                    with TabPane(tab_label(state, None), id=state.value):
                        search = SearchBar(state, id=f"search-{state.value}")
                        if state is FIRST_TAB:
                            yield search
                            yield self.tables[state]
                        else:  # hidden at first: mounted a frame after the first rows
                            yield Lazy(search)
                            yield Lazy(self.tables[state])
            yield DetailPane(id="detail")
        with Horizontal(id="status-bar"):
            yield Static(id="ticked")
            # Shown once a sync is sent (_send): composed after the first frame.
            yield Lazy(ProgressBar(id="batch-progress", show_eta=False, show_percentage=True))
            yield Static(id="activity")
            yield Static(id="drift-line", classes="-empty")
        # The key hints follow a frame after the rows: the footer builds a widget per key, a
        # tenth of the time to the first rows at 100,000 (RULES §5).
        yield Lazy(Footer(compact=True))

    def on_mount(self) -> None:
        self._prepare()

    async def end_listings(self, seconds: float) -> None:
        """End the grids' listings still running, before the database closes."""
        await asyncio.gather(*(table.end_listings(seconds) for table in self.tables.values()))

    async def recompose(self) -> None:
        await super().recompose()
        self._prepare()

    def _prepare(self) -> None:
        """Set up freshly composed widgets and load them."""
        self.query_one(ContentTabs).can_focus = False
        self.active = FIRST_TAB
        self.table.focus()
        self.update_status()
        if self.host.services is None and self.preview is not None:
            self.tables[self.preview.filter.state or self.active].show_preview(
                [row.id for row in self.preview.rows], self.preview.rows
            )
            return
        self.refresh_data()

    def services_ready(self) -> None:
        """The services are open (after a first frame from the preview): load as usual, then
        take the keys typed meanwhile: after the first load, so that they act on the tab
        (``a`` then ``s`` confirms the whole tab, not the first page's highlighted row)."""
        services = self.host.services
        who = Content.assemble(literal(services.actor), f" · {services.role_label}")
        self.query_one("#who", Static).update(who)
        self.refresh_bindings()
        self.refresh_data()  # the keys typed meanwhile are let in once it has run

    @property
    def table(self) -> EmployeeTable:
        return self.tables[self.active]

    @property
    def detail(self) -> DetailPane:
        return self.query_one(DetailPane)

    # ------------------------------------------------------------------ loading
    def refresh_data(self) -> None:
        """Reload counts, the visible grid and the detail pane (other grids when shown)."""
        for table in self.tables.values():
            table.stale = True
        if self._reloading:
            self._reload_again = True
            return
        self._reloading = True
        self.run_worker(self._reload(), group="reload", exit_on_error=False)

    async def _reload(self) -> None:
        try:
            while True:
                self._reload_again = False
                await self.table.load()  # the rows first: the counts are not on their path
                await self._load_counts()
                if self.detail.employee_id is not None:
                    await self._load_detail(self.detail.employee_id, self._detail_generation)
                if not self._reload_again:
                    break
            self.host.freeze_heap()  # after the first load (then a no-op)
        except ServiceError as exc:
            self.notify(one_line(exc), severity="error", markup=False)
        finally:
            self._reloading = False
            if not self.table.holds_keys:  # (a select-all waiting for its rows lets them in)
                accept_keys(self)  # a no-op but after the preview's first load

    async def _load_counts(self) -> None:
        from benefits_tui.services.queries import count_by_state, stuck_count
        from benefits_tui.services.reconcile.store import last_reconciliation

        services = self.host.services
        self.counts = await count_by_state(services)
        self.stuck = await stuck_count(services)
        drift = drift_status(await last_reconciliation(services))
        line = self.query_one("#drift-line", Static)
        line.update(drift)
        line.set_class(not drift.plain, "-empty")  # nothing until a first reconciliation
        for state, table in self.tables.items():
            if table.shown_search:  # the whole tab's size, for "all ticked" across searches
                table.ticks.tab_total = self.counts.get(state, 0)
        self._update_tab_titles()
        if self.sync_batch is not None:
            queued, baseline = self.sync_batch
            done = max(
                0, min(queued, baseline + queued - self.counts.get(SyncState.IN_PROGRESS, 0))
            )
            bar = self.query_one("#batch-progress", ProgressBar)
            bar.update(total=queued, progress=done)
            self.batch_note = f"Batch: {done:,} of {queued:,} answered"
            if done >= queued:
                self.sync_batch = None
                self.set_timer(2.0, self._hide_progress)
        self.update_status()

    def _update_tab_titles(self) -> None:
        """Counts per tab; a filtered tab says so: ``Failed (3 of 40)``."""
        if not self.counts:
            return
        tabs = self.query_one(TabbedContent)
        for state, table in self.tables.items():
            tabs.get_tab(state.value).label = tab_label(
                state,
                self.counts.get(state, 0),
                self.stuck if state is SyncState.IN_PROGRESS else 0,
                shown=len(table.ids) if table.shown_search else None,
            )

    def _hide_progress(self) -> None:
        if self.sync_batch is None:
            self.query_one("#batch-progress").display = False
            self.batch_note = ""
            self.update_status()

    async def _load_detail(self, employee_id: int, generation: int) -> None:
        from benefits_tui.services.queries import employee_detail

        try:
            detail = await employee_detail(self.host.services, employee_id)
        except NotFound:
            if generation == self._detail_generation:
                self.detail.show(None)
            return
        if generation == self._detail_generation and self.table.highlighted_id == employee_id:
            self.detail.show(detail)

    def _schedule_detail(self) -> None:
        if self.host.services is None:  # the preview: services_ready loads it
            return
        self._detail_generation += 1
        if self._detail_timer is not None:
            self._detail_timer.stop()
        employee_id = self.table.highlighted_id
        if employee_id is None:
            self.detail.show(None)
            return
        generation = self._detail_generation
        self._detail_timer = self._later(
            self.detail_debounce,
            lambda: self.run_worker(
                self._load_detail(employee_id, generation), group="detail", exit_on_error=False
            ),
        )

    def _later(self, delay: float, callback: Callable[[], object]) -> Timer | None:
        """Debounce: run ``callback`` after ``delay`` seconds (at once when zero)."""
        if delay <= 0:
            self.call_later(callback)
            return None
        return self.set_timer(delay, callback)

    # ------------------------------------------------------------------ events
    @on(DataChanged)
    def _data_changed(self) -> None:
        self.refresh_data()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane_id = event.pane.id or FIRST_TAB.value
        self.active = SyncState(pane_id)
        table = self.table
        if (table.stale or not table.loaded) and self.host.services is not None:
            if not table.ids:  # a first visit: the keys typed after `4` act on its rows
                table.hold_keys_until_rows()
            table.request_load()  # (before the services: services_ready loads)
        focused = self.focused
        if focused is None or event.pane not in focused.ancestors:
            table.focus()
        self._schedule_detail()
        self.update_status()
        self.refresh_bindings()

    @on(RowHighlighted)
    def _row_highlighted(self, event: RowHighlighted) -> None:
        self._schedule_detail()

    @on(RowActivated)
    def _row_activated(self, event: RowActivated) -> None:
        self.detail.focus()

    @on(TicksChanged)
    def _ticks_changed(self, event: TicksChanged) -> None:
        self.update_status()
        self._update_tab_titles()  # a grid (re)loaded: its filtered count may have changed

    @on(Input.Changed)
    def _search_changed(self, event: Input.Changed) -> None:
        if not isinstance(event.input, SearchBar):
            return
        table = self.tables[event.input.state]
        table.search = event.value  # ticks stay: they belong to employees, not to a search
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self._later(
            self.search_debounce, lambda: table.request_load(reset_cursor=True)
        )

    @on(Input.Submitted)
    def _search_submitted(self, event: Input.Submitted) -> None:
        if isinstance(event.input, SearchBar):
            self.action_focus_table()

    def on_key(self, event: events.Key) -> None:
        """A disabled key (read-only user, wrong tab) says why instead of doing nothing."""
        if not isinstance(self.focused, EmployeeTable):
            return
        action = SCREEN_ACTION_OF_KEY.get(event.key)
        if action is None:
            return
        reason = self.disabled_reason(action)
        if reason:
            event.stop()
            event.prevent_default()
            self.notify(reason, severity="warning", markup=False)

    # ------------------------------------------------------------------ status
    def update_status(self) -> None:
        if not self.tables:
            return
        table = self.table
        ticked = table.ticks.count
        shown = len(table.ids)
        if ticked:
            text = Content.assemble(
                (f"{ticked:,} ticked", "bold $text-accent"), f" · {shown:,} shown"
            )
        else:
            text = Content(f"0 ticked · {shown:,} shown")
        self.query_one("#ticked", Static).update(text)
        self.query_one("#activity", Static).update(self._activity_text())

    def _activity_text(self) -> Content:
        note = self.host.platform_note  # the platform's hold or trouble comes first (§1.3)
        text = self._work_text()
        if note:
            return Content.assemble((note, "bold $text-error"), " · ", text)
        return text

    def _work_text(self) -> Content:
        if self.activity:
            return Content.styled(self.activity, "$text-warning")
        if self.batch_note:
            return Content(self.batch_note)
        in_progress = self.counts.get(SyncState.IN_PROGRESS, 0)
        status = self.host.worker_status
        if in_progress:
            return Content(
                " · ".join(part for part in (status, f"{in_progress:,} in progress") if part)
            )
        return Content.styled(status, "$text-muted")

    def set_activity(self, text: str) -> None:
        self.activity = text
        self.update_status()

    # ------------------------------------------------------------------ action rules
    def disabled_reason(self, action: str) -> str | None:
        """Why ``action`` cannot run now (None: it can)."""
        permission = GUARDED.get(action)
        who = self.host.services or self.preview
        if permission is not None and who is not None and (refused := who.refusal(permission)):
            return refused
        if action == "sync" and self.active not in SYNCABLE:
            return "Sync works from the Not syncing and Failed tabs"
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.tables and self.disabled_reason(action):
            return None  # shown disabled in the footer
        return True

    def run_command(self, action: str) -> None:
        """Run an action from the command palette, saying why when it is disabled."""
        reason = self.disabled_reason(action)
        if reason:
            self.notify(reason, severity="warning", markup=False)
            return
        if action in ("tick", "toggle_all", "clear_ticks"):
            self.table.focus()
            getattr(self.table, "clear_ticks" if action == "clear_ticks" else f"action_{action}")()
            return
        self.run_worker(self.run_action(action), group="command")

    def _target(self) -> tuple[Selection, int] | None:
        """The ticked rows, or the highlighted one (htop's rule)."""
        table = self.table
        selection = table.ticks.selection(table.filter)
        if selection is not None:
            return selection, table.ticks.count
        if (current := table.highlighted_id) is not None:
            return Selection.of([current]), 1
        self.notify("No employee highlighted", severity="warning")
        return None

    # ------------------------------------------------------------------ actions
    def action_show_tab(self, pane_id: str) -> None:
        # Focusing the grid of a hidden pane makes TabbedContent show that pane.
        self.tables[SyncState(pane_id)].focus()

    def action_focus_search(self) -> None:
        # At once, not deferred: the next key (typed fast, or pasted) must land in the box,
        # never on the grid where a letter is an action.
        bar = self.query_one(f"#search-{self.active.value}", SearchBar)
        self.set_focus(bar)
        bar.select_all()  # a new search replaces the old one as it is typed; arrows edit it

    def action_focus_table(self) -> None:
        self.set_focus(self.table)

    def action_focus_detail(self) -> None:
        self.detail.focus()

    def action_refresh(self) -> None:
        self.refresh_data()

    def action_integration(self) -> None:
        if reason := self.disabled_reason("integration"):
            self.notify(reason, severity="warning", markup=False)
            return
        from benefits_tui.app.screens.integration import IntegrationScreen

        self.app.push_screen(IntegrationScreen())

    def action_drift(self) -> None:
        from benefits_tui.app.screens.drift import DriftScreen

        self.app.push_screen(DriftScreen(), lambda _: self.refresh_data())

    def action_help(self) -> None:
        from benefits_tui.app.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_sync(self) -> None:
        if reason := self.disabled_reason("sync"):
            self.notify(reason, severity="warning", markup=False)
            return
        target = self._target()
        if target is None:
            return
        selection, count = target
        self.run_worker(self._plan_and_confirm(selection, count), group="sync", exit_on_error=False)

    async def _plan_and_confirm(self, selection: Selection, count: int) -> None:
        from benefits_tui.app.screens.confirm_sync import ConfirmSync
        from benefits_tui.services.sync.requests import plan_sync

        self.set_activity(f"Checking {plural(count, 'employee')}…")
        try:
            plan = await plan_sync(self.host.services, selection)
        except Exception as exc:  # noqa: BLE001 - any failure (platform, config, db) is one line
            self.notify(
                f"Cannot check the selection: {one_line(exc)}", severity="error", markup=False
            )
            return
        finally:
            self.set_activity("")
        sendable = plan.sendable
        if sendable == 0:
            lines = "; ".join(plan.summary_lines()) or "nothing to send"
            self.notify(f"Nothing to send: {lines}", severity="warning", markup=False)
            return

        def confirmed(answer: bool | None) -> None:
            if answer:
                self.run_worker(self._send(selection, plan), group="sync", exit_on_error=False)

        self.app.push_screen(ConfirmSync(plan), confirmed)

    async def _send(self, selection: Selection, plan: SyncPlan) -> None:
        from benefits_tui.services.sync.requests import request_sync

        sendable = plan.sendable
        self.set_activity(f"Sending {plural(sendable, 'employee')} to Benefits…")
        baseline = self.counts.get(SyncState.IN_PROGRESS, 0)
        bar = self.query_one("#batch-progress", ProgressBar)

        def written(done: int, total: int) -> None:
            bar.update(total=total, progress=done)
            self.set_activity(f"Sending {done:,} of {total:,} employees to Benefits…")

        long_batch = sendable > 2_000  # a long batch: show it being written
        if long_batch:
            bar.update(total=sendable, progress=0)
            bar.display = True
        try:
            result = await request_sync(
                self.host.services,
                selection,
                plan=plan,
                on_progress=written if long_batch else None,
            )
        except Exception as exc:  # noqa: BLE001 - as above: shown, the screen keeps working
            self.notify(f"Sync not sent: {one_line(exc)}", severity="error", markup=False)
            return
        finally:
            self.set_activity("")
        self.notify(f"{plural(result.sent, 'employee')} sent to Benefits", title="Sync")
        if result.queued and not self.host.services.has_platform:
            note = f" ({self.host.worker_note})" if self.host.worker_note else ""
            self.notify(f"Queued: a worker sends them{note}", title="Sync", markup=False)
        if result.rejected:
            self.notify(
                f"{plural(result.rejected, 'employee')} failed at once (see the Failed tab)",
                severity="warning",
            )
        self.table.clear_ticks()
        if result.queued:
            self.sync_batch = (result.queued, baseline)
            bar.update(total=result.queued, progress=0)
            bar.display = True
        else:
            bar.display = False
        self.refresh_data()

    def action_assign_level(self) -> None:
        from benefits_tui.app.screens.assign_level import AssignLevelScreen

        target = self._target()
        if target is not None:
            selection, count = target
            self.app.push_screen(
                AssignLevelScreen(selection, count),
                lambda changed: self.table.clear_ticks() if changed else None,
            )

    def action_edit_employee(self) -> None:
        from benefits_tui.app.screens.employee import EmployeeScreen

        if (current := self.table.highlighted_id) is None:
            self.notify("No employee highlighted", severity="warning")
            return
        self.app.push_screen(EmployeeScreen(current))

    def action_new_employee(self) -> None:
        from benefits_tui.app.screens.new_employee import NewEmployeeScreen

        self.app.push_screen(NewEmployeeScreen())

    def action_leaver(self) -> None:
        from benefits_tui.app.screens.leaver import LeaverScreen

        if (current := self.table.highlighted_id) is None:
            self.notify("No employee highlighted", severity="warning")
            return
        self.app.push_screen(LeaverScreen(current))
