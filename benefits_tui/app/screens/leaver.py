"""Leaver workflow (RULES §1.7, 3): leave date, reason, what happens on the platform, confirm.

For a linked employee coverage ends on the platform on the leave date; for one never
synced nothing is sent. This is the only way to take someone off Benefits: there is no
sync on/off switch anywhere.
"""

from __future__ import annotations

import datetime as dt

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Static

from benefits_tui.app.host import host_of
from benefits_tui.app.screens.form import FormScreen, detail_or_close
from benefits_tui.app.widgets.forms import (
    FormField,
    TextField,
    check_all,
    focus_control,
    notify,
    show_problems,
    shown,
)
from benefits_tui.services.employees import leaver_preview, record_leaver
from benefits_tui.services.errors import InvalidInput, ServiceError
from benefits_tui.services.permissions import Permission
from benefits_tui.services.queries import EmployeeDetail


class LeaverScreen(ModalScreen[bool], FormScreen[bool]):
    """Returns True when the leaver was recorded."""

    CSS_PATH = "leaver.tcss"
    GUARDED = "confirm"
    NOT_DONE = "Not recorded"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "confirm", "Record leaver", priority=True),
    ]

    def __init__(self, employee_id: int) -> None:
        super().__init__()
        self.employee_id = employee_id
        self.detail: EmployeeDetail | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Leaver", id="title", markup=False)
            yield Static("", id="who", markup=False)
            yield TextField("leave_date", label="Leave date", required=True)
            yield TextField(
                "leave_reason",
                label="Reason",
                required=True,
                placeholder="e.g. Resignation, Retirement, End of contract",
            )
            yield Static("", id="summary", markup=False)
            yield self.refusal_line()
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel", compact=True, action="screen.cancel")
                yield Button(
                    "Record leaver",
                    id="confirm",
                    variant="error",
                    compact=True,
                    action="screen.confirm",
                )
        # The dialog's own keys in the footer (not those of the screen beneath).
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.look_up_refusal(Permission.RECORD_LEAVER)
        self.show_refusal()
        self._load()
        focus_control(self.query_one("#field-leave_date", FormField))

    @work(exclusive=True, group="load")
    async def _load(self) -> None:
        self.detail = await detail_or_close(self, self.employee_id)
        if self.detail is None:
            return
        detail = self.detail
        who = shown(f"{detail.employee_number} {detail.name}", "bold")
        if detail.leave_date:
            who += shown(
                f"  (already a leaver on {detail.leave_date.isoformat()}: "
                f"{detail.leave_reason or ''})"
            )
        self.query_one("#who", Static).update(who)
        await self._preview(None)

    async def _preview(self, leave_date: dt.date | None) -> None:
        text = await leaver_preview(host_of(self).services, self.employee_id, leave_date)
        self.query_one("#summary", Static).update(
            Content.assemble(Content.styled("On Benefits: ", "bold"), shown(text))
        )

    @on(Input.Changed, "#input-leave_date")
    def _date_changed(self, event: Input.Changed) -> None:
        try:
            leave_date = dt.date.fromisoformat(event.value.strip())
        except ValueError:
            return
        self._update_preview(leave_date)

    @work(exclusive=True, group="preview")
    async def _update_preview(self, leave_date: dt.date) -> None:
        await self._preview(leave_date)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        """``enter`` in a field goes on to the next step, never records the leaver: recording
        is its own step (the button, or ctrl+s), after the summary has been seen (RULES §3)."""
        event.stop()
        if event.input.id == "input-leave_date":
            self.query_one("#input-leave_reason", Input).focus()
        else:
            self.query_one("#confirm", Button).focus()

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_confirm(self) -> None:
        if self.saving or self.detail is None:
            return
        if self.refused_now():
            return
        fields = list(self.query(FormField))
        raw, first_bad = check_all(fields)
        if first_bad is not None:
            focus_control(first_bad)
            return
        self.saving = True
        self._save(dt.date.fromisoformat(raw["leave_date"].strip()), raw["leave_reason"])

    @work(exclusive=True, group="save")
    async def _save(self, leave_date: dt.date, reason: str) -> None:
        try:
            result = await record_leaver(
                host_of(self).services, self.employee_id, leave_date, reason
            )
        except InvalidInput as exc:
            problems = {
                ("leave_reason" if name == "reason" else name): text
                for name, text in exc.problems.items()
            }
            first = show_problems(list(self.query(FormField)), problems)
            if first is not None:
                focus_control(first)
            return
        except ServiceError as exc:
            notify(self.app, f"Not recorded: {exc}", severity="error")
            return
        finally:
            self.saving = False
        assert self.detail is not None
        if not result.changed:
            notify(self.app, f"{self.detail.employee_number}: {result.message}")
            self.dismiss(False)
            return
        notify(
            self.app,
            f"{self.detail.employee_number} recorded as a leaver on {leave_date.isoformat()}. "
            f"{result.message}",
        )
        host_of(self).refresh_data()
        self.dismiss(True)
