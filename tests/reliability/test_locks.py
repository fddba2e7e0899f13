"""PostgreSQL lock order: the employee row lock taken to finish a record (and by HR edits)
must not block the history INSERT of another transaction that already holds the record.

Every history row references its employee, so PostgreSQL's foreign-key check takes FOR KEY
SHARE on the employee row. A transaction holding the record that writes history (the claim
taking over a lease, any step's save) therefore needs that lock, while a transaction that
locked the employee FOR UPDATE and then wants the record waits for it: a deadlock (seen in
tests/reliability/test_chaos.py as "deadlock detected" and a worker traceback). FOR NO KEY
UPDATE still serialises HR edits with the worker and is compatible with FOR KEY SHARE.
"""

from __future__ import annotations

import anyio
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from benefits_tui.db.models import SyncRecord
from benefits_tui.domain.states import Action
from benefits_tui.services.history import event, write_events
from benefits_tui.services.sync.record_writer import employee_state
from tests.helpers import add_people
from tests.reliability.common import open_services


async def test_finishing_lock_does_not_block_history_of_the_record_holder(
    database_url: str,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("row-lock modes are PostgreSQL's")
    async with open_services(database_url, None) as context:
        [employee_id] = await add_people(context, 1)
        now = context.clock.now()

        def claim_taking_over(session: Session) -> None:
            session.execute(
                update(SyncRecord)
                .where(SyncRecord.employee_id == employee_id)
                .values(updated_at=now)
            )
            write_events(
                session,
                [
                    event(
                        employee_id,
                        "benefits-sync",
                        Action.LEASE_RECLAIMED,
                        now,
                        reason="resumed work left by a dead worker",
                    )
                ],
            )

        async with context.db.engine.begin() as finishing:
            # The worker finishing a record locks its employee row (as HR edits do) ...
            await finishing.execute(employee_state([employee_id], lock=True))
            with anyio.fail_after(5):  # ... while another holds the record and writes history
                await context.db.run_write(claim_taking_over)


def test_employee_rows_are_locked_for_no_key_update() -> None:
    from sqlalchemy.dialects import registry

    statement = employee_state([1, 2], lock=True)
    assert "FOR NO KEY UPDATE" in str(statement.compile(dialect=registry.load("postgresql")()))
