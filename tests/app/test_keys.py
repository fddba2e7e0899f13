"""The key table: every key, help line and palette command reaches a real action."""

from __future__ import annotations

from textual.app import App

from benefits_tui.app.bindings import COMMANDS, KEY_HELP, KEYS, Where
from benefits_tui.app.screens.benefits_management import BenefitsManagementScreen
from benefits_tui.app.widgets.employee_table import EmployeeTable

# Commands the palette runs on the grid, not the screen (see ``run_command``).
GRID_COMMANDS = {"tick", "toggle_all", "clear_ticks"}


def _implemented(owner: type, action: str) -> bool:
    name = action.split("(", 1)[0]
    return callable(getattr(owner, f"action_{name}", None)) or (
        owner is EmployeeTable and name == "clear_ticks"
    )


def test_every_bound_key_has_its_action() -> None:
    owners = {
        Where.APP: App,
        Where.SCREEN: BenefitsManagementScreen,
        Where.TABLE: EmployeeTable,
        Where.TEXTUAL: App,
    }
    for key in KEYS:
        namespace, _, action = key.action.rpartition(".")
        owner = {"screen": BenefitsManagementScreen, "app": App}.get(namespace, owners[key.where])
        assert _implemented(owner, action), key


def test_every_palette_command_reaches_an_action() -> None:
    assert len({title for title, _, _ in COMMANDS}) == len(COMMANDS)
    for title, _, action in COMMANDS:
        owner = EmployeeTable if action in GRID_COMMANDS else BenefitsManagementScreen
        assert _implemented(owner, action), title


def test_the_help_lists_every_key() -> None:
    listed = " ".join(keys for keys, _ in KEY_HELP).split()
    for key in KEYS:
        for shown in key.shown_keys.split():
            assert shown in listed, key
    assert ("?", "Every key of this screen") in KEY_HELP
    assert ("1 2 3 4", "Switch to Not syncing / In progress / Successful / Failed") in KEY_HELP
