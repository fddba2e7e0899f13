"""The app's first rows read with the standard library, before the services are imported.

Importing SQLAlchemy, pydantic and the services costs several times what reading a page of
rows does (RULES §5, "Instant, as felt from outside"). For a SQLite file at this program's
schema (the same check as ``status``'s quick path, :mod:`benefits_tui.db.quick`), the app
draws its first tab's first page from :func:`read_first_page`, then opens the services and
carries on as usual. The SQL below is the twin of ``queries.first_page_ids`` (with
``queries.list_ids`` when the tab is small) and ``queries.fetch_rows``;
``tests/services/test_first_page.py`` holds them equal.

Standard library only: the app imports this module on the way to its first frame.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from benefits_tui.config_quick import Role
from benefits_tui.db import quick
from benefits_tui.domain.states import OPEN_WORK, Phase, SyncState
from benefits_tui.services import permissions
from benefits_tui.services.grid import FIRST_PAGE_PROBE, EmployeeFilter, EmployeeRow, is_stuck

FIRST_PAGE = 100  # rows painted before the whole tab is listed (more than a screen holds)

if TYPE_CHECKING:
    from benefits_tui.config_quick import QuickSettings
    from benefits_tui.services.permissions import Permission

_CURRENT = "(e.leave_date IS NULL OR e.leave_date >= ? OR s.state IN (?, ?))"
_PROBE = f"""
SELECT e.id FROM (
    SELECT id, employee_number, leave_date FROM employees ORDER BY employee_number LIMIT ?
) AS e JOIN sync_records AS s ON s.employee_id = e.id
WHERE s.state = ? AND {_CURRENT}
ORDER BY e.employee_number LIMIT ?
"""
_LISTED = f"""
SELECT e.id FROM employees AS e JOIN sync_records AS s ON s.employee_id = e.id
WHERE s.state = ? AND {_CURRENT}
ORDER BY e.employee_number LIMIT ?
"""
_ROWS = """
SELECT e.id, e.employee_number, e.forenames, e.surname, e.email, e.department,
       e.benefit_level, s.state, s.phase, s.reason, s.account_id, s.requested_at,
       s.next_attempt_at, e.leave_date
FROM employees AS e JOIN sync_records AS s ON s.employee_id = e.id
WHERE e.id IN ({marks})
"""


@dataclass(frozen=True)
class FirstPage:
    """What the first frame shows before the services are open: who acts, and the rows."""

    actor: str
    role: Role
    filter: EmployeeFilter
    rows: list[EmployeeRow]

    @property
    def role_label(self) -> str:
        return permissions.role_label(self.role)

    def refusal(self, permission: Permission) -> str | None:
        """As ``ServiceContext.refusal`` on SQLite (one OS account: embedded)."""
        return permissions.refusal(self.actor, self.role, permission, embedded=True)


def read_first_page(
    settings: QuickSettings,
    identity: tuple[str, Role],
    size: int,
    *,
    state: SyncState = SyncState.NOT_SYNCING,
    now: dt.datetime | None = None,
) -> FirstPage | None:
    """The first ``size`` rows of the tab ``state`` (unsearched), or None when the services
    must answer (not a SQLite file at this program's schema, or it could not be read)."""
    connection = quick.open_for_reading(settings.database_url)
    if connection is None:
        return None
    moment = now or dt.datetime.now(dt.UTC)
    threshold = moment - dt.timedelta(minutes=settings.stuck_after_minutes)
    try:
        with connection:
            connection.execute("BEGIN")  # the IDs and their rows from one snapshot
            ids = page_ids(connection, state, size, moment.date())
            rows = page_rows(connection, ids, threshold)
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    actor, role = identity
    return FirstPage(actor, role, EmployeeFilter(state), rows)


def page_ids(db: sqlite3.Connection, state: SyncState, size: int, today: dt.date) -> list[int]:
    """The tab's first ``size`` IDs in employee-number order: among the first employees by
    number (``first_page_ids``), else by listing the tab (a small tab, as the grid does)."""
    current = (today.isoformat(), *OPEN_WORK)
    probe = (FIRST_PAGE_PROBE, state.value, *current, size)
    ids = [int(i) for (i,) in db.execute(_PROBE, probe)]
    if len(ids) == size:
        return ids
    return [int(i) for (i,) in db.execute(_LISTED, (state.value, *current, size))]


def page_rows(db: sqlite3.Connection, ids: list[int], threshold: dt.datetime) -> list[EmployeeRow]:
    """``fetch_rows``: the rows of ``ids``, in that order (missing IDs skipped)."""
    if not ids:
        return []
    utc = quick.utc_from
    by_id: dict[int, EmployeeRow] = {}
    statement = _ROWS.format(marks=", ".join("?" * len(ids)))
    for row in db.execute(statement, ids):
        state = SyncState(row[7])
        requested_at = utc(row[11])
        by_id[row[0]] = EmployeeRow(
            id=row[0],
            employee_number=row[1],
            forenames=row[2],
            surname=row[3],
            email=row[4],
            department=row[5],
            benefit_level=row[6],
            state=state,
            phase=Phase(row[8]) if row[8] else None,
            reason=row[9],
            account_id=row[10],
            requested_at=requested_at,
            next_attempt_at=utc(row[12]),
            stuck=is_stuck(state, requested_at, threshold),
            leave_date=dt.date.fromisoformat(row[13]) if row[13] else None,
        )
    return [by_id[i] for i in ids if i in by_id]
