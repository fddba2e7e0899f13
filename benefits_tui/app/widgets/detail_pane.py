"""The detail pane: the highlighted employee's summary, linked account and sync history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from benefits_tui.app.bindings import DETAIL_BINDINGS
from benefits_tui.app.text import clean, literal, when
from benefits_tui.domain.states import SyncState

if TYPE_CHECKING:
    from benefits_tui.services.queries import EmployeeDetail, HistoryEvent

STATE_STYLES = {
    SyncState.NOT_SYNCING: "$text-muted",
    SyncState.IN_PROGRESS: "$text-warning",
    SyncState.SUCCESSFUL: "$text-success",
    SyncState.FAILED: "$text-error bold",
}


def _line(label: str, value: Content | str) -> Content:
    return Content.assemble((f"{label}: ", "$text-muted"), value, "\n")


def _value_or(value: str | None, missing: str, style: str = "$text-muted") -> Content:
    """``value`` shown literally, or where there is none, ``missing`` in ``style``."""
    return literal(value) if value else Content.styled(missing, style)


def describe(detail: EmployeeDetail) -> Content:
    """Everything the pane shows, as literal content (no markup from the data)."""
    parts: list[Content | str | tuple[str, str]] = [
        literal(detail.name or "(no name)", "bold"),
        ("  " + clean(detail.employee_number), "$text-muted"),
        "\n",
    ]
    if detail.title or detail.job_title or detail.department:
        bits = [clean(v) for v in (detail.job_title, detail.department) if v]
        parts.append(Content(" · ".join(bits) + "\n"))
    parts.append(_line("Email", _value_or(detail.email, "none", "$text-error")))
    parts.append(_line("Benefits Level", _value_or(detail.benefit_level, "not set")))
    status = Content.styled(detail.state.label, STATE_STYLES[detail.state])
    if detail.stuck:
        status = Content.assemble(status, ("  ⚠ stuck", "$text-warning bold"))
    parts.append(_line("Status", status))
    if detail.status_text and detail.status_text != detail.state.label:
        style = "$text-error" if detail.state is SyncState.FAILED else ""
        label = "Reason" if detail.state is SyncState.FAILED else "Now"
        parts.append(_line(label, literal(detail.status_text, style, multiline=True)))
    parts.append(_line("Benefits account", _value_or(detail.account_id, "not linked")))
    if detail.requested_at:
        parts.append(_line("Last requested", when(detail.requested_at)))
    if detail.last_synced_at:
        parts.append(_line("Last synced", when(detail.last_synced_at)))
    if detail.leave_date:
        reason = f" ({clean(detail.leave_reason)})" if detail.leave_reason else ""
        parts.append(_line("Leaver", f"{detail.leave_date:%Y-%m-%d}{reason}"))
    parts.append("\n")
    parts.append((f"Sync history ({len(detail.history)}, newest first)\n", "bold underline"))
    if not detail.history:
        parts.append(("No sync activity yet.\n", "$text-muted"))
    for event in detail.history:
        parts.append(describe_event(event))
    return Content.assemble(*parts)


def describe_event(event: HistoryEvent) -> Content:
    """One history event: when, who, what; then the platform's answer and the reason."""
    failed = event.action_label.lower() in ("failed", "hr rejected")
    parts: list[Content | str | tuple[str, str]] = [
        (when(event.at), "$text-muted"),
        "  ",
        literal(event.who, "$text-accent"),
        "  ",
        (event.action_label, "$text-error bold" if failed else "bold"),
        "\n",
    ]
    if event.status_code is not None or event.answer:
        code = f"HTTP {event.status_code} " if event.status_code is not None else ""
        parts.append(
            Content.assemble(
                "    answer: ", (code, "bold"), literal(event.answer, multiline=True), "\n"
            )
        )
    if event.reason:
        parts.append(
            Content.assemble(
                "    reason: ", literal(event.reason, "$text-error", multiline=True), "\n"
            )
        )
    return Content.assemble(*parts)


class DetailPane(VerticalScroll, can_focus=True):
    """Scrollable details of one employee; ``enter`` on a grid row focuses it."""

    BINDINGS = DETAIL_BINDINGS

    DEFAULT_CSS = """
    DetailPane {
        padding: 0 1;
        & > Static { width: 1fr; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.employee_id: int | None = None
        self.border_title = "Employee"

    def compose(self) -> ComposeResult:
        yield Static(Content.styled("No employee highlighted.", "$text-muted"), id="detail-body")

    def show(self, detail: EmployeeDetail | None) -> None:
        body = self.query_one("#detail-body", Static)
        if detail is None:
            self.employee_id = None
            self.border_title = "Employee"
            body.update(Content.styled("No employee highlighted.", "$text-muted"))
            return
        if detail.id != self.employee_id:
            self.scroll_home(animate=False)
        self.employee_id = detail.id
        self.border_title = literal(detail.employee_number)
        body.update(describe(detail))
