"""Every key of the app, kept apart from the actions, in one table (:data:`KEYS`).

The bindings of the app, the main screen and its grids, the help list (``?``) and the command
palette (ctrl+p) are all derived from :data:`KEYS`, so they cannot drift apart: a new key is
one row here. Letter keys live on the grid, so they act only while the grid has focus: a
search box consumes printable keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from textual.binding import Binding, BindingType


class Where(Enum):
    """Where a key is bound."""

    APP = "app"  # anywhere
    SCREEN = "screen"  # the Benefits Management screen
    TABLE = "table"  # a grid, while it has focus
    TEXTUAL = "textual"  # bound by Textual itself (listed in the help only)


@dataclass(frozen=True, slots=True)
class Key:
    """One thing the user can do on the main screen: its keys, help line and palette entry."""

    action: str
    """The action as bound where it is bound (``screen.sync`` from a grid)."""
    keys: str
    """Textual key names, comma-separated; empty for a palette-only command."""
    label: str
    """The short name in the footer."""
    help: str
    """What it does: its line in the help and its explanation in the palette."""
    where: Where = Where.SCREEN
    show: bool = False
    """Shown in the footer."""
    priority: bool = False
    group: str = ""
    """One help line for consecutive keys of the same group (``1 2 3 4``), instead of theirs."""
    command: str = ""
    """Its title in the command palette; empty: not in the palette."""
    palette_action: str = ""
    """The screen's action the palette runs, when it is not :attr:`action`."""

    @property
    def binding(self) -> Binding:
        return Binding(self.keys, self.action, self.label, show=self.show, priority=self.priority)

    @property
    def shown_keys(self) -> str:
        """The keys as people read them (``shift+↑``, ``/``)."""
        return " ".join(_key_display(key) for key in self.keys.split(",") if key)

    @property
    def screen_action(self) -> str:
        """What the palette runs on the main screen."""
        return self.palette_action or self.action.removeprefix("screen.")


_SYMBOLS = {"up": "↑", "down": "↓", "slash": "/", "question_mark": "?"}
_NAMES = {"pageup": "pgup", "pagedown": "pgdn"}


def _key_display(key: str) -> str:
    *modifiers, name = key.strip().split("+")
    name = _SYMBOLS.get(name) or _NAMES.get(name) or name
    if modifiers == ["ctrl"]:
        return f"^{name}"  # as the footer writes it
    return "+".join([*modifiers, name])


_TABS = "Switch to Not syncing / In progress / Successful / Failed"

# In the order of the help list (the order of the product's specification).
KEYS: tuple[Key, ...] = (
    Key(
        "show_tab('not_syncing')",
        "1",
        "Not syncing",
        "Employees never sent to Benefits",
        group=_TABS,
        command="Show Not syncing",
    ),
    Key(
        "show_tab('in_progress')",
        "2",
        "In progress",
        "Sent or queued, waiting for the platform",
        group=_TABS,
        command="Show In progress",
    ),
    Key(
        "show_tab('successful')",
        "3",
        "Successful",
        "Confirmed by the platform",
        group=_TABS,
        command="Show Successful",
    ),
    Key(
        "show_tab('failed')",
        "4",
        "Failed",
        "Failed with a reason",
        group=_TABS,
        command="Show Failed",
    ),
    Key(
        "focus_search",
        "slash",  # not in the footer: the search bar says so
        "Search",
        "Search (name, email, employee number); enter returns to the grid, escape clears it",
        command="Search",
    ),
    Key(
        "tick",
        "space",
        "Tick",
        "Tick / untick the highlighted row",
        Where.TABLE,
        show=True,
        command="Tick / untick highlighted row",
    ),
    Key(
        "tick_up",
        "shift+up",
        "Tick up",
        "Tick the row above too",
        Where.TABLE,
        group="Tick a range",
    ),
    Key(
        "tick_down",
        "shift+down",
        "Tick down",
        "Tick the row below too",
        Where.TABLE,
        group="Tick a range",
    ),
    Key(
        "toggle_all",
        "a",
        "All",
        "Tick every row in the current filter, or untick all",
        Where.TABLE,
        show=True,
        command="Tick all in filter",
    ),
    Key("clear_ticks", "", "Clear ticks", "Untick every row", Where.TABLE, command="Clear ticks"),
    Key(
        "screen.sync",
        "s",
        "Sync",
        "Sync the ticked rows, or the highlighted one, from Not syncing or Failed",
        Where.TABLE,
        show=True,
        command="Sync to Benefits",
    ),
    Key(
        "activate",
        "enter",
        "History",
        "Show the highlighted employee's details and history",
        Where.TABLE,
        command="Show history",
        palette_action="focus_detail",
    ),
    Key(
        "screen.assign_level",
        "b",
        "Level",
        "Assign a Benefits Level to the ticked rows, or the highlighted one",
        Where.TABLE,
        show=True,
        command="Assign Benefits Level",
    ),
    Key(
        "screen.edit_employee",
        "e",
        "Edit",
        "Open the highlighted employee (Employment Details)",
        Where.TABLE,
        show=True,
        command="Open employee",
    ),
    Key(
        "screen.new_employee",
        "n",
        "New",
        "Add a new employee (starter wizard or Personal Details Only)",
        Where.TABLE,
        show=True,
        command="Add new employee",
    ),
    Key(
        "screen.leaver",
        "l",
        "Leaver",
        "Leaver workflow for the highlighted employee",
        Where.TABLE,
        show=True,
        command="Leaver",
    ),
    Key(
        "drift",
        "d",
        "Drift",
        "Drift view: what differs between HR and the platform, and its repairs",
        command="Drift view",
    ),
    Key("refresh", "r", "Refresh", "Reload counts and grids now", command="Refresh now"),
    Key(
        "integration",
        "i",
        "Integration",
        "Integration settings and connection test (admins)",
        command="Integration settings",
    ),
    Key("cursor_up", "up,k", "Up", "Move up", Where.TABLE, group="Move"),
    Key("cursor_down", "down,j", "Down", "Move down", Where.TABLE, group="Move"),
    Key("page_up", "pageup,ctrl+b", "Page up", "Page up", Where.TABLE, group="Page up / down"),
    Key(
        "page_down",
        "pagedown,ctrl+f",
        "Page down",
        "Page down",
        Where.TABLE,
        group="Page up / down",
    ),
    Key("first", "home,g", "First", "First row", Where.TABLE, group="First / last row"),
    Key("last", "end,G", "Last", "Last row", Where.TABLE, group="First / last row"),
    Key(
        "command_palette",
        "ctrl+p",
        "palette",
        "Command palette: every action by name",
        Where.TEXTUAL,
    ),
    Key("help", "question_mark", "Keys", "Every key of this screen", show=True, command="Keys"),
    Key("app.quit", "q", "Quit", "Quit", show=True, group="Quit"),
    Key("quit", "ctrl+q", "Quit", "Quit", Where.APP, priority=True, group="Quit"),
)


def bindings_for(where: Where) -> list[BindingType]:
    """The bindings of the keys bound at ``where``."""
    return [key.binding for key in KEYS if key.where is where and key.keys]


def key_help() -> list[tuple[str, str]]:
    """The help list: (keys, what they do), consecutive keys of one group on one line."""
    lines: list[tuple[str, str]] = []
    previous = ""
    for key in KEYS:
        if not key.keys:
            continue
        if key.group and key.group == previous:
            keys, text = lines[-1]
            lines[-1] = (f"{keys} {key.shown_keys}", text)
        else:
            lines.append((key.shown_keys, key.group or key.help))
        previous = key.group
    return lines


def palette_commands() -> list[tuple[str, str, str]]:
    """The command palette: (title, explanation with its key, action on the main screen)."""
    return [
        (
            key.command,
            f"{key.help} (key {key.shown_keys})" if key.keys else key.help,
            key.screen_action,
        )
        for key in KEYS
        if key.command
    ]


def screen_actions_by_key() -> dict[str, str]:
    """Each key of the main screen and its grids, and the screen action it stands for."""
    return {
        name.strip(): key.screen_action
        for key in KEYS
        if key.where in (Where.SCREEN, Where.TABLE)
        for name in key.keys.split(",")
        if name
    }


APP_BINDINGS = bindings_for(Where.APP)
SCREEN_BINDINGS = bindings_for(Where.SCREEN)
TABLE_BINDINGS = bindings_for(Where.TABLE)
KEY_HELP = key_help()
COMMANDS = palette_commands()
SCREEN_ACTION_OF_KEY = screen_actions_by_key()

# Keys of single widgets and dialogs (their footers say what they do).
SEARCH_BINDINGS: list[BindingType] = [
    Binding("escape", "clear_and_leave", "Clear search", show=False),
    Binding("down", "screen.focus_table", "Back to grid", show=False),
]

DETAIL_BINDINGS: list[BindingType] = [
    Binding("escape", "screen.focus_table", "Back to grid"),
]

CONFIRM_BINDINGS: list[BindingType] = [
    Binding("y", "confirm", "Sync"),
    Binding("escape,n", "cancel", "Cancel"),
]
