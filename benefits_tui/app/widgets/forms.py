"""Form fields shared by the employee, starter, leaver and level screens.

Each field is a label, a control and a message line under it. The control's text is
checked with the same rule as the import and the command line
(:func:`benefits_tui.domain.fields.parse_field`) when focus leaves it, again as it is
corrected, and on save; the problem is shown on the field itself. Values from people or
the platform are always shown literally (never as markup).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from benefits_tui.domain.fields import (
    FIELD_LABELS,
    PICKLIST_NAMES,
    REQUIRED_TO_IMPORT,
    FieldProblem,
    parse_field,
)
from benefits_tui.domain.safe_text import visible

if TYPE_CHECKING:
    from textual.app import App

    from benefits_tui.services.sync.reference import PlatformRules

PICKLIST_FIELDS = ("title", "gender", "pay_basis", "pay_frequency")
DATE_FIELDS = ("date_of_birth", "start_date", "leave_date")


def shown(text: object, style: str = "", limit: int = 2000) -> Content:
    """Untrusted text as :class:`Content`: never markup, control characters made visible."""
    return Content.styled(visible(text, limit=limit), style)


def notify(app: App[Any], message: str, *, severity: str = "information", title: str = "") -> None:
    """A notification whose text is shown literally (names may hold ``[bold]``)."""
    app.notify(message, title=title, severity=cast(Any, severity), markup=False)


class FormField(Vertical):
    """A labelled control with a problem message under it."""

    DEFAULT_CSS = """
    FormField { height: auto; margin: 0; }
    FormField > Horizontal { height: auto; }
    FormField .field-label { width: 18; padding: 0 1 0 0; text-align: right; }
    FormField .field-control { width: 1fr; max-width: 60; }
    FormField .field-problem { height: auto; padding: 0 0 0 18; color: $text-error; display: none; }
    FormField.-invalid .field-problem { display: block; }
    FormField.-invalid Input { background: $error 20%; }
    """

    def __init__(
        self, field: str, *, label: str | None = None, required: bool | None = None
    ) -> None:
        super().__init__(id=f"field-{field}")
        self.field = field
        self.required = field in REQUIRED_TO_IMPORT if required is None else required
        self.label_text = label or FIELD_LABELS.get(field, field.replace("_", " ").capitalize())
        self.rules: PlatformRules | None = None
        self.problem: str | None = None
        self.required_message = "is required"

    def control(self) -> Widget:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(
                self.label_text + (" *" if self.required else ""),
                classes="field-label",
                markup=False,
            )
            control = self.control()
            control.add_class("field-control")
            yield control
        yield Static("", id=f"problem-{self.field}", classes="field-problem", markup=False)

    def raw(self) -> str:
        raise NotImplementedError

    def set_required(self, required: bool, why: str = "is required") -> None:
        """Make the field required (its label gets ``*``) or optional; ``why`` is the message
        shown when it is left empty."""
        self.required = required
        self.required_message = why
        if self.is_mounted:
            self.query_one(".field-label", Label).update(
                self.label_text + (" *" if required else "")
            )
        if not required and self.problem and self.problem.endswith(why):
            self.set_problem(None)

    def set_problem(self, message: str | None) -> None:
        self.problem = message
        self.set_class(message is not None, "-invalid")
        if self.is_mounted:
            self.query_one(".field-problem", Static).update(shown(message or ""))

    def check(self) -> Any:
        """The parsed value, or None with the problem shown; raises nothing."""
        text = self.raw()
        if self.required and not text.strip():
            self.set_problem(f"{self.label_text} {self.required_message}")
            return None
        try:
            rules = self.rules
            value = parse_field(
                self.field,
                text,
                picklists=rules.picklists if rules else None,
                levels=rules.level_codes if rules else None,
            )
        except FieldProblem as problem:
            self.set_problem(f"{self.label_text} {problem.message}")
            return None
        self.set_problem(None)
        return value

    @property
    def valid(self) -> bool:
        self.check()
        return self.problem is None


class TextField(FormField):
    """Free text, a date, an email or an amount."""

    def __init__(
        self,
        field: str,
        value: str = "",
        *,
        label: str | None = None,
        placeholder: str = "",
        required: bool | None = None,
    ) -> None:
        super().__init__(field, label=label, required=required)
        self.initial = value
        self.placeholder = placeholder or ("YYYY-MM-DD" if field in DATE_FIELDS else "")

    def control(self) -> Widget:
        return Input(
            self.initial,
            placeholder=self.placeholder,
            id=f"input-{self.field}",
            select_on_focus=False,
            compact=True,
        )

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    def raw(self) -> str:
        return self.input.value if self.is_mounted else self.initial

    def on_input_blurred(self, event: Input.Blurred) -> None:
        self.check()

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.problem is not None:  # re-check as it is corrected
            self.check()


class ChoiceField(FormField):
    """A picklist or a Benefits Level: only values the platform recognises."""

    def __init__(
        self,
        field: str,
        options: Iterable[tuple[str, str]],
        value: str | None = None,
        *,
        label: str | None = None,
        required: bool | None = None,
        blank: str = "(none)",
    ) -> None:
        super().__init__(field, label=label, required=required)
        self.options = list(options)
        self.initial = value
        self.blank = blank

    def control(self) -> Widget:
        options = [(shown(prompt), value) for prompt, value in self.options]
        values = {value for _, value in self.options}
        if self.initial and self.initial not in values:
            # A stored value the platform no longer offers stays visible (and is not lost on save).
            options.append((shown(f"{self.initial} (not recognised by Benefits)"), self.initial))
            values.add(self.initial)
        initial: Any = self.initial if self.initial in values else Select.NULL
        return Select(
            options,
            value=initial,
            allow_blank=True,
            prompt=self.blank,
            id=f"input-{self.field}",
            compact=True,
        )

    @property
    def select(self) -> Select[str]:
        return cast("Select[str]", self.query_one(Select))

    def raw(self) -> str:
        if not self.is_mounted:
            return self.initial or ""
        value = self.select.value
        return "" if value is Select.NULL else str(value)

    def on_select_changed(self, event: Select.Changed) -> None:
        self.check()


def picklist_options(rules: PlatformRules, field: str) -> list[tuple[str, str]]:
    """(prompt, value) for a picklist: codes with their names (``F - Female``)."""
    names = PICKLIST_NAMES.get(field, {})
    return [
        (f"{value} - {names[value]}" if value in names else value, value)
        for value in rules.picklists.get(field, ())
    ]


def level_options(rules: PlatformRules) -> list[tuple[str, str]]:
    return [
        (f"{name} ({code})" if name and name != code else code, code) for code, name in rules.levels
    ]


def field_for(field: str, rules: PlatformRules, value: str = "", **kwargs: Any) -> FormField:
    """The right control for a CSV-named field, with the platform's options."""
    if field in PICKLIST_FIELDS:
        widget: FormField = ChoiceField(
            field, picklist_options(rules, field), value or None, **kwargs
        )
    elif field == "benefits_level":
        widget = ChoiceField(
            field, level_options(rules), value or None, blank="(no level)", **kwargs
        )
    else:
        widget = TextField(field, value, **kwargs)
    widget.rules = rules
    return widget


def text_of(value: Any) -> str:
    """A stored value as the text a field edits."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def check_all(fields: Iterable[FormField]) -> tuple[dict[str, str], FormField | None]:
    """Check every field; (raw text by field, the first invalid field or None)."""
    raw: dict[str, str] = {}
    first: FormField | None = None
    for widget in fields:
        widget.check()
        raw[widget.field] = widget.raw()
        if widget.problem is not None and first is None:
            first = widget
    return raw, first


def show_problems(fields: Iterable[FormField], problems: Mapping[str, str]) -> FormField | None:
    """Put the services' problems (by field name) on their fields; the first one, if any."""
    first: FormField | None = None
    for widget in fields:
        names = {
            widget.field,
            "benefit_level" if widget.field == "benefits_level" else widget.field,
        }
        for name in names:
            if name in problems:
                widget.set_problem(f"{widget.label_text} {problems[name]}")
                first = first or widget
    return first


def focus_control(widget: FormField) -> None:
    widget.query_one(".field-control").focus()
