"""The worker's reconciliation schedule (`reconcile_every_minutes`, off by default)."""

from __future__ import annotations

import datetime as dt

from benefits_tui.config import Role
from benefits_tui.services.admin_settings import save_admin_settings
from benefits_tui.services.clock import ManualClock
from benefits_tui.services.reconcile.schedule import run_if_due
from benefits_tui.services.reconcile.store import last_reconciliation
from tests.helpers import Simulator, add_people, services

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


async def test_runs_only_when_due_and_once_per_interval(database_url: str) -> None:
    sim = Simulator()
    clock = ManualClock(START)
    async with services(database_url, sim, clock=clock) as context:
        await add_people(context, 2)
        assert await run_if_due(context) is None  # off by default
        context.role = Role.ADMIN
        await save_admin_settings(context, reconcile_every_minutes=30)
        first = await run_if_due(context)
        assert first is not None and first.checked_employees == 2
        clock.advance(29 * 60)
        assert await run_if_due(context) is None  # another worker ran it 29 minutes ago
        clock.advance(2 * 60)
        second = await run_if_due(context)
        assert second is not None and second.id > first.id
        last = await last_reconciliation(context)
        assert last.summary is not None and last.summary.id == second.id
