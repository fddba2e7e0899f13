"""Assign Benefits Level (RULES §1.6, 3) to the ticked rows or the highlighted one.

A dialog with the platform's levels and the count; the result message says how many
changed. Linked employees are sent the change by account ID (the services decide).
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, LoadingIndicator, Select, Static

from benefits_tui.app.host import host_of
from benefits_tui.app.screens.form import FormScreen
from benefits_tui.app.typeahead import accept_keys, hold_keys
from benefits_tui.app.widgets.forms import level_options, notify, shown
from benefits_tui.domain.wording import plural
from benefits_tui.services.employees import assign_level
from benefits_tui.services.errors import ServiceError
from benefits_tui.services.permissions import Permission
from benefits_tui.services.sync.reference import platform_rules
from benefits_tui.services.sync.requests import Selection

CLEAR = "-"


class AssignLevelScreen(ModalScreen[bool], FormScreen[bool]):
    """Returns True when levels were assigned."""

    CSS_PATH = "assign_level.tcss"
    GUARDED = "confirm"
    NOT_DONE = "Not assigned"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "confirm", "Assign", priority=True),
    ]

    def __init__(self, selection: Selection, count: int) -> None:
        super().__init__()
        hold_keys(self)  # until the level list is loaded
        self.selection = selection
        self.count = count

    def compose(self) -> ComposeResult:
        who = plural(self.count, "employee")
        with Vertical(id="dialog"):
            yield Static(f"Assign Benefits Level to {who}", id="title", markup=False)
            yield Static(
                "Employees linked to Benefits are sent the change.", id="hint", markup=False
            )
            with Vertical(id="choice"):
                yield LoadingIndicator()
            yield self.refusal_line()
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel", compact=True, action="screen.cancel")
                yield Button(
                    "Assign",
                    id="confirm",
                    variant="primary",
                    compact=True,
                    disabled=True,
                    action="screen.confirm",
                )
        # The dialog's own keys in the footer (not those of the screen beneath).
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.look_up_refusal(Permission.ASSIGN_LEVEL)
        self.show_refusal()  # the button starts disabled: _load enables it if allowed
        self._load()

    @work(exclusive=True, group="load")
    async def _load(self) -> None:
        rules = await platform_rules(host_of(self).services)
        options = [(shown(prompt), value) for prompt, value in level_options(rules)]
        options.append((shown("No level (clear it)"), CLEAR))
        select: Select[str] = Select(options, allow_blank=False, id="level", compact=True)
        choice = self.query_one("#choice")
        await choice.remove_children()
        await choice.mount(select)
        self.query_one("#confirm", Button).disabled = bool(self.refused) or self.count == 0
        select.focus()
        accept_keys(self)

    def action_cancel(self) -> None:
        if not self.saving:
            self.dismiss(False)

    def action_confirm(self) -> None:
        if self.saving or not self.query("#level"):
            return
        if self.refused_now():
            return
        value = self.query_one("#level", Select).value
        if value is Select.NULL:
            return
        self.saving = True
        self.query_one("#confirm", Button).disabled = True
        self.query_one("#title", Static).update(f"Assigning to {self.count:,} employees…")
        self._assign(None if value == CLEAR else str(value))

    @work(exclusive=True, group="save")
    async def _assign(self, level: str | None) -> None:
        try:
            result = await assign_level(host_of(self).services, self.selection, level)
        except ServiceError as exc:
            self.saving = False
            self.query_one("#confirm", Button).disabled = False
            notify(self.app, f"Not assigned: {exc}", severity="error")
            return
        notify(self.app, result.message())
        host_of(self).refresh_data()
        self.dismiss(True)
