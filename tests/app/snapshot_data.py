"""The snapshots' data: employees in every state, written once per test run and copied for
each snapshot (the ``template`` fixture in tests/app/conftest.py), and the app opened on it."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import shutil
from pathlib import Path

import pytest

from benefits_tui.app.app import BenefitsApp
from benefits_tui.config import Role
from benefits_tui.platform.simulator import store
from benefits_tui.services.clock import ManualClock
from benefits_tui.services.queries import employee_detail
from benefits_tui.services.reconcile.engine import reconcile
from benefits_tui.services.sync.requests import Selection, request_sync
from benefits_tui.services.sync.worker import SyncWorker
from tests.app.conftest import START, context_for
from tests.conftest import make_settings
from tests.helpers import Simulator, add_people, drain
from tests.reconcile.common import patch_account

# The app's clock: 20 minutes after the data was written, so the oldest In progress is stuck.
SHOWN_AT = START + dt.timedelta(minutes=20)


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
