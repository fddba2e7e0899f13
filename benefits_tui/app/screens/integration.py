"""Integration settings, the admin settings and the connection test — for admins (RULES §1.10)."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static, Switch

from benefits_tui.app.host import host_of
from benefits_tui.app.text import literal
from benefits_tui.services.admin_settings import (
    load_admin_settings,
    parse_minutes,
    save_admin_settings,
)
from benefits_tui.services.errors import ServiceError
from benefits_tui.services.integration import integration_settings, test_connection
from benefits_tui.services.permissions import Permission
from benefits_tui.services.platform_hold import clear_hold, read_hold


class IntegrationScreen(ModalScreen[None]):
    """Shows how the integration is configured (never the token) and tests it."""

    CSS_PATH = "integration.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("t", "test", "Test connection"),
        Binding("ctrl+s", "save", "Save settings", priority=True),
    ]

    def compose(self) -> ComposeResult:
        services = host_of(self).services
        with VerticalScroll(id="dialog"):
            yield Static("Integration settings", id="title", markup=False)
            for name, value in integration_settings(services):
                with Horizontal(classes="setting"):
                    yield Static(literal(name), classes="name")
                    yield Static(literal(value), classes="value")
            with Horizontal(classes="setting"):
                yield Static("Platform hold", classes="name")
                yield Static("", id="hold", classes="value", markup=False)
            yield Static("Admin settings (for everyone on this database)", id="admin-title")
            with Horizontal(classes="setting"):
                yield Label("Create Benefits Record on by default", classes="name")
                yield Switch(True, id="create-default")
            with Horizontal(classes="setting"):
                yield Label("Reconcile every (minutes, 0 = off)", classes="name")
                yield Input("0", id="reconcile-minutes", max_length=6, compact=True)
            yield Static("", id="result", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Close", id="close", action="screen.dismiss")
                yield Button("Save settings", id="save", action="screen.save")
                yield Button(
                    "Clear hold", id="clear-hold", disabled=True, action="screen.clear_hold"
                )
                yield Button("Test connection", id="test", variant="primary", action="screen.test")
        yield Footer(compact=True)  # the dialog's keys, not the main screen's behind it

    def on_mount(self) -> None:
        self.query_one("#test", Button).focus()
        self._load_admin_settings()
        self._show_hold()

    @work(exclusive=True, group="platform-hold")
    async def _show_hold(self) -> None:
        """The platform's hold or trouble (RULES §1.13); admins may end a hold."""
        services = host_of(self).services
        hold = await read_hold(services)
        self.query_one("#hold", Static).update(literal(hold.summary() or "none"))
        button = self.query_one("#clear-hold", Button)
        button.disabled = hold.blocked_until is None or not services.can(Permission.CLEAR_HOLD)

    def action_clear_hold(self) -> None:
        self._clear_hold()

    @work(exclusive=True, group="platform-hold")
    async def _clear_hold(self) -> None:
        result = self.query_one("#result", Static)
        result.remove_class("ok", "failed")
        try:
            await clear_hold(host_of(self).services)
        except ServiceError as exc:
            result.update(literal(str(exc)))
            result.add_class("failed")
            return
        result.update(literal("Hold cleared: every process may send again."))
        result.add_class("ok")
        self._show_hold()

    @work(exclusive=True, group="admin-settings")
    async def _load_admin_settings(self) -> None:
        current = await load_admin_settings(host_of(self).services)
        self.query_one("#create-default", Switch).value = current.create_benefits_record_default
        self.query_one("#reconcile-minutes", Input).value = str(current.reconcile_every_minutes)

    def action_save(self) -> None:
        self._save()

    @on(Input.Submitted, "#reconcile-minutes")
    def _submitted(self) -> None:
        self._save()

    @work(exclusive=True, group="admin-settings")
    async def _save(self) -> None:
        result = self.query_one("#result", Static)
        result.remove_class("ok", "failed")
        try:
            saved = await save_admin_settings(
                host_of(self).services,
                create_benefits_record_default=self.query_one("#create-default", Switch).value,
                reconcile_every_minutes=parse_minutes(
                    self.query_one("#reconcile-minutes", Input).value
                ),
            )
        except ServiceError as exc:
            result.update(literal(str(exc)))
            result.add_class("failed")
            return
        result.update(
            literal(
                "Saved: Create Benefits Record "
                + ("on" if saved.create_benefits_record_default else "off")
                + f" by default; reconciliation {saved.schedule_text}."
            )
        )
        result.add_class("ok")

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
