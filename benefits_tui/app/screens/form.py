"""What the four form screens (employee, starter, leaver, level) share: the read-only user.

A user whose role may not take a form's action is told why on the form's ``#refusal`` line,
finds its fields and button disabled, sees the key disabled in the footer, and is told again
if they press it (RULES §1.10, 3). Each form names its permission, its guarded action and
what a refused try says; this class does the rest.
"""

from __future__ import annotations

from typing import ClassVar

from textual.screen import Screen, ScreenResultType
from textual.widgets import Static

from benefits_tui.app.host import host_of
from benefits_tui.app.widgets.forms import notify, shown
from benefits_tui.services.errors import NotFound
from benefits_tui.services.permissions import Permission
from benefits_tui.services.queries import EmployeeDetail, employee_detail


class FormScreen(Screen[ScreenResultType]):
    """A form with one action a read-only user may not take.

    A modal form names ``ModalScreen`` first (``class X(ModalScreen[T], FormScreen[T])``):
    Textual takes default CSS along the first base only, and the dimmed backdrop is there.
    """

    GUARDED: ClassVar[str | None] = None
    """The guarded action, and the id of its button (disabled when refused). None where the
    form has no such button (the starter's Next also goes through the steps)."""
    NOT_DONE: ClassVar[str]
    """How the warning for a refused try begins, e.g. "Not saved"."""

    def __init__(
        self, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.refused: str | None = None
        self.saving = False

    @staticmethod
    def refusal_line() -> Static:
        """The ``#refusal`` line for ``compose``: hidden until there is a refusal to show."""
        line = Static("", id="refusal", markup=False)
        line.display = False
        return line

    def look_up_refusal(self, permission: Permission) -> None:
        """Look up why the acting user may not do ``permission`` (None: they may)."""
        self.refused = host_of(self).services.refusal(permission)

    def show_refusal(self) -> None:
        """Say why on the ``#refusal`` line and disable the button and every field: a
        read-only user cannot type into a form whose save would refuse them (RULES §3).
        Call it once the fields are mounted."""
        if not self.refused:
            return
        line = self.query_one("#refusal", Static)
        line.update(shown(f"Read only: {self.refused}."))
        line.display = True
        if self.GUARDED:
            self.query_one(f"#{self.GUARDED}").disabled = True
        for control in self.query(".field-control"):
            control.disabled = True

    def refused_now(self) -> bool:
        """True, once the user is told why, when a read-only user tries the guarded action."""
        if self.refused:
            notify(self.app, f"{self.NOT_DONE}: {self.refused}.", severity="warning")
        return bool(self.refused)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == self.GUARDED and self.refused:
            return None  # shown disabled in the footer; the #refusal line says why
        return True


async def detail_or_close(form: Screen[bool], employee_id: int) -> EmployeeDetail | None:
    """The employee a form is about; None, once the user is told there is no such employee
    and the form is closed with False (nothing done)."""
    try:
        return await employee_detail(host_of(form).services, employee_id)
    except NotFound as exc:
        notify(form.app, str(exc), severity="error")
        form.dismiss(False)
        return None
