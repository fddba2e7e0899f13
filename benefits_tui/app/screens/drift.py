"""The Drift view (key ``d``, RULES §1.16): what differs between HR and the platform.

Drift is grouped by kind with counts (left), the findings of the chosen kind are listed
(right), and the highlighted one shows HR's and the platform's values side by side. HR users
can re-send HR's values (an update by account ID, through the sync queue and history) or link
an unlinked match (after a Confirm dialog); read-only users see everything but the repairs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Footer, OptionList, Static
from textual.widgets.data_table import CellDoesNotExist
from textual.widgets.option_list import Option

from benefits_tui.app.host import host_of
from benefits_tui.app.text import clean, literal
from benefits_tui.domain.wording import plural
from benefits_tui.services.permissions import Permission
from benefits_tui.services.reconcile.engine import reconcile
from benefits_tui.services.reconcile.findings import DriftKind
from benefits_tui.services.reconcile.repairs import link_finding, resend_hr_values
from benefits_tui.services.reconcile.store import (
    FindingRow,
    LastReconciliation,
    last_reconciliation,
    list_findings,
)

if TYPE_CHECKING:
    from benefits_tui.services.context import ServiceContext

PAGE = 1000  # findings read at a time; the next page loads when the cursor reaches the last row
VALUE_CHARS = 60
NAME_CHARS = 28  # a name's widest column (the detail pane's title has it whole)
KINDS_WIDTH = 30  # the kinds list, #kinds in drift.tcss
NARROW_BELOW = 100  # columns: below, the Account column goes to the detail pane's title
TITLE = "Drift: HR vs the Benefits platform"

REPAIRS = {
    "resend": ("Re-send HR's values", DriftKind.FIELD_DRIFT),
    "link": ("Link account", DriftKind.UNLINKED_MATCH),
}


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.2f}"  # pay: the platform's 30000 and HR's "30000.00" look alike
    return str(value)


# HR's word for an account's status and the platform's, when they agree (not drift).
SAME_STATUS = {("current", "active"), ("leaver", "terminated")}


def _differs(name: str, hr: Any, platform: Any) -> bool:
    if name == "status":
        return (hr, platform) not in SAME_STATUS
    if name == "email" and isinstance(hr, str) and isinstance(platform, str):
        return hr.casefold() != platform.casefold()  # the platform looks emails up so too
    if name == "annual_pay":
        return _value(_number(hr)) != _value(_number(platform))
    return bool(hr != platform)


def _number(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


class FindingsTable(DataTable[Any]):
    """The findings, with the main grid's keys for the first and last row (``end`` and ``G``
    go to the last row read, which loads the next page) and ``j`` down (``k`` is Link here)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home,g", "scroll_top", "First row", show=False),
        Binding("end,G", "scroll_bottom", "Last row", show=False),
        Binding("j", "cursor_down", "Down", show=False),
    ]


class DriftScreen(Screen[None]):
    """Drift grouped by kind; the highlighted finding's values side by side; the repairs."""

    CSS_PATH = "drift.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back"),
        Binding("u", "resend", "Re-send HR's values"),
        Binding("k", "link", "Link account"),
        Binding("r", "run", "Check now"),
        Binding("tab", "app.focus_next", "Next pane", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.last: LastReconciliation | None = None
        self.kind: DriftKind = DriftKind.FIELD_DRIFT
        self.rows: dict[int, FindingRow] = {}
        self.total = 0  # findings of the shown kind (``rows`` holds the pages read so far)
        self.narrow = False  # the layout the findings table was built for (below NARROW_BELOW)
        self.width = 0  # the screen width it was built for
        self.running = False

    @property
    def services(self) -> ServiceContext:
        return host_of(self).services

    def compose(self) -> ComposeResult:
        with Horizontal(id="drift-title"):
            yield Static(Content.styled(TITLE, "bold"), id="title")
            yield Static("", id="last-run", markup=False)
        with Horizontal(id="drift-body"):
            yield OptionList(id="kinds")
            with Vertical(id="drift-main"):
                yield FindingsTable(id="findings", cursor_type="row", zebra_stripes=True)
                yield Static("", id="shown-note", markup=False)
                sides: DataTable[Any] = DataTable(id="sides", cursor_type="none")
                sides.add_columns("", "Field", "HR", "Platform")
                yield sides
        yield Static("", id="drift-status", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#findings").focus()
        self._fit(self.app.size.width)
        self.reload()

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    # ------------------------------------------------------------------ layout
    def _fit(self, width: int) -> None:
        """Build the findings table for ``width`` columns. At 80 the four columns did not fit
        beside the kinds: below NARROW_BELOW the Account column goes (the detail pane's title
        names the account), and at every width the columns are sized so that What, the point
        of a finding, is on screen."""
        if width == self.width:
            return
        self.width = width
        self.narrow = width < NARROW_BELOW
        title = Content.styled("Drift" if self.narrow else TITLE, "bold")
        self.query_one("#title", Static).update(title)
        self._fill_table()
        self._show_sides()

    def _columns(self) -> list[tuple[str, int]]:
        """The findings table's columns and widths: What, the point of a finding, gets the rest
        of the width (about half at least); names and account IDs are cut before it is."""
        count = 3 if self.narrow else 4
        # The table's width (the screen's, less the kinds), less the vertical scrollbar and a
        # cell padding each side. From the screen's width: the table's is not laid out yet.
        room = max(30, self.width - KINDS_WIDTH - 2 - 2 * count)
        rows = self.rows.values()
        employee = min(10, max([8, *(len(row.employee_number or "—") for row in rows)]))
        account = (
            0 if self.narrow else min(28, max([7, *(len(row.account_id or "—") for row in rows)]))
        )
        rest = room - employee - account
        longest = max([4, *(len(row.employee_name or "no HR employee") for row in rows)])
        name = min(longest, max(10, rest // 2 - 1), 24 if self.narrow else NAME_CHARS)
        columns = [("Employee", employee), ("Name", name)]
        if not self.narrow:
            columns.append(("Account", account))
        return [*columns, ("What", rest - name)]

    def _fill_table(self) -> None:
        """(Re)build the findings table from ``rows`` for the current layout, cursor kept."""
        table = self.query_one("#findings", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        for label, width in self._columns():
            table.add_column(label, width=width)
        self._add_rows(list(self.rows.values()))
        if 0 < cursor < table.row_count:
            table.move_cursor(row=cursor)

    def _add_rows(self, rows: list[FindingRow]) -> None:
        table = self.query_one("#findings", DataTable)
        for row in rows:
            cells = [
                _cell(row.employee_number or "—"),
                _cell(row.employee_name or "no HR employee"),
            ]
            if not self.narrow:
                cells.append(_cell(row.account_id or "—"))
            cells.append(_cell(self._what(row)))
            table.add_row(*cells, key=str(row.id))

    # ------------------------------------------------------------------ loading
    def reload(self) -> None:
        self._load()

    @work(exclusive=True, group="drift-load")
    async def _load(self) -> None:
        self.last = await last_reconciliation(self.services)
        self.query_one("#last-run", Static).update(self._last_run_text())
        kinds = self.query_one("#kinds", OptionList)
        summary = self.last.summary
        if summary is not None and not summary.counts.get(self.kind, 0):
            # Open on a kind that has findings, so the arrows have rows to move through.
            self.kind = next((k for k in DriftKind if summary.counts.get(k, 0)), self.kind)
        kinds.clear_options()
        for kind in DriftKind:
            count = summary.counts.get(kind, 0) if summary else 0
            kinds.add_option(Option(f"{kind.label} ({count:,})", id=kind.value))
        kinds.highlighted = list(DriftKind).index(self.kind)
        await self._load_findings()

    def _last_run_text(self) -> Content:
        last = self.last
        if last is None or last.summary is None:
            text = Content("never checked: press r")
        else:
            summary = last.summary
            text = Content(
                f"checked {summary.finished_at.astimezone():%Y-%m-%d %H:%M} by "
                f"{clean(summary.actor)}: {plural(summary.checked_employees, 'employee')}, "
                f"{plural(summary.platform_accounts, 'account')}"
            )
        if last is not None and last.failed_at is not None:
            text = Content.assemble(
                text,
                Content.styled(
                    f" · last check failed {last.failed_at.astimezone():%H:%M}: "
                    f"{clean(last.error)}",
                    "$text-error",
                ),
            )
        return text

    async def _load_findings(self) -> None:
        self.rows = {}
        summary = self.last.summary if self.last else None
        self.total = summary.counts.get(self.kind, 0) if summary else 0
        if summary is not None:
            for row in await list_findings(self.services, summary.id, kind=self.kind, limit=PAGE):
                self.rows[row.id] = row
        self._fill_table()
        self._show_note()
        self._show_sides()

    @work(exclusive=True, group="drift-page")
    async def _load_more(self) -> None:
        """The next page of findings, once the cursor reaches the last row read."""
        summary = self.last.summary if self.last else None
        if summary is None or not self.rows or len(self.rows) >= self.total:
            return
        kind = self.kind
        rows = await list_findings(
            self.services, summary.id, kind=kind, limit=PAGE, after_id=max(self.rows)
        )
        if kind is not self.kind:  # another kind was chosen meanwhile
            return
        new = [row for row in rows if row.id not in self.rows]
        for row in new:
            self.rows[row.id] = row
        if len(new) < len(rows) or not rows:  # repaired meanwhile: the count moved
            self.total = len(self.rows)
        self._add_rows(new)
        self._show_note()

    def _show_note(self) -> None:
        """How many findings of the kind there are, and how many are listed (RULES §1.16: never
        a silent cut at the first page)."""
        shown = len(self.rows)
        note = f"{self.kind.label}: {plural(self.total, 'finding')}"
        if self.total > shown:
            note = (
                f"{self.kind.label}: showing {shown:,} of {self.total:,} findings (the next "
                f"{min(PAGE, self.total - shown):,} load as you move down)"
            )
        self.query_one("#shown-note", Static).update(literal(note))

    def _what(self, row: FindingRow) -> str:
        if row.kind is DriftKind.FIELD_DRIFT:
            return ", ".join(row.fields)
        status = row.values.get("status", {}).get("platform")
        email = row.values.get("email", {}).get("platform")
        # A match or an orphan is known by its email; the other kinds by the account's status.
        first = (
            (email, status)
            if row.kind in (DriftKind.UNLINKED_MATCH, DriftKind.ORPHAN)
            else (status, email)
        )
        return " · ".join(str(part) for part in first if part)

    @property
    def current(self) -> FindingRow | None:
        table = self.query_one("#findings", DataTable)
        if not self.rows or table.cursor_row < 0:
            return None
        try:
            key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        except CellDoesNotExist:
            return None
        return self.rows.get(int(key)) if key is not None else None

    def _show_sides(self) -> None:
        sides = self.query_one("#sides", DataTable)
        sides.clear()
        finding = self.current
        sides.border_title = None
        if finding is None:
            return
        # Whose values these are, whole (the narrow table has no Account column, and cuts names).
        who = finding.employee_number or "no HR employee"
        if finding.employee_name:
            who += f" {finding.employee_name}"
        sides.border_title = literal(f"account {finding.account_id or '—'} · {who}")
        # Both values must fit beside each other, even at 80 columns.
        limit = max(12, min(VALUE_CHARS, (sides.size.width - 24) // 2))
        rows = []
        for name, pair in finding.values.items():
            hr, platform = pair.get("hr"), pair.get("platform")
            differs = name in finding.fields or (
                finding.kind is not DriftKind.FIELD_DRIFT
                and hr is not None
                and platform is not None
                and _differs(name, hr, platform)
            )
            rows.append((not differs, name, hr, platform, differs))
        for _, name, hr, platform, differs in sorted(rows, key=lambda row: row[0]):
            sides.add_row(
                Text("≠", style="bold red") if differs else Text(""),
                Text(name),
                Text(clean(_value(hr), limit=limit)),
                Text(clean(_value(platform), limit=limit)),
            )

    @on(OptionList.OptionHighlighted, "#kinds")
    async def _kind_chosen(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id != self.kind.value:
            self.kind = DriftKind(event.option.id)
            await self._load_findings()

    @on(DataTable.RowHighlighted, "#findings")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_sides()
        if event.cursor_row >= event.data_table.row_count - 1 and len(self.rows) < self.total:
            self._load_more()

    # ------------------------------------------------------------------ actions
    def disabled_reason(self, action: str) -> str | None:
        """Why a repair cannot run now (RULES §1.10: read-only users see no repairs)."""
        if action in REPAIRS or action == "run":
            refused = self.services.refusal(Permission.RECONCILE)
            if refused:
                return refused
        if action in REPAIRS:
            what, kind = REPAIRS[action]
            if self.kind is not kind:
                return f"{what} works on '{kind.label}' findings"
        if action == "run" and not self.services.has_platform:
            return "No platform configured (BENEFITS_API_URL)"
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in REPAIRS or action == "run":
            return None if self.disabled_reason(action) else True
        return True

    def _refused(self, action: str) -> bool:
        if reason := self.disabled_reason(action):
            self.notify(reason, severity="warning", markup=False)
            return True
        return False

    def _status(self, text: str) -> None:
        self.query_one("#drift-status", Static).update(literal(text))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_resend(self) -> None:
        if self._refused("resend"):
            return
        finding = self.current
        if finding is None:
            self.notify("No finding highlighted", severity="warning")
            return
        self._resend(finding)

    @work(exclusive=True, group="drift-repair")
    async def _resend(self, finding: FindingRow) -> None:
        try:
            result = await resend_hr_values(self.services, [finding])
        except Exception as exc:  # noqa: BLE001 - shown to the user as one line
            self.notify(_one_line(exc), severity="error", markup=False)
            return
        if result.queued:
            self.notify(
                f"HR's values are being sent to Benefits account {finding.account_id} "
                f"for {finding.employee_number} (In progress)",
                title="Re-send",
                markup=False,
            )
        else:
            self.notify(
                f"{finding.employee_number} is already being sent to Benefits",
                severity="warning",
                markup=False,
            )
        self._repaired()

    def action_link(self) -> None:
        if self._refused("link"):
            return
        finding = self.current
        if finding is None:
            self.notify("No finding highlighted", severity="warning")
            return
        from benefits_tui.app.screens.confirm import ConfirmDialog

        question = (
            f"Link {finding.employee_number} {finding.employee_name} to Benefits account "
            f"{finding.account_id}?"
        )
        detail = (
            "The account then belongs to this employee (one employee, one account) and HR's "
            "values are sent to it by account ID. History records who linked."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._link(finding)

        self.app.push_screen(ConfirmDialog("Link account", question, detail, "Link"), answered)

    @work(exclusive=True, group="drift-repair")
    async def _link(self, finding: FindingRow) -> None:
        try:
            await link_finding(self.services, finding)
        except Exception as exc:  # noqa: BLE001 - the one-to-one guard's reason, as one line
            self.notify(_one_line(exc), severity="error", markup=False)
            return
        self.notify(
            f"{finding.employee_number} linked to Benefits account {finding.account_id}; "
            "HR's values are being sent (In progress)",
            title="Linked",
            markup=False,
        )
        self._repaired()

    def _repaired(self) -> None:
        self._status("")  # "Checked: N differences found." is out of date once one is repaired
        self._changed()

    def _changed(self) -> None:
        host_of(self).refresh_data()
        self.reload()

    def action_run(self) -> None:
        if self._refused("run") or self.running:
            return
        self._run()

    @work(exclusive=True, group="drift-run")
    async def _run(self) -> None:
        self.running = True
        self._status("Checking every platform account…")

        def progress(accounts: int, calls: int) -> None:
            self._status(f"Checking: {accounts:,} platform accounts read ({calls:,} calls)…")

        try:
            summary = await reconcile(self.services, on_progress=progress)
        except Exception as exc:  # noqa: BLE001 - the platform's trouble, shown as one line
            self._status("")
            self.notify(f"Check failed: {_one_line(exc)}", severity="error", markup=False)
            return
        finally:
            self.running = False
        self._status(f"Checked: {plural(summary.total, 'difference')} found.")
        self._changed()


def _cell(text: str) -> Text:
    """A value from a person or the platform, cut with an ellipsis where its column ends."""
    return Text(clean(text), no_wrap=True, overflow="ellipsis")


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
