"""Group commit of the sync engine's record writes.

Every step of every record ends in a short write: the record's new values, fenced by its
lease token, and its history events. One transaction per step made the database's write lock
the limit of a big sync: SQLite takes one writer at a time, and each statement of a
transaction then waited its turn on a busy event loop, so a lock holder kept it for about 4 ms
and 16 records in work queued ~50 ms for every step. (Write transactions now run off the
loop, from BEGIN to COMMIT: see ``db/engine.py``.)

:class:`RecordWriter` writes whatever steps are waiting in one transaction: the first step
to arrive while no batch is being written writes the batch (its own and any queued behind
it) and hands over to the next waiting one. A batch costs a handful of statements whatever
its size: one read of the leases, one of the employees' revisions for steps that may finish,
one of the accounts being linked, one ``executemany`` per shape of update, one insert of all
events. Each step still gets its own answer: done, finished (Successful), lease lost, or
account already linked. If the batch as a whole fails on a constraint (PostgreSQL: another
transaction linked the same account meanwhile), its steps are written one per transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from sqlalchemy import Select, Update, bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from benefits_tui.db import Database
from benefits_tui.db.models import Employee, SyncRecord
from benefits_tui.services.history import write_events

MAX_BATCH = 64

_RECORDS = SyncRecord.__table__
_EMPLOYEES = Employee.__table__

# Decides, inside the write and given the employee's current revision and leave date, whether
# the record is now in sync: returns the values and events that make it Successful, or None.
Finisher = Callable[[int, dt.date | None], tuple[dict[str, Any], list[dict[str, Any]]] | None]


class LeaseLost(Exception):
    """Another worker took this record over; stop touching it."""


class AccountTaken(Exception):
    """The Benefits account being linked is already linked to another employee."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        super().__init__(f"account {account_id} is already linked")


class WriteInterrupted(Exception):
    """The batch holding this write was cancelled; the write may not have happened."""


@dataclass(eq=False)
class RecordWrite:
    """One step's write: ``values`` for the record and ``events`` for its history."""

    employee_id: int
    token: int
    owner: str
    values: dict[str, Any]
    events: list[dict[str, Any]]
    finish: Finisher | None = None
    finished: bool = field(default=False, init=False)
    error: BaseException | None = field(default=None, init=False)
    done: bool = field(default=False, init=False)
    wake: anyio.Event = field(default_factory=anyio.Event, init=False, repr=False)

    def fail(self, error: BaseException) -> None:
        self.error, self.done = error, True


@functools.lru_cache(maxsize=256)
def fenced_update(names: tuple[str, ...]) -> Update:
    """UPDATE of these record columns where the lease is still ours (parameters ``fence_*``
    and ``v_<column>``)."""
    return (
        update(_RECORDS)
        .where(
            _RECORDS.c.employee_id == bindparam("fence_id"),
            _RECORDS.c.lease_token == bindparam("fence_token"),
            _RECORDS.c.lease_owner == bindparam("fence_owner"),
        )
        .values({name: bindparam(f"v_{name}", type_=_RECORDS.c[name].type) for name in names})
    )


class RecordWriter:
    """Writes the steps of many records, batching those that arrive together."""

    def __init__(self, db: Database, *, max_batch: int = MAX_BATCH) -> None:
        self.db = db
        self.max_batch = max_batch
        self._pending: deque[RecordWrite] = deque()
        self._writing = False
        self.batches = 0
        self.writes = 0

    async def write(self, step: RecordWrite) -> bool:
        """Write ``step`` (with others waiting); True when it made the record Successful.

        Raises :class:`LeaseLost`, :class:`AccountTaken` or the database's error.
        """
        self._pending.append(step)
        while not step.done:
            if self._writing:
                try:
                    await step.wake.wait()
                except BaseException:
                    if step in self._pending:  # not written yet: nobody is waiting for it now
                        self._pending.remove(step)
                    raise
                step.wake = anyio.Event()
                continue
            self._writing = True
            batch = [
                self._pending.popleft() for _ in range(min(len(self._pending), self.max_batch))
            ]
            try:
                await self._write_batch(batch)
            except Exception as exc:  # noqa: BLE001 - the database failed: each step of the batch gets it
                for other in batch:
                    if not other.done:
                        other.fail(exc)
            except BaseException:  # cancelled: the batch may or may not have been written
                for other in batch:
                    if not other.done:
                        other.fail(WriteInterrupted())
                if step in self._pending:
                    self._pending.remove(step)
                raise
            finally:
                self._writing = False
                for other in batch:
                    other.wake.set()
                if self._pending:
                    self._pending[0].wake.set()  # the next in line writes the next batch
        if step.error is not None:
            raise step.error
        return step.finished

    async def _write_batch(self, batch: list[RecordWrite]) -> None:
        self.batches += 1
        self.writes += len(batch)
        try:
            await self.db.run_write(apply_writes, batch, lock_rows=self.db.is_postgresql)
        except IntegrityError:
            if len(batch) == 1:
                raise
            for step in batch:  # one constraint broke them all: find whose it is
                step.finished, step.error, step.done = False, None, False
                try:
                    await self.db.run_write(apply_writes, [step], lock_rows=self.db.is_postgresql)
                except IntegrityError as exc:
                    step.fail(exc)
        for step in batch:
            step.done = True


def employee_state(ids: list[int], *, lock: bool) -> Select[Any]:
    """The revision and leave date of these employees; with ``lock``, their rows locked
    FOR NO KEY UPDATE in ID order (see :func:`apply_writes`)."""
    statement = select(_EMPLOYEES.c.id, _EMPLOYEES.c.revision, _EMPLOYEES.c.leave_date).where(
        _EMPLOYEES.c.id.in_(ids)
    )
    if lock:
        statement = statement.order_by(_EMPLOYEES.c.id).with_for_update(key_share=True)
    return statement


def apply_writes(session: Session, batch: list[RecordWrite], *, lock_rows: bool) -> None:
    """Apply ``batch`` inside the caller's write transaction; each step records its outcome.

    With ``lock_rows`` (PostgreSQL) the employees are locked before the records, in ID order,
    as HR edits do. FOR NO KEY UPDATE, not FOR UPDATE: it serialises with HR edits just the
    same, but does not block the FOR KEY SHARE that every history INSERT (a foreign key to
    the employee) takes; with FOR UPDATE, "employee, then record" here against "record, then
    history" in a claim was a deadlock.
    """
    connection = session.connection()
    ids = sorted(step.employee_id for step in batch)
    state: dict[int, tuple[int, dt.date | None]] = {}
    finishing = sorted(step.employee_id for step in batch if step.finish is not None)
    if finishing:
        found = connection.execute(employee_state(finishing, lock=lock_rows))
        state = {row.id: (row.revision, row.leave_date) for row in found}
    statement = select(
        _RECORDS.c.employee_id, _RECORDS.c.lease_token, _RECORDS.c.lease_owner
    ).where(_RECORDS.c.employee_id.in_(ids))
    if lock_rows:
        statement = statement.order_by(_RECORDS.c.employee_id).with_for_update()
    leases = {
        row.employee_id: (row.lease_token, row.lease_owner) for row in connection.execute(statement)
    }
    live: list[RecordWrite] = []
    for step in batch:
        if leases.get(step.employee_id) != (step.token, step.owner):
            step.fail(LeaseLost())
        else:
            live.append(step)
    live = _check_accounts(connection, live)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    events: list[dict[str, Any]] = []
    for step in live:
        values, step_events = step.values, step.events
        if step.finish is not None:
            success = step.finish(*state[step.employee_id])
            if success is not None:
                step.finished = True
                values = {**values, **success[0]}
                step_events = [*step_events, *success[1]]
        names = tuple(sorted(values))
        parameters = {f"v_{name}": values[name] for name in names}
        parameters.update(fence_id=step.employee_id, fence_token=step.token, fence_owner=step.owner)
        groups[names].append(parameters)
        events.extend(step_events)
    for names, rows in groups.items():
        result = connection.execute(fenced_update(names), rows)
        if connection.dialect.supports_sane_multi_rowcount and result.rowcount != len(rows):
            raise RuntimeError("a fenced record changed inside its own write transaction")
    write_events(session, events)


def _check_accounts(connection: Connection, steps: list[RecordWrite]) -> list[RecordWrite]:
    """Refuse steps that would link an account another employee holds (or another step takes)."""
    wanted = {step: step.values["account_id"] for step in steps if step.values.get("account_id")}
    if not wanted:
        return steps
    holders = {
        row.account_id: row.employee_id
        for row in connection.execute(
            select(_RECORDS.c.account_id, _RECORDS.c.employee_id).where(
                _RECORDS.c.account_id.in_(sorted(set(wanted.values())))
            )
        )
    }
    kept = []
    for step in steps:
        account_id = wanted.get(step)
        if account_id is not None:
            holder = holders.get(account_id)
            if holder is not None and holder != step.employee_id:
                step.fail(AccountTaken(account_id))
                continue
            holders[account_id] = step.employee_id
        kept.append(step)
    return kept
