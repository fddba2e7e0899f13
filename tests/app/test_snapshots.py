"""SVG snapshots of every screen at 80x24 and 120x36 (fixed data, fixed clock, UTC).

One database is prepared per test run (tests/app/snapshot_data.py) and copied for each test,
so a snapshot costs one app start. Update after an intended change with
``pytest tests/app/test_snapshots.py --snapshot-update`` and look at the diff (CONTRIBUTING.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandList
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from benefits_tui.config import Role
from tests.app.snapshot_data import snapshot_app
from tests.helpers import fill_form, press, settle

SIZES = {"80x24": (80, 24), "120x36": (120, 36)}

Steps = Callable[[Pilot[Any]], Awaitable[None]]


def keys(*pressed: str) -> Steps:
    """Settle, press ``pressed`` one by one (each settled: dialogs load data), settle."""

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in pressed:
            await press(pilot, key)

    return run


def steady(steps: Steps) -> Steps:
    """``steps``, then the text cursors stop blinking (a blink would be caught half the time)."""

    async def run(pilot: Pilot[Any]) -> None:
        await steps(pilot)
        for screen in pilot.app.screen_stack:
            for widget in screen.query(Input):
                widget.cursor_blink = False
        await pilot.pause()

    return run


def then(*steps: Steps) -> Steps:
    async def run(pilot: Pilot[Any]) -> None:
        for step in steps:
            await step(pilot)

    return run


def fill(**values: str) -> Steps:
    """Set the fields of the form on screen (``input-<name>``) at once, then settle."""

    async def run(pilot: Pilot[Any]) -> None:
        fill_form(pilot.app.screen, **values)
        await settle(pilot)

    return run


def palette(query: str) -> Steps:
    """The command palette with ``query`` typed, once its list of hits has settled."""

    async def run(pilot: Pilot[Any]) -> None:
        await keys("ctrl+p")(pilot)
        await pilot.press(*query)
        commands = pilot.app.screen.query_one(CommandList)
        counts: list[int] = []
        for _ in range(100):  # the palette gathers hits in batches, on timers
            await settle(pilot)
            counts.append(commands.option_count)
            if commands.display and len(counts) >= 3 and counts[-1] == counts[-3] > 0:
                break
            await pilot.pause(0.05)

    return run


def drift_view() -> Steps:
    """The Drift view once its findings and the first one's fields are in their tables."""

    async def run(pilot: Pilot[Any]) -> None:
        await keys("d")(pilot)
        screen = pilot.app.screen
        for _ in range(100):  # the view fills its tables in a worker, then a refresh later
            if all(table.row_count for table in screen.query(DataTable)):
                break
            await pilot.pause(0.05)
        await settle(pilot)

    return run


def action(name: str) -> Steps:
    async def run(pilot: Pilot[Any]) -> None:
        await pilot.app.screen.run_action(name)
        await settle(pilot)

    return run


PERSONAL = fill(
    title="Ms",
    forenames="Ada",
    surname="Lovelace",
    email="ada.lovelace@example.com",
    date_of_birth="1990-12-10",
    gender="F",
)
EMPLOYMENT = fill(
    job_title="Analyst",
    department="Finance",
    start_date="2026-02-01",
    annual_pay="41000",
    pay_basis="Salary",
    pay_frequency="Monthly",
)
WIZARD = keys("n", "enter")
NEXT = keys("ctrl+s")

SCREENS: dict[str, Steps] = {
    "main_not_syncing": keys(),
    "main_in_progress": keys("2"),
    "main_successful": keys("3"),
    "main_failed": keys("4"),
    "detail_pane": keys("2", "enter"),
    "confirm_sync": keys("a", "s"),
    "employee": keys("e"),
    "new_employee_choice": keys("n"),
    "wizard_personal": WIZARD,
    "wizard_employment": then(WIZARD, PERSONAL, NEXT),
    "wizard_benefits": then(WIZARD, PERSONAL, NEXT, EMPLOYMENT, NEXT),
    "wizard_review": then(
        WIZARD, PERSONAL, NEXT, EMPLOYMENT, NEXT, fill(benefits_level="CORE"), NEXT
    ),
    "personal_details_only": then(keys("n"), action("choose('personal_only')")),
    "leaver": keys("l"),
    "assign_level": keys("b"),
    "drift": drift_view(),
    "help": keys("question_mark"),
    "command_palette": palette("tick"),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", SCREENS)
def test_screen(
    snap_compare: Any,
    template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    screen: str,
    size: str,
) -> None:
    app = snapshot_app(template, tmp_path, monkeypatch)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=steady(SCREENS[screen]))


@pytest.mark.parametrize("size", SIZES)
def test_integration_screen(
    snap_compare: Any, template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: str
) -> None:
    app = snapshot_app(template, tmp_path, monkeypatch, role=Role.ADMIN)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=steady(keys("i")))


def test_main_screen_wide_failed_tab(
    snap_compare: Any, template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From 140 columns the detail pane sits beside the grid."""
    app = snapshot_app(template, tmp_path, monkeypatch)
    assert snap_compare(app, terminal_size=(160, 36), run_before=steady(keys("4")))
