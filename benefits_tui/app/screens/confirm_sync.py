"""Confirm Sync (RULES §1.2, 3): "Send N employees to Benefits?" with the pre-flight summary."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from benefits_tui.app.bindings import CONFIRM_BINDINGS
from benefits_tui.app.text import literal
from benefits_tui.domain.wording import plural
from benefits_tui.services.sync.requests import SyncPlan


class ConfirmSync(ModalScreen[bool]):
    """Dismisses with True (Sync: enter, y) or False (Cancel: escape, n)."""

    CSS_PATH = "confirm_sync.tcss"
    BINDINGS = CONFIRM_BINDINGS

    def __init__(self, plan: SyncPlan) -> None:
        super().__init__()
        self.plan = plan
        self.count = plan.sendable
        self._shown_at = float("inf")

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Confirm Sync"
            yield Static(
                Content.styled(f"Send {plural(self.count, 'employee')} to Benefits?", "bold"),
                id="question",
            )
            lines = self.plan.summary_lines()
            if lines:
                yield Static(Content("\n").join(literal(line) for line in lines), id="summary")
            else:
                yield Static(
                    Content.styled("All of them pass the pre-flight checks.", "$text-success"),
                    id="summary",
                )
            yield Static(
                Content.styled(
                    "First sync looks up a Benefits account by email: found, it is linked; "
                    "not found, a new account is created.",
                    "$text-muted",
                ),
                id="explain",
            )
            with Horizontal(id="buttons"):
                yield Button(
                    "Cancel", id="cancel", variant="default", compact=True, action="screen.cancel"
                )
                yield Button(
                    f"Sync {self.count:,}",
                    id="sync",
                    variant="primary",
                    compact=True,
                    action="screen.confirm",
                )
        # The dialog's own keys in the footer (not those of the screen beneath).
        yield Footer(compact=True)

    def on_mount(self, event: events.Mount) -> None:
        # Event times share one monotonic clock: keys stamped before this were typed earlier.
        self._shown_at = event.time
        self.query_one("#sync", Button).focus()

    def on_key(self, event: events.Key) -> None:
        """Keys pressed before the dialog appeared (it waits for the pre-flight) are not answers."""
        if event.time < self._shown_at:
            event.stop()
            event.prevent_default()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
