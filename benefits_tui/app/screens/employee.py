"""Employee: Personal Details > Employment Details, editable (RULES §1.6, 1.7, 1.9, 3).

The Benefits Level is a select of the platform's levels. A read-only line shows the sync
status and the linked Benefits account. There is no sync toggle (RULES §1.7): leaving goes
through the leaver workflow. Saving a synced field of a linked employee queues an update
by account ID; saving fixes to a Failed employee queues a new attempt (the services decide).
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Footer, Input, Label, LoadingIndicator, Static

from benefits_tui.app.host import host_of
from benefits_tui.app.screens.confirm_discard import ConfirmDiscard
from benefits_tui.app.screens.form import FormScreen, detail_or_close
from benefits_tui.app.typeahead import accept_keys, hold_keys
from benefits_tui.app.widgets.forms import (
    FormField,
    check_all,
    field_for,
    focus_control,
    notify,
    show_problems,
    shown,
    text_of,
)
from benefits_tui.domain.fields import ATTRIBUTE_OF, EMPLOYMENT_FIELDS, PERSONAL_FIELDS
from benefits_tui.domain.states import SyncState
from benefits_tui.services.employees import parse_values, update_employee
from benefits_tui.services.errors import InvalidInput, ServiceError
from benefits_tui.services.permissions import Permission
from benefits_tui.services.queries import EmployeeDetail
from benefits_tui.services.sync.reference import PlatformRules, platform_rules

PERSONAL = PERSONAL_FIELDS
EMPLOYMENT = (*EMPLOYMENT_FIELDS, "benefits_level")


def sync_line(detail: EmployeeDetail, width: int | None = None) -> Content:
    """The read-only line: sync status and linked account (values shown literally). Wider
    than ``width``, each part goes on a line of its own, never "Benefits account: not" then
    "linked" on the next."""
    status = [Content.styled("Benefits sync: ", "bold"), shown(detail.state.label)]
    if detail.status_text and detail.state is not SyncState.NOT_SYNCING:
        status += [Content(" - "), shown(detail.status_text)]
    parts = [
        Content.assemble(*status),
        Content.styled("Benefits account: ", "bold")
        + (shown(detail.account_id) if detail.account_id else Content("not linked")),
    ]
    if detail.leave_date:
        parts.append(Content.styled("Leaver: ", "bold") + shown(detail.leave_date.isoformat()))
    line = Content.styled("   ", "bold").join(parts)
    if width is not None and line.cell_length > width:
        return Content("\n").join(parts)
    return line


class EmployeeScreen(FormScreen[bool]):
    """Returns True when something was saved."""

    CSS_PATH = "employee.tcss"
    GUARDED = "save"
    NOT_DONE = "Not saved"
    BINDINGS = [
        Binding("escape", "cancel", "Close"),
        Binding("ctrl+s", "save", "Save", priority=True),
    ]

    def __init__(self, employee_id: int) -> None:
        super().__init__()
        hold_keys(self)  # keys typed while the form loads go into it once it is up
        self.employee_id = employee_id
        self.detail: EmployeeDetail | None = None
        self.rules: PlatformRules | None = None
        self.saved = False

    def compose(self) -> ComposeResult:
        yield Static("Personal Details > Employment Details", id="title", markup=False)
        yield Static("", id="sync-line", markup=False)
        yield self.refusal_line()
        with Vertical(id="body"):
            yield LoadingIndicator()
        with Horizontal(id="buttons"):
            yield Button("Save", id="save", variant="primary", compact=True, action="screen.save")
            yield Button("Close", id="close", compact=True, action="screen.cancel")
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    @work(exclusive=True, group="load")
    async def _load(self) -> None:
        self.detail = await detail_or_close(self, self.employee_id)
        if self.detail is None:
            return
        self.rules = await platform_rules(host_of(self).services)
        self.look_up_refusal(Permission.EDIT_EMPLOYEE)
        await self._show(self.detail, self.rules)

    async def _show(self, detail: EmployeeDetail, rules: PlatformRules) -> None:
        self.query_one("#title", Static).update(
            Content("Personal Details > Employment Details: ")
            + shown(f"{detail.employee_number} {detail.name}", "bold")
        )
        # The line's width: the screen's, less its padding (see employee.tcss).
        self.query_one("#sync-line", Static).update(sync_line(detail, self.app.size.width - 2))
        body = self.query_one("#body")
        await body.remove_children()
        values = self._values(detail)
        await body.mount(
            VerticalScroll(
                Label("Personal Details", classes="section", markup=False),
                *[field_for(name, rules, values[name]) for name in PERSONAL],
                Label("Employment Details", classes="section", markup=False),
                *[field_for(name, rules, values[name]) for name in EMPLOYMENT],
                id="form",
            )
        )
        self.show_refusal()  # after the fields: it disables them
        fields = self._fields()
        if fields and not self.refused:
            focus_control(fields[1] if len(fields) > 1 else fields[0])
        accept_keys(self)

    @staticmethod
    def _values(detail: EmployeeDetail) -> dict[str, str]:
        return {
            name: text_of(getattr(detail, ATTRIBUTE_OF[name])) for name in PERSONAL + EMPLOYMENT
        }

    def _fields(self) -> list[FormField]:
        return list(self.query(FormField))

    # ------------------------------------------------------------------ actions

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_cancel(self) -> None:
        """Close; with unsaved changes, ask first (RULES §3)."""
        if self.refused or self.saving or not self._edited_fields():
            self.dismiss(self.saved)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(self.saved)

        self.app.push_screen(ConfirmDiscard("your changes to this employee"), answered)

    def _edited_fields(self) -> list[FormField]:
        if self.detail is None:
            return []
        original = self._values(self.detail)
        return [w for w in self._fields() if w.raw().strip() != original.get(w.field, "").strip()]

    def action_save(self) -> None:
        if self.detail is None or self.saving:
            return
        if self.refused_now():
            return
        edited = self._edited_fields()
        if not edited:
            notify(self.app, "Nothing changed.")
            return
        # Only what was edited must be valid: an old value the platform refuses does not
        # block an unrelated fix (it fails at sync with a reason instead).
        changed, first_bad = check_all(edited)
        if first_bad is not None:
            focus_control(first_bad)
            notify(self.app, f"Not saved: {first_bad.problem}", severity="error")
            return
        self.saving = True
        self._save(changed)

    @work(exclusive=True, group="save")
    async def _save(self, changed: dict[str, str]) -> None:
        context = host_of(self).services
        try:
            values = await parse_values(context, changed)
            result = await update_employee(context, self.employee_id, values)
        except InvalidInput as exc:
            first = show_problems(self._fields(), exc.problems)
            if first is not None:
                focus_control(first)
            notify(self.app, f"Not saved: {exc}", severity="error")
            return
        except ServiceError as exc:
            notify(self.app, f"Not saved: {exc}", severity="error")
            return
        finally:
            self.saving = False
        self.saved = True
        notify(self.app, result.message())
        host_of(self).refresh_data()
        self.dismiss(True)
