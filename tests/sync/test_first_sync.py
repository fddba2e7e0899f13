"""First sync (RULES §1.2, 1.4): link by email or create; then updates go by account ID."""

from __future__ import annotations

from benefits_tui.domain.states import SyncState
from benefits_tui.services.queries import count_by_state, employee_detail
from benefits_tui.services.sync.requests import Selection, request_sync
from benefits_tui.services.sync.worker import SyncWorker
from tests.helpers import Simulator, add_people, drain, services


async def test_new_employees_are_created_once_and_linked(database_url: str) -> None:
    sim = Simulator()
    async with services(database_url, sim) as context:
        ids = await add_people(context, 5)
        result = await request_sync(context, Selection.of(ids))
        assert result.queued == 5
        counts = await count_by_state(context)
        assert counts[SyncState.IN_PROGRESS] == 5
        await drain(SyncWorker(context), 20)
        counts = await count_by_state(context)
        assert counts[SyncState.SUCCESSFUL] == 5
        detail = await employee_detail(context, ids[0])
        assert detail.account_id
        actions = [str(event.action) for event in detail.history]
        assert actions[0] == "succeeded"
        assert "created" in actions and "requested" in actions
    stats = await sim.stats()
    assert stats["accounts"] == 5
    assert stats["duplicate_emails"] == 0
