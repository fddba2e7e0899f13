"""Integration settings and the connection test — for admins (SPEC 1.10)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from benefits_tui.app.text import literal
from benefits_tui.services.integration import integration_settings, test_connection


class IntegrationScreen(ModalScreen[None]):
    """Shows how the integration is configured (never the token) and tests it."""

    CSS_PATH = "integration.tcss"
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("t", "test", "Test connection"),
    ]

    def compose(self) -> ComposeResult:
        services = self.app.services  # type: ignore[attr-defined]
        with Vertical(id="dialog"):
            yield Static("Integration settings", id="title", markup=False)
            for name, value in integration_settings(services):
                with Horizontal(classes="setting"):
                    yield Static(literal(name), classes="name")
                    yield Static(literal(value), classes="value")
            yield Static("", id="result", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Close", id="close")
                yield Button("Test connection", id="test", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#test", Button).focus()

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#test")
    def action_test(self) -> None:
        result = self.query_one("#result", Static)
        result.update(Content("Testing the connection…"))
        result.remove_class("ok", "failed")
        self._test()

    @work(exclusive=True, group="connection-test")
    async def _test(self) -> None:
        check = await test_connection(self.app.services)  # type: ignore[attr-defined]
        result = self.query_one("#result", Static)
        result.update(literal(check.message))
        result.set_class(check.ok, "ok")
        result.set_class(not check.ok, "failed")
