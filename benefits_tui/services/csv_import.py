"""`benefits-tui import FILE.csv`: add employees from a CSV file, all or nothing (RULES §4).

Every row is checked with the same field rules as the forms (``domain.fields.parse_field``)
before anything is written; every problem is reported with its line, column and message.
Employee numbers repeated in the file or already in the database are problems too. When
nothing is wrong the rows go in within ONE transaction, as chunked bulk inserts (like the
seed), so 100,000 rows take seconds and a failure leaves the database as it was.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from benefits_tui.db.models import Employee, SyncEvent, SyncRecord
from benefits_tui.domain.fields import (
    ATTRIBUTE_OF,
    CSV_FIELDS,
    REQUIRED_TO_IMPORT,
    FieldProblem,
    email_key,
    parse_field,
    search_text,
)
from benefits_tui.domain.states import Action, CreatedVia, SyncState
from benefits_tui.domain.wording import plural
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.history import event
from benefits_tui.services.permissions import Permission
from benefits_tui.services.sync.reference import cached_rules, platform_rules
from benefits_tui.services.sync.verdicts import rules_fingerprint, verdict_values

CHUNK = 2000
# Columns written by `benefits-tui export` that an import accepts and ignores (round trip).
EXPORT_ONLY_COLUMNS: tuple[str, ...] = ("status", "reason", "benefits_account_id", "last_synced_at")
# What `export` prefixes with a quote to defuse spreadsheet formulas; an import takes it off.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, order=True)
class RowProblem:
    """One thing wrong with the file: where (line, column) and what."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class ImportResult:
    """What an import did (or, with ``dry_run``, would do)."""

    rows: int = 0
    inserted: int = 0
    dry_run: bool = False
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def message(self) -> str:
        if self.problems:
            return (
                f"{plural(len(self.problems), 'problem')} in "
                f"{len({p.line for p in self.problems}):,} line(s); nothing was imported"
            )
        if self.dry_run:
            return f"{plural(self.rows, 'employee')} would be imported (dry run: nothing saved)"
        return f"{plural(self.inserted, 'employee')} imported (Not syncing)"


def decode(data: bytes) -> tuple[str | None, RowProblem | None]:
    """UTF-8 text with or without a BOM; a problem naming the line of the first bad byte."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, RowProblem(
            line, "", f"is not UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        )


def _unquote_formula(text: str) -> str:
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, values) for every non-blank record; quoted newlines allowed."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _CsvBroken(reader.line_num, str(exc)) from None
        start, line = line, reader.line_num + 1
        if not values or values == [""] or all(not v.strip() for v in values):
            continue
        yield start, values


class _CsvBroken(Exception):
    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message


async def check_file(
    context: ServiceContext, data: bytes
) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    """Parse and check the whole file: (rows of model values, problems)."""
    text, problem = decode(data)
    if problem is not None:
        return [], [problem]
    assert text is not None
    rules = await platform_rules(context)
    problems: list[RowProblem] = []
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    records = _records(text)
    try:
        first = next(records, None)
        if first is None:
            return [], [
                RowProblem(1, "", "the file is empty; the first line must name the columns")
            ]
        header_line, header = first
        columns = [name.strip().lower() for name in header]
        for index, name in enumerate(columns):
            if name not in CSV_FIELDS and name not in EXPORT_ONLY_COLUMNS:
                problems.append(
                    RowProblem(
                        header_line,
                        header[index] or f"#{index + 1}",
                        "is not a column (use: " + ", ".join(CSV_FIELDS) + ")",
                    )
                )
            elif columns.index(name) != index:
                problems.append(RowProblem(header_line, name, "appears twice in the header"))
        for name in sorted(REQUIRED_TO_IMPORT - set(columns), key=CSV_FIELDS.index):
            problems.append(RowProblem(header_line, name, "is required but not in the header"))
        if problems:
            return [], problems
        wanted = [(index, name) for index, name in enumerate(columns) if name in CSV_FIELDS]
        seen: dict[str, int] = {}
        picklists, levels = rules.picklists, rules.level_codes
        for line, values in records:
            if len(values) != len(columns):
                problems.append(
                    RowProblem(line, "", f"has {len(values)} values; the header has {len(columns)}")
                )
                continue
            row: dict[str, Any] = {}
            bad = False
            for index, name in wanted:
                try:
                    row[ATTRIBUTE_OF[name]] = parse_field(
                        name,
                        _unquote_formula(values[index]),
                        picklists=picklists,
                        levels=levels,
                        platform_rules=False,
                    )
                except FieldProblem as exc:
                    problems.append(RowProblem(line, name, exc.message))
                    bad = True
            number = row.get("employee_number")
            if number:
                if number in seen:
                    problems.append(
                        RowProblem(
                            line, "employee_number", f"{number} is also on line {seen[number]}"
                        )
                    )
                    bad = True
                else:
                    seen[number] = line
            if not bad:
                rows.append(row)
                lines.append(line)
    except _CsvBroken as exc:
        problems.append(RowProblem(exc.line, "", f"is not valid CSV ({exc.message})"))
        return [], sorted(problems, key=lambda p: p.line)
    # Numbers already in the database.
    numbers = list(seen)
    async with context.db.read() as session:
        for start in range(0, len(numbers), CHUNK):
            existing = (
                await session.scalars(
                    select(Employee.employee_number).where(
                        Employee.employee_number.in_(numbers[start : start + CHUNK])
                    )
                )
            ).all()
            for number in existing:
                problems.append(
                    RowProblem(seen[number], "employee_number", f"{number} is already an employee")
                )
    return rows, sorted(problems, key=lambda p: p.line)


async def import_csv(
    context: ServiceContext, data: bytes, *, dry_run: bool = False, source: str = "CSV"
) -> ImportResult:
    """Check the file and, when every row is good and not ``dry_run``, insert them all at once."""
    if not dry_run:
        context.require(Permission.IMPORT)
    rows, problems = await check_file(context, data)
    result = ImportResult(rows=len(rows) if not problems else 0, dry_run=dry_run, problems=problems)
    if problems or dry_run or not rows:
        return result
    now = context.clock.now()
    state = SyncState.NOT_SYNCING.value
    reason = f"added via import of {source}"[:500]
    employees = Employee.__table__
    # Each employee's pre-flight verdict is stored with it, so Confirm Sync only counts.
    rules = await cached_rules(context)
    fingerprint = rules_fingerprint(rules)
    try:

        def insert_all(session: Session) -> None:  # one transaction: all or nothing
            for start in range(0, len(rows), CHUNK):
                chunk = []
                for values in rows[start : start + CHUNK]:
                    chunk.append(
                        {
                            **values,
                            "email_key": email_key(values.get("email")),
                            "search_text": search_text(
                                values["employee_number"],
                                values["forenames"],
                                values["surname"],
                                values.get("email"),
                            ),
                            "created_via": CreatedVia.IMPORT.value,
                            "created_by": context.actor,
                            "created_at": now,
                            "updated_at": now,
                            "revision": 1,
                            **verdict_values(values, rules, fingerprint),
                        }
                    )
                # Core, not ORM bulk: the ORM splices RETURNING batches quadratically.
                connection = session.connection()
                ids = list(
                    (
                        connection.execute(insert(employees).returning(employees.c.id), chunk)
                    ).scalars()
                )
                connection.execute(
                    insert(SyncRecord.__table__),
                    [{"employee_id": i, "state": state, "updated_at": now} for i in ids],
                )
                connection.execute(
                    insert(SyncEvent.__table__),
                    [
                        event(i, context.actor, Action.EMPLOYEE_ADDED, now, reason=reason)
                        for i in ids
                    ],
                )
                result.inserted += len(ids)

        await context.db.run_write(insert_all)
    except IntegrityError:
        # Another user added one of these numbers since the check: nothing was saved.
        result.inserted = 0
        result.problems = [
            RowProblem(
                1,
                "employee_number",
                "an employee number in the file was added by someone else meanwhile; "
                "nothing was imported, run the import again to see which",
            )
        ]
    return result
