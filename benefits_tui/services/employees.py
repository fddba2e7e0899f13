"""HR changes to employees: starters, edits, Benefits Levels, leavers (RULES §1.5-1.7, 1.9).

A change to a synced field of a linked employee queues an update by account ID; a fix to a
Failed employee queues a new attempt; a starter added with *Create Benefits Record* is
queued at once. Nobody can switch a sync off: there is no function here that would.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from benefits_tui.db.models import Employee, SyncRecord
from benefits_tui.domain.fields import (
    ATTRIBUTE_OF,
    FIELD_LABELS,
    REQUIRED_TO_IMPORT,
    SYNCED_ATTRIBUTES,
    FieldProblem,
    email_key,
    parse_field,
    search_text,
)
from benefits_tui.domain.states import Action, CreatedVia, RequestKind, SyncState
from benefits_tui.domain.wording import plural
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.errors import InvalidInput, NotFound, ServiceError
from benefits_tui.services.history import event, write_events
from benefits_tui.services.permissions import Permission
from benefits_tui.services.sync import preflight
from benefits_tui.services.sync.reference import platform_rules
from benefits_tui.services.sync.requests import (
    Selection,
    SyncRequestResult,
    holders_of,
    queued_values,
    request_sync,
    requeue_linked,
)
from benefits_tui.services.sync.verdicts import refresh_verdicts

# Changing these on a linked employee is sent by PATCH (leave date goes by termination).
REVISION_ATTRIBUTES = SYNCED_ATTRIBUTES - {"leave_date"}
NUMBER_RE = re.compile(r"^E(\d+)$")


@dataclass(frozen=True)
class ChangeResult:
    """What saving an employee did."""

    employee_id: int
    changed: tuple[str, ...]
    update_queued: bool
    retry_queued: bool
    account_id: str | None = None
    still_failing: str | None = None

    def message(self) -> str:
        if not self.changed:
            return "Nothing changed."
        names = ", ".join(FIELD_LABELS.get(name, name) for name in self.changed)
        if self.update_queued:
            where = f"Benefits account {self.account_id}" if self.account_id else "Benefits"
            return f"Saved {names}; the change is being sent to {where} (In progress)."
        if self.retry_queued:
            return f"Saved {names}; a new sync attempt has been queued (In progress)."
        if self.still_failing:
            return f"Saved {names}; the sync still fails: {self.still_failing}"
        return f"Saved {names}."


async def parse_values(context: ServiceContext, raw: Mapping[str, str | None]) -> dict[str, Any]:
    """Parse text fields (CSV names) into model values; :class:`InvalidInput` lists problems."""
    rules = await platform_rules(context)
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, text in raw.items():
        if name not in ATTRIBUTE_OF and name not in ("leave_date", "leave_reason"):
            problems[name] = "is not a field (use one of: " + ", ".join(ATTRIBUTE_OF) + ")"
            continue
        try:
            values[ATTRIBUTE_OF.get(name, name)] = parse_field(
                name, text, picklists=rules.picklists, levels=rules.level_codes
            )
        except FieldProblem as problem:
            problems[name] = problem.message
    if problems:
        raise InvalidInput(problems)
    return values


async def next_employee_number(context: ServiceContext) -> str:
    async with context.db.read() as session:
        numbers = (
            await session.scalars(
                select(Employee.employee_number)
                .where(Employee.employee_number.like("E%"))
                .order_by(
                    func.length(Employee.employee_number).desc(), Employee.employee_number.desc()
                )
                .limit(1)
            )
        ).all()
    highest = 0
    for number in numbers:
        match = NUMBER_RE.match(number)
        if match:
            highest = int(match.group(1))
    return f"E{highest + 1:06d}"


REQUIRED_FOR_A_RECORD = "is required to create a Benefits record"


async def email_held_by(context: ServiceContext, email: object) -> str | None:
    """The current employees who hold ``email`` ("E000123 Name", comma-separated), or None."""
    key = email_key(email if isinstance(email, str) else None)
    holders = (await holders_of(context, [key])).get(key, []) if key else []
    return ", ".join(name for _, name in holders) or None


def shared_email_problem(holders: str) -> str:
    """The email field's message when a starter's email is held by ``holders`` (RULES §1.12)."""
    return f"is already held by {holders}"


async def starter_problems(context: ServiceContext, values: Mapping[str, Any]) -> dict[str, str]:
    """Why a starter with *Create Benefits Record* on could not sync (RULES §1.8, §1.12), by
    field (CSV names), for a message on each field: every field the platform requires, values
    it recognises, and an email no other current employee holds. Empty: the starter can sync.

    One rule for the starter wizard and ``employee add --create-benefits-record``: the same
    pure pre-flight the sync runs, so a starter that cannot sync is never saved as one that will.
    """
    rules = await platform_rules(context)
    shared_with = await email_held_by(context, values.get("email"))
    found: dict[str, str] = {}
    for problem in preflight.problems(values, rules, shared_with, linked=False):
        field = "benefits_level" if problem.field == "benefit_level" else problem.field
        if field is None or field in found:
            continue
        if problem.kind in ("no_email", "missing_field"):
            found[field] = REQUIRED_FOR_A_RECORD
        elif problem.kind == "shared_email":
            found[field] = shared_email_problem(shared_with or "")
        else:  # "gender 'Male' is not recognised ...": the field shows its own label
            label = FIELD_LABELS.get(field, field).lower()
            found[field] = problem.text.removeprefix(f"{label} ").removeprefix(
                f"{FIELD_LABELS.get(field, field)} "
            )
    return found


async def add_employee(
    context: ServiceContext,
    values: Mapping[str, Any],
    *,
    created_via: CreatedVia,
    create_benefits_record: bool = False,
) -> tuple[int, str, SyncRequestResult | None]:
    """Add a new employee (already-parsed model values); returns (id, number, sync result).

    With ``create_benefits_record`` (the starter wizard's toggle, RULES §1.5) the starter is
    queued for sync at once; otherwise they wait in Not syncing.
    """
    context.require(Permission.ADD_EMPLOYEE)
    data = dict(values)
    missing = [name for name in ("forenames", "surname") if not data.get(name)]
    if missing:
        raise InvalidInput(dict.fromkeys(missing, "is required"))
    if create_benefits_record and (problems := await starter_problems(context, data)):
        raise InvalidInput(problems)
    how = (
        "starter wizard"
        if created_via is CreatedVia.STARTER_WIZARD
        else created_via.value.replace("_", " ")
    )

    def add(session: Session, row: dict[str, Any]) -> int:
        now = row["created_at"]
        employee_id: int = session.execute(
            insert(Employee).returning(Employee.id), [row]
        ).scalar_one()
        session.execute(
            insert(SyncRecord),
            [{"employee_id": employee_id, "state": SyncState.NOT_SYNCING.value, "updated_at": now}],
        )
        write_events(
            session,
            [
                event(
                    employee_id,
                    context.actor,
                    Action.EMPLOYEE_ADDED,
                    now,
                    reason=f"added via {how}",
                )
            ],
        )
        return employee_id

    for _ in range(5):
        number = data.get("employee_number") or await next_employee_number(context)
        now = context.clock.now()
        row = {
            **{key: value for key, value in data.items() if key != "employee_number"},
            "employee_number": number,
            "email_key": email_key(data.get("email")),
            "search_text": search_text(
                number, data["forenames"], data["surname"], data.get("email")
            ),
            "created_via": created_via.value,
            "created_by": context.actor,
            "created_at": now,
            "updated_at": now,
            "revision": 1,
        }
        try:
            employee_id = await context.db.run_write(add, row)
        except IntegrityError:
            if data.get("employee_number"):
                raise InvalidInput({"employee_number": f"{number} is already used"}) from None
            continue  # another user took this number at the same moment: take the next
        await refresh_verdicts(context, ids=[employee_id])  # pre-flight known before asked
        result = None
        if create_benefits_record:
            result = await request_sync(context, Selection.of([employee_id]))
        return employee_id, number, result
    raise ServiceError("could not allocate an employee number; try again")


def _locked_employee(context: ServiceContext, session: Session, employee_id: int) -> Employee:
    """The employee row, locked for this write transaction (PostgreSQL; SQLite's write lock
    already serialises writers)."""
    statement = select(Employee).where(Employee.id == employee_id)
    if context.db.is_postgresql:
        # NO KEY UPDATE: serialises with the worker without blocking history INSERTs
        # (their foreign-key check), which would deadlock with a record's holder.
        statement = statement.with_for_update(key_share=True)
    employee = session.scalar(statement)
    if employee is None:
        raise NotFound(f"no employee with id {employee_id}")
    return employee


def _shown_value(value: Any, limit: int = 60) -> str:
    """A field's value in the history's "old → new" (bounded; empty shown as such)."""
    if value is None or value == "":
        return "(empty)"
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def update_employee(
    context: ServiceContext, employee_id: int, changes: Mapping[str, Any]
) -> ChangeResult:
    """Save changed fields (model attribute names, parsed values) and queue what follows."""
    context.require(Permission.EDIT_EMPLOYEE)
    if ("forenames" in changes and not changes["forenames"]) or (
        "surname" in changes and not changes["surname"]
    ):
        raise InvalidInput(
            {
                name: "is required"
                for name in ("forenames", "surname")
                if name in changes and not changes[name]
            }
        )
    now = context.clock.now()

    def save(session: Session) -> tuple[list[str], SyncRecord | None, bool]:
        employee = _locked_employee(context, session, employee_id)
        changed = [name for name, value in changes.items() if getattr(employee, name) != value]
        if not changed:
            return changed, None, False
        before = {name: getattr(employee, name) for name in changed}
        for name in changed:
            setattr(employee, name, changes[name])
        employee.email_key = email_key(employee.email)
        employee.search_text = search_text(
            employee.employee_number, employee.forenames, employee.surname, employee.email
        )
        employee.updated_at = now
        if set(changed) & REVISION_ATTRIBUTES:
            employee.revision += 1
        record = session.get(SyncRecord, employee_id, with_for_update=context.db.is_postgresql)
        assert record is not None
        names = ", ".join(FIELD_LABELS.get(name, name) for name in changed)
        what = "; ".join(
            f"{FIELD_LABELS.get(name, name)} {_shown_value(before[name])} → "
            f"{_shown_value(changes[name])}"
            for name in changed
        )
        events = [
            event(employee_id, context.actor, Action.DETAILS_CHANGED, now, reason=f"changed {what}")
        ]
        update_queued = False
        synced_change = bool(set(changed) & SYNCED_ATTRIBUTES)
        if (
            record.account_id is not None
            and synced_change
            and record.state != SyncState.IN_PROGRESS.value
        ):
            # RULES §1.9: a linked employee's change goes to Benefits by account ID.
            for key, value in queued_values(context).items():
                setattr(record, key, value)
            update_queued = True
            events.append(
                event(
                    employee_id,
                    context.actor,
                    Action.UPDATE_QUEUED,
                    now,
                    reason=f"send {names} to account {record.account_id}",
                )
            )
        elif record.account_id is not None and synced_change:
            update_queued = True  # the worker sees the new revision before it finishes
        write_events(session, events)
        session.add(employee)
        return changed, record, update_queued

    changed, record, update_queued = await context.db.run_write(save)
    if record is None:
        return ChangeResult(employee_id, (), False, False)
    retry_queued = False
    still_failing: str | None = None
    await refresh_verdicts(context, ids=[employee_id])  # pre-flight known before asked
    if record.account_id is None and record.state == SyncState.FAILED.value:
        # RULES §1.3: fixing a failed record queues a new attempt by itself.
        result = await request_sync(context, Selection.of([employee_id]))
        retry_queued = result.queued > 0
        if result.rejected:
            async with context.db.read() as session:
                still_failing = await session.scalar(
                    select(SyncRecord.reason).where(SyncRecord.employee_id == employee_id)
                )
    return ChangeResult(
        employee_id, tuple(changed), update_queued, retry_queued, record.account_id, still_failing
    )


async def set_fields(
    context: ServiceContext, employee_id: int, raw: Mapping[str, str | None]
) -> ChangeResult:
    """Parse text values (CSV names) and save them (`benefits-tui employee set`)."""
    values = await parse_values(context, raw)
    for name in REQUIRED_TO_IMPORT - {"employee_number"}:
        if name in values and not values[name]:
            raise InvalidInput({name: "is required"})
    if "employee_number" in values:
        raise InvalidInput({"employee_number": "cannot be changed"})
    return await update_employee(context, employee_id, values)


@dataclass(frozen=True)
class LevelResult:
    """What assigning a Benefits Level did."""

    selected: int
    changed: int
    updates_queued: int
    retries_queued: int = 0
    level: str | None = None

    def message(self) -> str:
        what = f"Benefits Level {self.level}" if self.level else "Benefits Level cleared"
        text = f"{what}: {self.changed:,} of {plural(self.selected, 'employee')} changed"
        if self.selected != self.changed:
            text += f" ({self.selected - self.changed:,} already had it)"
        extras = []
        if self.updates_queued:
            extras.append(f"{self.updates_queued:,} linked, being sent to Benefits")
        if self.retries_queued:
            extras.append(f"{self.retries_queued:,} failed, new sync attempt queued")
        if extras:
            text += "; " + "; ".join(extras)
        return text + "."


async def assign_level(
    context: ServiceContext, selection: Selection, level: str | None
) -> LevelResult:
    """Assign a Benefits Level to many employees (RULES §1.6), set-based and chunked.

    Each chunk is one transaction: a conditional UPDATE of the employees whose level really
    changes (bumping their revision), an update queued for the linked ones (RULES §1.9; a
    linked record already In progress picks the new revision up before it finishes), and a
    history event per change with the actor. Failed, never-linked employees get a new sync
    attempt, as any fix to a failed record does (RULES §1.3).
    """
    context.require(Permission.ASSIGN_LEVEL)
    rules = await platform_rules(context)
    code = level.strip().upper() if level and level.strip() else None
    if code and code not in rules.level_codes:
        raise InvalidInput(
            {
                "benefits_level": (
                    f"{level!r} is not a Benefits Level ({', '.join(rules.level_codes)})"
                )
            }
        )
    from benefits_tui.services.sync.requests import _candidate_rows

    label = code or "cleared"

    def apply(
        session: Session, previous: dict[int, str | None], now: dt.datetime
    ) -> tuple[list[int], int, list[int]]:
        """(employees changed, how many linked, failed never-linked ones) of one chunk."""
        done = list(
            session.scalars(
                update(Employee)
                .where(
                    Employee.id.in_(list(previous)),
                    Employee.benefit_level.is_distinct_from(code),
                )
                .values(benefit_level=code, revision=Employee.revision + 1, updated_at=now)
                .returning(Employee.id)
                .execution_options(synchronize_session=False)
            ).all()
        )
        if not done:
            return done, 0, []
        newly_queued = set(
            session.scalars(requeue_linked(context, done).returning(SyncRecord.employee_id)).all()
        )
        records = session.execute(
            select(SyncRecord.employee_id, SyncRecord.state, SyncRecord.account_id).where(
                SyncRecord.employee_id.in_(done)
            )
        ).all()
        events = []
        for employee_id in done:
            was = previous.get(employee_id) or "none"
            events.append(
                event(
                    employee_id,
                    context.actor,
                    Action.LEVEL_ASSIGNED,
                    now,
                    reason=f"Benefits Level {label} (was {was})",
                )
            )
        linked, failed = 0, []
        for record in records:
            if record.account_id is not None:
                linked += 1
                if record.employee_id in newly_queued:
                    events.append(
                        event(
                            record.employee_id,
                            context.actor,
                            Action.UPDATE_QUEUED,
                            now,
                            reason=f"send Benefits Level to account {record.account_id}",
                        )
                    )
            elif record.state == SyncState.FAILED.value:
                failed.append(record.employee_id)
        write_events(session, events)
        return done, linked, failed

    selected = changed = queued = 0
    retry_ids: list[int] = []
    async for chunk in _candidate_rows(context, selection):
        selected += len(chunk)
        previous = {row.id: row.benefit_level for row in chunk if row.benefit_level != code}
        if not previous:
            continue
        done, linked, failed = await context.db.run_write(apply, previous, context.clock.now())
        if not done:
            continue
        queued += linked
        retry_ids.extend(failed)
        await refresh_verdicts(context, rules, ids=done)  # pre-flight known before asked
        changed += len(done)
    retries = 0
    if retry_ids:
        result = await request_sync(context, Selection.of(retry_ids))
        retries = result.queued
    return LevelResult(
        selected=selected,
        changed=changed,
        updates_queued=queued,
        retries_queued=retries,
        level=code,
    )


@dataclass(frozen=True)
class LeaverResult:
    employee_id: int
    termination_queued: bool
    message: str
    changed: bool = True  # False: already a leaver on that date (nothing recorded or sent)


def _leaver_outcome(
    state: str, account_id: str | None, in_flight: bool, leave_date: dt.date | None
) -> tuple[bool, str]:
    """(a termination will be sent, what happens on the platform): one rule, preview and save."""
    when = leave_date.isoformat() if leave_date else "the leave date"
    if account_id is not None:
        return (
            True,
            f"Benefits account {account_id}: coverage ends on {when}; the leaver is sent to "
            "Benefits.",
        )
    if state == SyncState.IN_PROGRESS.value and in_flight:
        return True, (
            f"A first sync is under way: once the account is linked, coverage ends on {when}."
        )
    if state == SyncState.IN_PROGRESS.value:
        return False, "Sync not started yet: it stops with a reason; nothing is sent to Benefits."
    return False, "Never synced to Benefits: nothing is sent to the platform."


async def leaver_preview(
    context: ServiceContext, employee_id: int, leave_date: dt.date | None
) -> str:
    """What recording this leaver would do on the platform (the leaver dialog's summary)."""
    async with context.db.read() as session:
        record = await session.get(SyncRecord, employee_id)
        if record is None:
            raise NotFound(f"no employee with id {employee_id}")
        in_flight = record.request_kind == RequestKind.CREATE or record.platform_job_id is not None
        return _leaver_outcome(record.state, record.account_id, in_flight, leave_date)[1]


async def record_leaver(
    context: ServiceContext, employee_id: int, leave_date: dt.date, reason: str
) -> LeaverResult:
    """The leaver workflow (RULES §1.7): ends coverage for a linked account; no call otherwise."""
    context.require(Permission.RECORD_LEAVER)
    try:
        cleaned = parse_field("leave_reason", reason)
    except FieldProblem as problem:
        raise InvalidInput({"reason": problem.message}) from None
    if not cleaned:
        raise InvalidInput({"reason": "is required"})
    reason = cleaned
    now = context.clock.now()

    def save(session: Session) -> LeaverResult:
        employee = _locked_employee(context, session, employee_id)
        if employee.start_date is not None and leave_date < employee.start_date:
            raise InvalidInput(
                {"leave_date": f"is before the start date ({employee.start_date.isoformat()})"}
            )
        if employee.leave_date == leave_date:
            # Recording the same leaver again (a second press, a re-run script) changes
            # nothing and sends nothing; a different date is an explicit change (RULES §3).
            return LeaverResult(
                employee_id,
                False,
                f"Already a leaver on {leave_date.isoformat()}: nothing changed, nothing sent.",
                changed=False,
            )
        record = session.get(SyncRecord, employee_id, with_for_update=context.db.is_postgresql)
        assert record is not None
        employee.leave_date = leave_date
        employee.leave_reason = reason
        employee.updated_at = now
        in_flight = record.request_kind == RequestKind.CREATE or record.platform_job_id is not None
        queued, message = _leaver_outcome(record.state, record.account_id, in_flight, leave_date)
        events = [
            event(
                employee_id,
                context.actor,
                Action.LEAVER_RECORDED,
                now,
                reason=f"leave date {leave_date.isoformat()}: {reason}",
            )
        ]
        if queued:
            if record.state != SyncState.IN_PROGRESS.value:
                for key, value in queued_values(context).items():
                    setattr(record, key, value)
            events.append(
                event(
                    employee_id,
                    context.actor,
                    Action.TERMINATION_QUEUED,
                    now,
                    reason=f"end coverage on {leave_date.isoformat()}",
                )
            )
        write_events(session, events)
        return LeaverResult(employee_id, queued, message)

    result = await context.db.run_write(save)
    if not result.changed:
        return result
    await refresh_verdicts(context, ids=[employee_id])  # pre-flight known before asked
    return result
