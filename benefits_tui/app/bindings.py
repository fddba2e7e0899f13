"""Every key of the app, kept apart from the actions (SPEC 3).

Letter keys live on the grid, so they act only while the grid has focus: a search box
consumes printable keys. The help screen and the command palette read these lists.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

APP_BINDINGS: list[BindingType] = [
    Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
]

SCREEN_BINDINGS: list[BindingType] = [
    Binding("1", "show_tab('not_syncing')", "Not syncing", show=False),
    Binding("2", "show_tab('in_progress')", "In progress", show=False),
    Binding("3", "show_tab('successful')", "Successful", show=False),
    Binding("4", "show_tab('failed')", "Failed", show=False),
    Binding("slash", "focus_search", "Search", show=False),  # the search bar says so
    Binding("question_mark", "help", "Keys"),
    Binding("r", "refresh", "Refresh", show=False),
    Binding("i", "integration", "Integration", show=False),
    Binding("d", "drift", "Drift", show=False),
    Binding("q", "app.quit", "Quit"),
]

SEARCH_BINDINGS: list[BindingType] = [
    Binding("escape", "leave", "Back to grid", show=False),
    Binding("down", "leave", "Back to grid", show=False),
]

TABLE_BINDINGS: list[BindingType] = [
    Binding("space", "tick", "Tick"),
    Binding("a", "toggle_all", "All"),
    Binding("s", "screen.sync", "Sync"),
    Binding("b", "screen.assign_level", "Level"),
    Binding("e", "screen.edit_employee", "Edit"),
    Binding("n", "screen.new_employee", "New"),
    Binding("l", "screen.leaver", "Leaver"),
    Binding("enter", "activate", "History", show=False),
    Binding("shift+down", "tick_down", "Tick down", show=False),
    Binding("shift+up", "tick_up", "Tick up", show=False),
    Binding("up,k", "cursor_up", "Up", show=False),
    Binding("down,j", "cursor_down", "Down", show=False),
    Binding("pageup,ctrl+b", "page_up", "Page up", show=False),
    Binding("pagedown,ctrl+f", "page_down", "Page down", show=False),
    Binding("home,g", "first", "First", show=False),
    Binding("end,G", "last", "Last", show=False),
]

DETAIL_BINDINGS: list[BindingType] = [
    Binding("escape", "screen.focus_table", "Back to grid"),
]

CONFIRM_BINDINGS: list[BindingType] = [
    Binding("y", "confirm", "Sync"),
    Binding("escape,n", "cancel", "Cancel"),
]

# What the help screen shows, in the order of SPEC 3.
KEY_HELP: list[tuple[str, str]] = [
    ("1 2 3 4", "Switch to Not syncing / In progress / Successful / Failed"),
    ("/", "Search (name, email, employee number); escape or enter returns to the grid"),
    ("space", "Tick / untick the highlighted row"),
    ("shift+↑ shift+↓", "Tick a range"),
    ("a", "Tick every row in the current filter, or untick all"),
    ("s", "Sync the ticked rows, or the highlighted one (Not syncing, Failed)"),
    ("enter", "Show the highlighted employee's details and history"),
    ("b", "Assign a Benefits Level to the ticked rows (or the highlighted one)"),
    ("e", "Open the highlighted employee (Employment Details)"),
    ("n", "Add a new employee"),
    ("l", "Leaver workflow for the highlighted employee"),
    ("d", "Drift view: what differs between HR and the platform, and its repairs"),
    ("r", "Refresh now"),
    ("i", "Integration settings and connection test (admins)"),
    ("↑ ↓ j k", "Move"),
    ("pgup pgdn g G", "Page up / down, first / last row"),
    ("ctrl+p", "Command palette: every action by name"),
    ("?", "This help"),
    ("q ctrl+q", "Quit"),
]
