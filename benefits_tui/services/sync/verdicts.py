"""Each employee's pre-flight verdict, kept in the database so Confirm Sync is a grouped count.

The verdict is :func:`preflight.check` (the one pure validation) run for the three situations
it distinguishes — not linked, not linked with an email another current employee holds, and
linked — and stored as the rejection kind (None = passes) with a fingerprint of the platform
rules it used. Whether an email is shared depends on other employees and on today's date, so
that choice is made in SQL when counting. A verdict is stale when its fingerprint is not the
current rules' or is NULL (a trigger clears it whenever an HR field changes, by any writer);
:func:`refresh_verdicts` recomputes stale ones in bounded chunks before anything is counted,
so the counts are always exact.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, bindparam, column, func, or_, select, table, update
from sqlalchemy.orm import Session

from benefits_tui.db.models import Employee, SyncRecord
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.queries import current_clause
from benefits_tui.services.sync import preflight
from benefits_tui.services.sync.reference import PlatformRules, cached_rules

CHUNK = 2000
MAX_ROUNDS = 10_000  # 20 million verdicts: a bound, never reached
# A name for "another employee" when computing the shared-email verdict: only its kind is kept;
# the reason shown names the real holders and is computed when the record is failed.
_SOMEONE_ELSE = "another employee"


def rules_fingerprint(rules: PlatformRules) -> str:
    """A short name for the picklists and level codes (a change gives another name)."""
    canonical = json.dumps(
        {
            "picklists": {k: list(v) for k, v in sorted(rules.picklists.items())},
            "levels": list(rules.level_codes),
        },
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _kind(rejection: preflight.Rejection | None) -> str | None:
    return None if rejection is None else rejection.kind


def verdict_values(
    employee: Mapping[str, Any], rules: PlatformRules, fingerprint: str
) -> dict[str, Any]:
    """The verdict columns for one employee (a mapping of its columns)."""
    return {
        "preflight_alone": _kind(preflight.check(employee, rules, None, linked=False)),
        "preflight_shared": _kind(preflight.check(employee, rules, _SOMEONE_ELSE, linked=False)),
        "preflight_linked": _kind(preflight.check(employee, rules, None, linked=True)),
        "preflight_rules": fingerprint,
    }


def stale(fingerprint: str) -> ColumnElement[bool]:
    """Verdicts to recompute; written as ranges so an index on the fingerprint serves it."""
    column = Employee.preflight_rules
    return or_(column.is_(None), column < fingerprint, column > fingerprint)


async def refresh_verdicts(
    context: ServiceContext,
    rules: PlatformRules | None = None,
    *,
    ids: Iterable[int] | None = None,
) -> int:
    """Recompute stale verdicts (of ``ids``, or of everyone); returns how many were written.

    Each chunk is read, checked and written in one write transaction, so an edit cannot slip
    between the read and the write of its verdict.
    """
    rules = rules or await cached_rules(context)
    fingerprint = rules_fingerprint(rules)
    wanted = None if ids is None else sorted(set(ids))
    table = Employee.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({name: bindparam(name) for name in preflight.VERDICT_ATTRIBUTES})
    )

    def write_chunk(session: Session, query: Select[Any]) -> int:
        rows = session.execute(query).mappings().all()
        if rows:
            values = [
                {
                    "_id": row["id"],
                    **verdict_values(cast(Mapping[str, Any], row), rules, fingerprint),
                }
                for row in rows
            ]
            session.connection().execute(statement, values)
        return len(rows)

    written = 0
    position = 0
    for _ in range(MAX_ROUNDS):
        conditions = [stale(fingerprint)]
        if wanted is not None:
            batch = wanted[position : position + CHUNK]
            if not batch:
                break
            position += CHUNK
            conditions.append(Employee.id.in_(batch))
        # No ORDER BY: the stale rows are found through the fingerprint's index; each round
        # makes the rows it read fresh, so the next finds the next ones.
        found = select(Employee.id).where(*conditions).limit(CHUNK).scalar_subquery()
        query = select(*preflight.EMPLOYEE_COLUMNS).where(Employee.id.in_(found))
        if context.db.is_postgresql:
            query = query.with_for_update(of=Employee)
        count = await context.db.run_write(write_chunk, query)
        written += count
        if wanted is None and not count:
            break
    return written


def shared_keys(context: ServiceContext) -> Any:
    """The email keys held by more than one current employee (a subquery).

    Keys held twice at all come from the email index alone (SQLite: from ``employee_emails``,
    its holders counted by triggers, migration 0009); only their holders are then joined to be
    checked as current (joining everyone made this 40x slower at 100,000).
    """
    held_twice: Select[Any]
    if context.db.is_sqlite:
        held_twice = (
            select(column("email_key"))
            .select_from(table("employee_emails"))
            .where(column("holders") > 1)
        )
    else:
        held_twice = (
            select(Employee.email_key)
            .where(Employee.email_key.is_not(None))
            .group_by(Employee.email_key)
            .having(func.count() > 1)
        )
    return (
        select(Employee.email_key)
        .select_from(Employee)
        .join(SyncRecord, SyncRecord.employee_id == Employee.id)
        .where(Employee.email_key.in_(held_twice), current_clause(context.clock.today()))
        .group_by(Employee.email_key)
        .having(func.count() > 1)
    )
