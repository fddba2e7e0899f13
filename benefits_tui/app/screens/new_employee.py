"""Add new employee (RULES §1.5, 3): the starter wizard, or Personal Details Only.

The wizard goes personal details -> employment details -> benefits (the *Create Benefits
Record* toggle and the Benefits Level) -> review; nothing is saved until the review is
confirmed. With the toggle on the starter is queued for sync at once. *Personal Details
Only* is a short form; the employee lands in Not syncing and is synced by hand later.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import (
    Button,
    ContentSwitcher,
    Footer,
    Input,
    Label,
    LoadingIndicator,
    Static,
    Switch,
)

from benefits_tui.app.host import host_of
from benefits_tui.app.screens.confirm_discard import ConfirmDiscard
from benefits_tui.app.screens.form import FormScreen
from benefits_tui.app.typeahead import accept_keys, hold_keys
from benefits_tui.app.widgets.forms import (
    FormField,
    check_all,
    field_for,
    focus_control,
    notify,
    show_problems,
    shown,
)
from benefits_tui.domain.fields import (
    EMPLOYMENT_FIELDS,
    FIELD_LABELS,
    PERSONAL_FIELDS,
    REQUIRED_FOR_PLATFORM,
    REQUIRED_TO_IMPORT,
)
from benefits_tui.domain.states import CreatedVia, SyncState
from benefits_tui.services.admin_settings import load_admin_settings
from benefits_tui.services.employees import (
    REQUIRED_FOR_A_RECORD,
    add_employee,
    email_held_by,
    parse_values,
    shared_email_problem,
)
from benefits_tui.services.errors import InvalidInput, ServiceError
from benefits_tui.services.permissions import Permission
from benefits_tui.services.queries import employee_detail
from benefits_tui.services.sync.reference import PlatformRules, platform_rules

PERSONAL = PERSONAL_FIELDS
EMPLOYMENT = EMPLOYMENT_FIELDS
BENEFITS = ("benefits_level",)
WIZARD_STEPS = ("personal", "employment", "benefits", "review")
STEP_TITLES = {
    "choose": "Add new employee",
    "personal": "Personal details",
    "employment": "Employment details",
    "benefits": "Benefits",
    "review": "Review",
}
STEP_FIELDS = {"personal": PERSONAL, "employment": EMPLOYMENT, "benefits": BENEFITS}
WIZARD = "wizard"
PERSONAL_ONLY = "personal_only"


def _toggle_hint(on: bool) -> str:
    """What the Create Benefits Record toggle will do."""
    if on:
        return "On: the starter is sent to Benefits as soon as they are added."
    return "Off: the starter waits in Not syncing until synced from Benefits Management."


class NewEmployeeScreen(FormScreen[int | None]):
    """Returns the new employee's id, or None when cancelled."""

    CSS_PATH = "new_employee.tcss"
    NOT_DONE = "Cannot add"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "next", "Next / Save", priority=True),
        Binding("ctrl+b", "back", "Back"),
    ]

    def __init__(self, mode: str | None = None) -> None:
        super().__init__()
        hold_keys(self)  # until the form is built
        self.mode = mode
        self.step = "choose"
        self.rules: PlatformRules | None = None
        self.checking = False  # the email check between steps (see action_next)

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static("Add new employee", id="title", markup=False)
        yield self.refusal_line()
        with Vertical(id="body"):
            yield LoadingIndicator()
        with Horizontal(id="buttons"):
            yield Button("Back", id="back", compact=True, action="screen.back")
            yield Button("Next", id="next", variant="primary", compact=True, action="screen.next")
            yield Button("Cancel", id="cancel", compact=True, action="screen.cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#buttons").display = False
        self._load()

    @work(exclusive=True, group="load")
    async def _load(self) -> None:
        context = host_of(self).services
        self.rules = await platform_rules(context)
        # The toggle starts where the admins set it (RULES §1.10).
        create_default = (await load_admin_settings(context)).create_benefits_record_default
        self.look_up_refusal(Permission.ADD_EMPLOYEE)
        body = self.query_one("#body")
        await body.remove_children()
        await body.mount(self._form(self.rules, create_default))
        self.show_refusal()
        self.query_one("#buttons").display = True
        self._go((self.mode and self._first_step()) or "choose")
        accept_keys(self)

    def _form(self, rules: PlatformRules, create_default: bool = True) -> ContentSwitcher:
        def fields(names: tuple[str, ...]) -> list[FormField]:
            return [field_for(name, rules) for name in names]

        return ContentSwitcher(
            Vertical(
                Label("How is this employee starting?", markup=False),
                Button(
                    "Starter wizard (with Create Benefits Record)",
                    id="choose-wizard",
                    variant="primary",
                    action="screen.choose('wizard')",
                ),
                Label(
                    "personal -> employment -> benefits -> review; can send the starter to "
                    "Benefits",
                    classes="hint",
                    markup=False,
                ),
                Button(
                    "Personal Details Only",
                    id="choose-personal",
                    action="screen.choose('personal_only')",
                ),
                Label(
                    "a short form; the employee waits in Not syncing until synced by hand",
                    classes="hint",
                    markup=False,
                ),
                id="choose",
            ),
            VerticalScroll(*fields(PERSONAL), id="personal", classes="step"),
            VerticalScroll(*fields(EMPLOYMENT), id="employment", classes="step"),
            VerticalScroll(
                Horizontal(
                    Label("Create Benefits Record", classes="field-label", markup=False),
                    Switch(create_default, id="create-benefits-record"),
                    id="toggle-row",
                ),
                Static(
                    _toggle_hint(create_default),
                    id="toggle-hint",
                    classes="hint",
                    markup=False,
                ),
                *fields(BENEFITS),
                id="benefits",
                classes="step",
            ),
            VerticalScroll(Static("", id="summary"), id="review", classes="step"),
            initial="choose",
        )

    # ------------------------------------------------------------------ steps

    def _steps(self) -> tuple[str, ...]:
        return WIZARD_STEPS if self.mode == WIZARD else ("personal",)

    def _first_step(self) -> str:
        return "personal"

    def _fields(self, step: str | None = None) -> list[FormField]:
        steps = [step] if step else list(STEP_FIELDS) if self.mode == WIZARD else ["personal"]
        return [widget for name in steps for widget in self.query_one(f"#{name}").query(FormField)]

    def _go(self, step: str) -> None:
        self.step = step
        self.query_one(ContentSwitcher).current = step
        steps = self._steps()
        if step == "choose":
            title = STEP_TITLES["choose"]
        elif self.mode == WIZARD:
            title = (
                f"Add new employee > {STEP_TITLES[step]} ({steps.index(step) + 1} of {len(steps)})"
            )
        else:
            title = "Add new employee (Personal Details Only)"
        self.query_one("#title", Static).update(shown(title))
        last = step == steps[-1] if step != "choose" else False
        next_button = self.query_one("#next", Button)
        next_button.label = "Add employee" if last else "Next"
        next_button.disabled = step == "choose" or (last and bool(self.refused))
        self.query_one("#back", Button).disabled = step == "choose"
        if step == "review":
            self._fill_review()
        if step == "choose":
            self.query_one("#choose-wizard", Button).focus()
        elif step == "review":
            next_button.focus() if not next_button.disabled else self.query_one(
                "#back", Button
            ).focus()
        else:
            fields = self._fields(step)
            if fields:
                focus_control(fields[0])
        self.refresh_bindings()

    def _fill_review(self) -> None:
        lines: list[Content] = []
        for step in STEP_FIELDS:
            lines.append(Content.styled(STEP_TITLES[step], "bold"))
            for widget in self._fields(step):
                lines.append(
                    Content(f"  {FIELD_LABELS.get(widget.field, widget.field)}: ")
                    + shown(widget.raw() or "-")
                )
        toggle = self.query_one("#create-benefits-record", Switch).value
        lines.append(
            Content.styled("Create Benefits Record: " + ("on" if toggle else "off"), "bold")
        )
        lines.append(
            Content(
                "The starter is sent to Benefits as soon as they are added."
                if toggle
                else "The starter waits in Not syncing until synced from Benefits Management."
            )
        )
        if self.refused:
            lines.append(shown(f"Cannot add: {self.refused}.", "bold $text-error"))
        else:
            lines.append(
                Content("Press Add employee (enter or ctrl+s) to save, ctrl+b to go back.")
            )
        self.query_one("#summary", Static).update(Content("\n").join(lines))

    # ------------------------------------------------------------------ actions

    def action_choose(self, mode: str) -> None:
        """The starter wizard (``wizard``) or the short form (``personal_only``)."""
        if mode in (WIZARD, PERSONAL_ONLY) and self.step == "choose":
            self.mode = mode
            self._require_for_record()
            self._go("personal")

    def _creates_record(self) -> bool:
        return self.mode == WIZARD and self.query_one("#create-benefits-record", Switch).value

    def _require_for_record(self) -> None:
        """With Create Benefits Record on, every field the platform needs is required here
        (RULES §1.8): a starter that cannot sync is never saved as one that will."""
        on = self._creates_record()
        for widget in self._fields():
            if widget.field in REQUIRED_TO_IMPORT:
                continue
            if widget.field in REQUIRED_FOR_PLATFORM:
                widget.set_required(on, REQUIRED_FOR_A_RECORD)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_next()

    @on(Switch.Changed, "#create-benefits-record")
    def _toggled(self, event: Switch.Changed) -> None:
        self.query_one("#toggle-hint", Static).update(_toggle_hint(event.value))
        self._require_for_record()

    def action_cancel(self) -> None:
        """Cancel; once something is typed, ask first (RULES §3)."""
        typed = self.step != "choose" and any(w.raw().strip() for w in self._fields())
        if self.saving or not typed:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmDiscard("this new employee"), answered)

    def action_back(self) -> None:
        if self.step == "choose" or self.saving or self.checking:
            return
        steps = self._steps()
        index = steps.index(self.step)
        self._go(steps[index - 1] if index > 0 else "choose")

    def action_next(self) -> None:
        if self.step == "choose" or self.rules is None or self.saving or self.checking:
            return
        steps = self._steps()
        if self.step in STEP_FIELDS:
            _, first_bad = check_all(self._fields(self.step))
            if first_bad is not None:
                focus_control(first_bad)
                if self.step == "personal" and self._creates_record():
                    self._show_email_problem()  # the check just cleared its message: show it
                return
        if self.step != steps[-1]:
            following = steps[steps.index(self.step) + 1]
            if self.step in ("personal", "benefits") and self._creates_record():
                # The shared-email check of the final Add, before the starter gets further
                # (the toggle may just have been turned on in the benefits step).
                hold_keys(self)  # keys typed meanwhile belong to the step that comes next
                self.checking = True  # one step at a time: no second Next while checking
                self._advance_if_email_free(following)
                return
            self._go(following)
            return
        if self.refused_now():
            return
        raw, first_bad = check_all(self._fields())
        if first_bad is not None:
            self._go_to_field(first_bad)
            return
        self.saving = True
        self._save(
            raw, self.mode == WIZARD and self.query_one("#create-benefits-record", Switch).value
        )

    async def _email_problem(self) -> str | None:
        """Why the email cannot be a new starter's (another current employee holds it), as
        the final Add says it; None when it is free, empty or not checkable yet."""
        field = self._email_field()
        if not field.raw().strip() or field.problem is not None:
            return None
        holders = await email_held_by(host_of(self).services, field.raw())
        return shared_email_problem(holders) if holders else None

    def _email_field(self) -> FormField:
        return self.query_one("#field-email", FormField)

    @work(exclusive=True, group="email")
    async def _advance_if_email_free(self, following: str) -> None:
        try:
            problem = await self._email_problem()
        finally:
            self.checking = False
        if problem is None:
            self._go(following)
        else:
            field = self._email_field()
            field.set_problem(f"{field.label_text} {problem}")
            self._go_to_field(field)
        accept_keys(self)

    @on(Input.Blurred, "#input-email")
    def _email_left(self) -> None:
        """Leaving the email field checks it at once (RULES §3: refused in the form)."""
        if self._creates_record():
            self._show_email_problem()

    @work(exclusive=True, group="email-left")
    async def _show_email_problem(self) -> None:
        field = self._email_field()
        checked = field.raw()
        problem = await self._email_problem()
        if problem is not None and field.raw() == checked and field.problem is None:
            field.set_problem(f"{field.label_text} {problem}")

    def _go_to_field(self, widget: FormField) -> None:
        for step in STEP_FIELDS:
            if widget in self._fields(step):
                self._go(step)
                focus_control(widget)
                return

    @work(exclusive=True, group="save")
    async def _save(self, raw: dict[str, str], create_benefits_record: bool) -> None:
        context = host_of(self).services
        given = {name: text for name, text in raw.items() if text.strip()}
        via = CreatedVia.STARTER_WIZARD if self.mode == WIZARD else CreatedVia.PERSONAL_DETAILS_ONLY
        try:
            values = await parse_values(context, given)
            employee_id, number, result = await add_employee(
                context, values, created_via=via, create_benefits_record=create_benefits_record
            )
        except InvalidInput as exc:
            self.saving = False
            first = show_problems(self._fields(), exc.problems)
            if first is not None:
                self._go_to_field(first)
            notify(self.app, f"Not saved: {exc}", severity="error")
            return
        except ServiceError as exc:
            self.saving = False
            notify(self.app, f"Not saved: {exc}", severity="error")
            return
        message, severity = await self._outcome(employee_id, number, result is not None)
        notify(self.app, message, severity=severity)
        host_of(self).refresh_data()
        self.dismiss(employee_id)

    async def _outcome(self, employee_id: int, number: str, sent: bool) -> tuple[str, str]:
        if not sent:
            return (
                f"{number} added (Not syncing: sync them from Benefits Management when ready).",
                "information",
            )
        detail = await employee_detail(host_of(self).services, employee_id)
        if detail.state is SyncState.FAILED:
            return (
                f"{number} added; the sync to Benefits failed at once: {detail.reason}",
                "warning",
            )
        return f"{number} added and sent to Benefits ({detail.state.label})", "information"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self.step != "choose"
        if action == "next":
            return self.step != "choose"
        return True
