"""Messages shared by the app's screens and widgets."""

from __future__ import annotations

from textual.message import Message


class DataChanged(Message):
    """Employees or sync records changed (here or in another terminal): reload what shows."""

    def __init__(self, marker: int | None = None) -> None:
        self.marker = marker
        super().__init__()


class RowHighlighted(Message):
    """The cursor of a grid moved to an employee (None: the grid is empty)."""

    def __init__(self, employee_id: int | None) -> None:
        self.employee_id = employee_id
        super().__init__()


class RowActivated(Message):
    """``enter`` on a row: show that employee's details and history."""

    def __init__(self, employee_id: int) -> None:
        self.employee_id = employee_id
        super().__init__()


class TicksChanged(Message):
    """How many rows are ticked changed."""

    def __init__(self, count: int) -> None:
        self.count = count
        super().__init__()
