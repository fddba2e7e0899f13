"""Snapshots of the main screen and the Confirm Sync dialog (fixed clock and data)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from benefits_tui.app.app import BenefitsApp
from benefits_tui.services.clock import ManualClock
from benefits_tui.services.sync.requests import Selection, request_sync
from tests.app.conftest import START, context_for
from tests.conftest import make_settings
from tests.helpers import Simulator, add_people


def prepare(url: str, sim: Simulator) -> None:
    async def body() -> None:
        async with context_for(url, sim) as context:
            await add_people(context, 24)
            await add_people(
                context, 1, start=30, forenames="Bob [/x]", surname="[bold]Smith [admin]"
            )
            failing = await add_people(context, 2, start=40, email=None)
            queued = await add_people(context, 3, start=50)
            await request_sync(context, Selection.of(failing + queued))

    asyncio.run(body())


@pytest.fixture
def snapshot_app(sqlite_url: str) -> BenefitsApp:
    sim = Simulator()
    prepare(sqlite_url, sim)
    return BenefitsApp(
        make_settings(sqlite_url),
        start_worker=False,
        poll_seconds=None,
        clock=ManualClock(START),
        transport=sim.transport,
    )


async def _settled(pilot: Any) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_main_screen_80x24(snap_compare: Any, snapshot_app: BenefitsApp) -> None:
    assert snap_compare(snapshot_app, terminal_size=(80, 24), run_before=_settled)


def test_main_screen_wide_failed_tab(snap_compare: Any, snapshot_app: BenefitsApp) -> None:
    async def run_before(pilot: Any) -> None:
        await _settled(pilot)
        await pilot.press("4")
        await _settled(pilot)

    assert snap_compare(snapshot_app, terminal_size=(160, 36), run_before=run_before)


def test_confirm_sync_dialog(snap_compare: Any, snapshot_app: BenefitsApp) -> None:
    async def run_before(pilot: Any) -> None:
        await _settled(pilot)
        await pilot.press("a", "s")
        await _settled(pilot)

    assert snap_compare(snapshot_app, terminal_size=(80, 24), run_before=run_before)


__all__ = ["Path"]
