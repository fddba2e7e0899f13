"""A yes/no question in a modal (used where an action needs a person's explicit yes)."""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from benefits_tui.app.text import literal


class ConfirmDialog(ModalScreen[bool]):
    """Dismisses with True (the confirm button: enter, y) or False (Cancel: escape, n)."""

    CSS_PATH = "confirm.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Confirm"),
        Binding("escape,n", "cancel", "Cancel"),
    ]

    def __init__(self, title: str, question: str, detail: str, confirm_label: str) -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.detail = detail
        self.confirm_label = confirm_label
        self._shown_at = float("inf")

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = self.title_text
            yield Static(literal(self.question, "bold", multiline=True), id="question")
            yield Static(literal(self.detail, multiline=True), id="detail")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button(
                    Content(self.confirm_label), id="confirm", variant="primary", compact=True
                )
        yield Footer(compact=True)  # the dialog's keys, not the screen's behind it

    def on_mount(self, event: events.Mount) -> None:
        self._shown_at = event.time
        self.query_one("#confirm", Button).focus()

    def on_key(self, event: events.Key) -> None:
        """Keys typed before the dialog appeared are not answers to it."""
        if event.time < self._shown_at:
            event.stop()
            event.prevent_default()

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
