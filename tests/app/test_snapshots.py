"""SVG snapshots of every screen at 80x24 and 120x36 (fixed data, fixed clock, UTC).

One database is prepared per module and copied for each test, so a snapshot costs one app
start. Update after an intended change with ``pytest tests/app/test_snapshots.py
--snapshot-update`` and look at the diff (CONTRIBUTING.md).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandList
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select

from benefits_tui.app.app import BenefitsApp
from benefits_tui.config import Role
from benefits_tui.platform.simulator import store
from benefits_tui.services.clock import ManualClock
from benefits_tui.services.queries import employee_detail
from benefits_tui.services.reconcile.engine import reconcile
from benefits_tui.services.sync.requests import Selection, request_sync
from benefits_tui.services.sync.worker import SyncWorker
from tests.app.conftest import START, context_for
from tests.conftest import make_settings, new_sqlite_url
from tests.helpers import Simulator, add_people, drain, press, settle
from tests.reconcile.common import patch_account

SIZES = {"80x24": (80, 24), "120x36": (120, 36)}
# The app's clock: 20 minutes after the data was written, so the oldest In progress is stuck.
SHOWN_AT = START + dt.timedelta(minutes=20)

Steps = Callable[[Pilot[Any]], Awaitable[None]]


def prepare(url: str) -> None:
    """Employees in every state (synced, failing at once, queued, stuck, never sent) and drift."""

    async def body() -> None:
        sim = Simulator()
        async with context_for(url, sim, role=Role.ADMIN) as context:
            clock = context.clock
            assert isinstance(clock, ManualClock)
            await add_people(context, 24)
            await add_people(
                context, 1, start=30, forenames="Bob [/x]", surname="[bold]Smith [admin]"
            )
            # One at a time: the platform numbers its accounts in the order they are created.
            synced = await add_people(context, 4, start=60, department="People")
            for employee_id in synced:
                await request_sync(context, Selection.of([employee_id]))
                await drain(SyncWorker(context), 30)
            stuck = await add_people(context, 1, start=70)
            await request_sync(context, Selection.of(stuck))
            clock.advance(10 * 60)
            failing = await add_people(context, 2, start=40, email=None)
            queued = await add_people(context, 3, start=50)
            await request_sync(context, Selection.of(failing + queued))
            # Drift: the platform's administrator renamed one synced employee.
            account_id = (await employee_detail(context, synced[0])).account_id
            assert account_id is not None
            await patch_account(sim, account_id, {"surname": "Persson"})
            await reconcile(context)

    numbers = itertools.count(1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "new_account_id", lambda: f"acc_{next(numbers):020d}")
        asyncio.run(body())


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("snapshots")
    prepare(new_sqlite_url(directory))
    return directory / "hr.db"


def snapshot_app(
    template: Path,
    directory: Path,
    monkeypatch: pytest.MonkeyPatch,
    role: Role = Role.HR,
    theme: str | None = None,
) -> BenefitsApp:
    """The app on a copy of the prepared database, at the fixed clock."""
    shutil.copyfile(template, directory / "hr.db")
    # A relative path: the integration screen shows the database, the same in every run.
    monkeypatch.chdir(directory)
    return BenefitsApp(
        make_settings("sqlite+aiosqlite:///hr.db", default_role=role),
        start_worker=False,
        poll_seconds=None,
        clock=ManualClock(SHOWN_AT),
        transport=Simulator().transport,
        theme=theme,
    )


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
        screen = pilot.app.screen
        for name, value in values.items():
            widget = screen.query_one(f"#input-{name}")
            if isinstance(widget, Select):
                widget.value = value
            else:
                assert isinstance(widget, Input)
                widget.value = value
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
