"""Discard changes? (RULES §3): ``escape`` in a form with unsaved changes asks first."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static


class ConfirmDiscard(ModalScreen[bool]):
    """Dismisses with True (discard: y) or False (keep editing: n, escape, enter)."""

    CSS_PATH = "confirm_discard.tcss"
    BINDINGS = [
        Binding("y", "discard", "Discard"),
        Binding("n,escape", "keep", "Keep editing"),
    ]

    def __init__(self, what: str = "your changes") -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Unsaved changes"
            yield Static(f"Discard {self.what}?", id="question", markup=False)
            with Horizontal(id="buttons"):
                # Keep editing is focused: enter, the key a hurried hand presses, loses nothing.
                yield Button("Keep editing", id="keep", variant="primary", action="screen.keep")
                yield Button("Discard", id="discard", variant="error", action="screen.discard")
        # The dialog's own keys in the footer (not those of the screen beneath).
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def action_discard(self) -> None:
        self.dismiss(True)

    def action_keep(self) -> None:
        self.dismiss(False)
