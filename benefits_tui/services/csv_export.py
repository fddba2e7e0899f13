"""`benefits-tui export`: employees of a tab and search as CSV (RULES §4).

The import columns (RULES §4), then ``status``, ``reason``, ``benefits_account_id`` and
``last_synced_at``. Rows are streamed in chunks, so 100,000 employees never sit in memory
at once. A value that a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-``, ``@``, TAB or CR) is written with a leading single quote (OWASP's advice); the
import takes that quote off again.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select

from benefits_tui.db.models import Employee, SyncRecord
from benefits_tui.domain.fields import ATTRIBUTE_OF, CSV_FIELDS
from benefits_tui.domain.states import SyncState
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.csv_import import EXPORT_ONLY_COLUMNS, FORMULA_STARTS
from benefits_tui.services.queries import EmployeeFilter, list_ids

CHUNK = 2000
EXPORT_COLUMNS: tuple[str, ...] = CSV_FIELDS + EXPORT_ONLY_COLUMNS


class Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def neutralise(text: str) -> str:
    """Defuse CSV formula injection: a quote before a value a spreadsheet would evaluate."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return neutralise(str(value))


_COLUMNS = (
    *(getattr(Employee, ATTRIBUTE_OF[name]) for name in CSV_FIELDS),
    SyncRecord.state,
    SyncRecord.reason,
    SyncRecord.account_id,
    SyncRecord.last_synced_at,
)


def export_filter(status: str, search: str = "") -> EmployeeFilter:
    """``all`` is every employee, leavers included; a status is that tab (current employees)."""
    if status == "all":
        return EmployeeFilter(None, search, current_only=False)
    return EmployeeFilter(SyncState.from_slug(status), search)


async def export_csv(context: ServiceContext, flt: EmployeeFilter, out: Writable) -> int:
    """Write the header and every employee matching ``flt`` to ``out``; returns the row count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    ids = await list_ids(context, flt)
    count = 0
    for start in range(0, len(ids), CHUNK):
        chunk: Sequence[int] = ids[start : start + CHUNK]
        statement = (
            select(Employee.id, *_COLUMNS)
            .join(SyncRecord, SyncRecord.employee_id == Employee.id)
            .where(Employee.id.in_(list(chunk)))
        )
        async with context.db.read() as session:
            rows = {row[0]: row[1:] for row in (await session.execute(statement)).all()}
        for employee_id in chunk:
            row = rows.get(employee_id)
            if row is None:
                continue  # removed meanwhile
            values = list(row)
            values[len(CSV_FIELDS)] = SyncState(values[len(CSV_FIELDS)]).slug
            writer.writerow([_cell(value) for value in values])
            count += 1
    return count
