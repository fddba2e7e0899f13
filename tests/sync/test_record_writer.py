"""The sync engine's group commit: steps that arrive together share one transaction, and each
still gets its own answer (written, Successful, lease lost, account already linked)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from benefits_tui.db.models import SyncEvent, SyncRecord
from benefits_tui.domain.states import Action, SyncState
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.history import event
from benefits_tui.services.sync.record_job import Claim
from benefits_tui.services.sync.record_writer import (
    AccountTaken,
    LeaseLost,
    RecordWrite,
    RecordWriter,
)
from benefits_tui.services.sync.requests import Selection, request_sync
from benefits_tui.services.sync.worker import SyncWorker
from tests.helpers import Simulator, add_people, services


async def _claimed(context: ServiceContext, count: int) -> list[Claim]:
    ids = await add_people(context, count)
    await request_sync(context, Selection.of(ids))
    claims = await SyncWorker(context).claim(count)
    assert len(claims) == count
    return sorted(claims, key=lambda claim: claim.employee_id)


def _step(
    context: ServiceContext,
    claim: Claim,
    values: dict[str, Any],
    *,
    token: int | None = None,
    employee_id: int | None = None,
    **finish: Any,
) -> RecordWrite:
    note = event(
        employee_id or claim.employee_id,
        "tester",
        Action.RETRY_SCHEDULED,
        context.clock.now(),
        reason=f"step of {claim.employee_id}",
    )
    return RecordWrite(
        claim.employee_id,
        claim.token if token is None else token,
        claim.owner,
        values,
        [note],
        **finish,
    )


async def _write_together(writer: RecordWriter, steps: list[RecordWrite]) -> dict[int, Any]:
    """Start every step at once; the answer of each (True/False or the exception's class)."""
    answers: dict[int, Any] = {}

    async def one(step: RecordWrite) -> None:
        try:
            answers[step.employee_id] = await writer.write(step)
        except (LeaseLost, AccountTaken, IntegrityError) as exc:
            answers[step.employee_id] = type(exc)

    async with anyio.create_task_group() as group:
        for step in steps:
            group.start_soon(one, step)
    return answers


async def _records(context: ServiceContext) -> dict[int, SyncRecord]:
    async with context.db.read() as session:
        return {
            record.employee_id: record
            for record in (await session.scalars(select(SyncRecord))).all()
        }


async def _events_by_employee(context: ServiceContext) -> dict[int, int]:
    async with context.db.read() as session:
        rows = await session.execute(
            select(SyncEvent.employee_id, func.count())
            # The steps' events (on PostgreSQL the actor is the login, whatever was passed).
            .where(SyncEvent.action.in_([Action.RETRY_SCHEDULED.value, Action.SUCCEEDED.value]))
            .group_by(SyncEvent.employee_id)
        )
        return dict(rows.all())


async def test_steps_arriving_together_share_a_transaction_and_a_lost_lease_stays_unwritten(
    database_url: str,
) -> None:
    async with services(database_url, Simulator()) as context:
        claims = await _claimed(context, 6)
        lost = claims[2]
        writer = RecordWriter(context.db)
        steps = [
            _step(
                context,
                claim,
                {"last_error": f"note {claim.employee_id}"},
                token=claim.token + 1 if claim is lost else None,
            )
            for claim in claims
        ]
        answers = await _write_together(writer, steps)
        records = await _records(context)
        events = await _events_by_employee(context)
    # The first step is written at once; the five that queued behind it go in one batch.
    assert (writer.writes, writer.batches) == (6, 2)
    assert answers[lost.employee_id] is LeaseLost
    assert records[lost.employee_id].last_error is None and lost.employee_id not in events
    for claim in claims:
        if claim is not lost:
            assert answers[claim.employee_id] is False
            assert records[claim.employee_id].last_error == f"note {claim.employee_id}"
            assert events[claim.employee_id] == 1


async def test_one_account_is_linked_to_one_employee_even_within_a_batch(database_url: str) -> None:
    async with services(database_url, Simulator()) as context:
        holder, first, second, third = await _claimed(context, 4)
        writer = RecordWriter(context.db)
        assert await writer.write(_step(context, holder, {"account_id": "acc-held"})) is False
        answers = await _write_together(
            writer,
            [
                _step(context, first, {"account_id": "acc-held"}),  # another employee holds it
                _step(context, second, {"account_id": "acc-new"}),
                _step(context, third, {"account_id": "acc-new"}),  # the step before it takes it
            ],
        )
        records = await _records(context)
    assert answers == {
        first.employee_id: AccountTaken,
        second.employee_id: False,
        third.employee_id: AccountTaken,
    }
    assert records[holder.employee_id].account_id == "acc-held"
    assert records[first.employee_id].account_id is None
    assert (records[second.employee_id].account_id, records[third.employee_id].account_id) == (
        "acc-new",
        None,
    )


async def test_a_step_finishes_only_if_the_employee_did_not_change_meanwhile(
    database_url: str,
) -> None:
    seen: list[tuple[int, Any]] = []

    def finisher(employee_id: int, synced: int) -> Callable[[int, Any], Any]:
        def finish(revision: int, leave_date: Any) -> Any:
            seen.append((revision, leave_date))
            if revision > synced:
                return None
            return {"state": SyncState.SUCCESSFUL.value, "phase": None}, [
                event(employee_id, "tester", Action.SUCCEEDED, context.clock.now())
            ]

        return finish

    async with services(database_url, Simulator()) as context:
        current, behind = await _claimed(context, 2)
        writer = RecordWriter(context.db)
        answers = await _write_together(
            writer,
            [
                _step(
                    context,
                    current,
                    {"last_error": None},
                    finish=finisher(current.employee_id, synced=10**6),
                ),
                _step(
                    context,
                    behind,
                    {"last_error": None},
                    finish=finisher(behind.employee_id, synced=-1),
                ),  # HR edited since
            ],
        )
        records = await _records(context)
        events = await _events_by_employee(context)
    assert answers == {current.employee_id: True, behind.employee_id: False}
    assert records[current.employee_id].state == SyncState.SUCCESSFUL.value
    assert records[behind.employee_id].state == SyncState.IN_PROGRESS.value
    assert len(seen) == 2
    assert events == {
        current.employee_id: 2,
        behind.employee_id: 1,
    }  # the step's own, and SUCCEEDED


async def test_a_step_that_breaks_a_constraint_fails_alone(database_url: str) -> None:
    async with services(database_url, Simulator()) as context:
        claims = await _claimed(context, 4)
        bad = claims[1]
        writer = RecordWriter(context.db)
        steps = [
            _step(
                context,
                claim,
                {"last_error": "written"},
                employee_id=10_000_000 if claim is bad else None,
            )
            for claim in claims
        ]
        answers = await _write_together(writer, steps)
        records = await _records(context)
    # The batch of three behind the first failed on the bad event's foreign key; re-written
    # one per transaction, only the bad step fails.
    assert answers[bad.employee_id] is IntegrityError
    assert records[bad.employee_id].last_error is None
    assert [answers[c.employee_id] for c in claims if c is not bad] == [False, False, False]
    assert all(records[c.employee_id].last_error == "written" for c in claims if c is not bad)


async def test_a_failing_batch_fails_every_step_in_it(database_url: str) -> None:
    async with services(database_url, Simulator()) as context:
        claims = await _claimed(context, 3)
        writer = RecordWriter(context.db)
        steps = [_step(context, claim, {"no_such_column": 1}) for claim in claims]
        errors: list[BaseException] = []

        async def one(step: RecordWrite) -> None:
            try:
                await writer.write(step)
            except KeyError as exc:
                errors.append(exc)

        async with anyio.create_task_group() as group:
            for step in steps:
                group.start_soon(one, step)
    # The first step alone, then the two behind it together: every one hears of its failure.
    assert (writer.batches, len(errors)) == (2, 3)
    assert all(step.done and isinstance(step.error, KeyError) for step in steps)
