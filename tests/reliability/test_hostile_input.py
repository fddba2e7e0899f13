"""RULES §5 "Hostile input": a hostile corpus through the import, CLI, export, screen and sync.

The corpus is ``tests/data/hostile.txt`` (printable values, one a line: they must be stored
and shown intact) plus values generated here that cannot sit on a line or must be refused
(NUL, newlines, ESC and other control characters, 10,000 characters).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import select
from sqlalchemy.orm import Session

from benefits_tui.db.models import Employee
from benefits_tui.domain.fields import MAX_TEXT
from benefits_tui.domain.states import SyncState
from benefits_tui.services.csv_export import export_csv, export_filter
from benefits_tui.services.csv_import import import_csv
from benefits_tui.services.queries import employee_detail
from benefits_tui.services.sync.requests import Selection, request_sync
from tests.app.conftest import context_for, launched, main_screen, no_debounce
from tests.helpers import (
    CliInvoke,
    Simulator,
    add_people,
    cli_invoker,
    export_rows,
    press,
    screen_text,
    services,
    settle,
)

__all__ = ["no_debounce"]  # the app fixture, used below

DATA = Path(__file__).parent.parent / "data"


def corpus() -> list[str]:
    lines = (DATA / "hostile.txt").read_text(encoding="utf-8").split("\n")
    return [line for line in lines if line and not line.startswith("# ")]


HOSTILE = corpus()
LONG = "L" + "ω" * (MAX_TEXT - 2) + "Z"  # exactly MAX_TEXT characters, non-ASCII
TOO_LONG = "x" * (MAX_TEXT + 1)
# Values a name must never hold: refused with a clear message everywhere.
CONTROL = {
    "ansi colour": "\x1b[31mred",
    "osc title": "\x1b]0;title\x07",
    "clear screen": "\x1b[2J",
    "nul": "Bob\x00by",
    "newline": "two\nlines",
    "carriage return": "over\rwrite",
    "bell": "ding\x07",
    "backspace": "ab\x08c",
    "c1 csi": "x\x9b31m",
    "delete": "del\x7f",
}
FORMULAS = [v for v in HOSTILE if v.startswith(("=", "+", "-", "@"))]
HEADER = [
    "employee_number",
    "forenames",
    "surname",
    "email",
    "job_title",
    "department",
    "date_of_birth",
]


def test_the_corpus_covers_each_kind() -> None:
    text = "\n".join(HOSTILE)
    for needle in (
        "[bold]x",
        "Bob [/x]",
        "[link=https://evil]click[/link]",
        "Smith [admin]",
        "\u202eevil",
        "e\u0301\u0302\u0303",
        "👩🏽\u200d💼",
        "Robert'); DROP TABLE employees;--",
        "=cmd|' /C calc'!A0",
        "+1+1",
        "-2",
        "@SUM(A1)",
        "محمد",
        "דוד",
    ):
        assert needle in text, needle
    assert len(HOSTILE) >= 30 and len(FORMULAS) >= 4
    assert all(v == v.strip() for v in HOSTILE)  # stored as given, not trimmed


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(
        out, lineterminator="\n", quoting=csv.QUOTE_ALL
    )  # a bare CR must stay in its cell
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def hostile_rows() -> list[list[str]]:
    """One employee per hostile value: in the names, the job title and the department."""
    values = [*HOSTILE, LONG]
    return [
        [f"H{n:03d}", value, value, f"h{n}@example.com", value, value, "1990-01-01"]
        for n, value in enumerate(values, start=1)
    ]


async def stored(context) -> dict[str, Employee]:  # type: ignore[no-untyped-def]
    async with context.db.read() as session:
        return {e.employee_number: e for e in (await session.scalars(select(Employee))).all()}


# (1) The CSV import ---------------------------------------------------------------------------


async def test_import_stores_every_hostile_value_intact(sqlite_url: str) -> None:
    async with services(sqlite_url, Simulator()) as context:
        rows = hostile_rows()
        result = await import_csv(context, csv_bytes(rows), source="hostile.csv")
        assert result.ok, [str(p) for p in result.problems]
        assert result.inserted == len(rows)
        employees = await stored(context)
    assert len(employees) == len(rows)  # no DROP TABLE ran, nothing merged
    for number, forenames, surname, email, job, department, _ in rows:
        employee = employees[number]
        assert (
            employee.forenames,
            employee.surname,
            employee.email,
            employee.job_title,
            employee.department,
        ) == (forenames, surname, email, job, department), number


@pytest.mark.parametrize("kind", sorted(CONTROL))
async def test_import_refuses_control_characters_naming_line_and_column(
    sqlite_url: str, kind: str
) -> None:
    value = CONTROL[kind]
    rows = [["C001", "Good", "Row", "", "", "", ""], ["C002", "Ann", value, "", "", "", ""]]
    async with services(sqlite_url, Simulator()) as context:
        result = await import_csv(context, csv_bytes(rows), source="bad.csv")
        assert not result.ok and result.inserted == 0
        [problem] = result.problems
        assert problem.line == 3 and problem.column == "surname"
        assert (
            "NUL" in problem.message if "\x00" in value else "control characters" in problem.message
        )
        assert str(problem).startswith("line 3, column surname: ")
        assert await stored(context) == {}  # all or nothing


@pytest.mark.parametrize(
    "column", ["email", "benefits_level", "department", "job_title", "title", "gender"]
)
async def test_import_refuses_escape_sequences_in_any_text_column(
    sqlite_url: str, column: str
) -> None:
    header = ["employee_number", "forenames", "surname", column]
    data = csv_bytes([["C001", "Ann", "Lee", "\x1b]0;pwned\x07x"]], header)
    async with services(sqlite_url, Simulator()) as context:
        result = await import_csv(context, data)
        assert [(p.line, p.column) for p in result.problems] == [(2, column)], [
            str(p) for p in result.problems
        ]
        message = result.problems[0].message
        assert (
            "control characters" in message or "is not one of" in message
        )  # picklists name the choices
        assert "\x1b" not in message  # the message shows the value escaped


async def test_import_refuses_too_long_values_and_invalid_dates(sqlite_url: str) -> None:
    rows = [
        ["C001", TOO_LONG, "Lee", "", "", "", ""],
        ["C002", "Ann", "Lee", "", "", "", "1990-02-30"],
        ["C003", "Ann", "Lee", "", "", "", "31/12/1990"],
        ["C004", "Ann", "Lee", "", "", "", "'; DROP TABLE employees;--"],
        ["C005", "Ann", "Lee", "", "", "", "=TODAY()"],
    ]
    async with services(sqlite_url, Simulator()) as context:
        result = await import_csv(context, csv_bytes(rows))
        assert await stored(context) == {}
    found = {(p.line, p.column): p.message for p in result.problems}
    assert set(found) == {
        (2, "forenames"),
        (3, "date_of_birth"),
        (4, "date_of_birth"),
        (5, "date_of_birth"),
        (6, "date_of_birth"),
    }
    assert "longer than 10,000 characters" in found[(2, "forenames")]
    assert "February 1990 has 28 days" in found[(3, "date_of_birth")]


# (2) The CLI --------------------------------------------------------------------------------------


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliInvoke:
    return cli_invoker(tmp_path, monkeypatch)  # exceptions caught: a traceback is no answer


def refused(result: Result) -> str:
    """Exit 2, one clear line, no traceback; the line."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 or lines[0].startswith("Usage:"), result.stderr
    return lines[-1]


def test_cli_add_and_set_keep_hostile_values_intact(run) -> None:  # type: ignore[no-untyped-def]
    values = [*HOSTILE, LONG]
    for n, value in enumerate(values, start=1):
        result = run(
            "employee", "add", "--forenames", value, "--surname", "Hostile", "--job-title", value
        )
        assert result.exit_code == 0, (value, result.output)
        assert result.stdout == f"E{n:06d}\n"
    # employee set with the value as surname (FIELD=VALUE splits at the first '=' only).
    for n, value in enumerate(values, start=1):
        result = run("employee", "set", f"E{n:06d}", f"surname={value}", f"department={value}")
        assert result.exit_code == 0, (value, result.output)
        assert "Traceback" not in result.output
    rows = {row["employee_number"]: row for row in export_rows(run, "--status", "all")}
    assert len(rows) == len(values)
    for n, value in enumerate(values, start=1):
        row = rows[f"E{n:06d}"]
        expected = "'" + value if value.startswith(("=", "+", "-", "@")) else value
        assert (row["forenames"], row["surname"], row["job_title"], row["department"]) == (
            expected,
        ) * 4, value


@pytest.mark.parametrize("kind", sorted(CONTROL))
def test_cli_refuses_control_characters_with_one_line(run, kind: str) -> None:  # type: ignore[no-untyped-def]
    value = CONTROL[kind]
    line = refused(run("employee", "add", "--forenames", value, "--surname", "Lee"))
    assert "--forenames" in line and (
        "NUL" in line if "\x00" in value else "control characters" in line
    )
    assert "\x1b" not in line  # the message does not replay the escape sequence
    assert run("employee", "add", "--forenames", "Ann", "--surname", "Lee").exit_code == 0
    line = refused(run("employee", "set", "E000001", f"surname={value}"))
    assert "surname" in line.lower() and "\x1b" not in line
    assert export_rows(run, "--status", "all")[0]["surname"] == "Lee"


@pytest.mark.parametrize(
    "args, needle",
    [
        (("--email", "not-an-email[b]"), "is not a valid email address"),
        (("--email", "Robert'); DROP TABLE employees;--@x.com"), "is not a valid email address"),
        (("--date-of-birth", "1990-02-30"), "is not a date"),
        (("--date-of-birth", "=TODAY()"), "is not a date"),
        (("--start-date", "31/12/2020"), "is not a date"),
        (("--annual-pay", "=1+1"), "is not a number"),
        (("--surname", TOO_LONG), "longer than 10,000 characters"),
    ],
)
def test_cli_refuses_invalid_values_with_one_line(run, args: tuple[str, str], needle: str) -> None:  # type: ignore[no-untyped-def]
    base = {"--forenames": "Ann", "--surname": "Lee"} | dict([args])
    line = refused(run("employee", "add", *[part for pair in base.items() for part in pair]))
    assert needle in line
    assert export_rows(run, "--status", "all") == []


def test_cli_set_refuses_invalid_email_and_date(run) -> None:  # type: ignore[no-untyped-def]
    assert run("employee", "add", "--forenames", "Ann", "--surname", "Lee").exit_code == 0
    assert "is not a valid email address" in refused(run("employee", "set", "E000001", "email=a@b"))
    assert "is not a date" in refused(run("employee", "set", "E000001", "date_of_birth=2026-13-01"))
    assert "control characters" in refused(run("employee", "set", "E000001", "email=\x1b[2J@x.com"))


# (3) The export ----------------------------------------------------------------------------------


async def test_export_neutralises_formulas_and_carries_no_escape(sqlite_url: str) -> None:
    async with services(sqlite_url, Simulator()) as context:
        rows = hostile_rows()
        assert (await import_csv(context, csv_bytes(rows))).ok
        out = io.StringIO()
        count = await export_csv(context, export_filter("all"), out)
        text = out.getvalue()
        assert count == len(rows)
        assert "\x1b" not in text and "\x00" not in text and "\x07" not in text
        exported = {row["employee_number"]: row for row in csv.DictReader(io.StringIO(text))}
        for number, value, *_ in rows:
            row = exported[number]
            for column in ("forenames", "surname", "job_title", "department"):
                cell = row[column]
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (column, cell)
                assert cell == ("'" + value if value in FORMULAS else value), (column, value)
        # And the export imports back to the same values (the quote comes off).
        renumbered = text.replace("\nH", "\nR")
        again = await import_csv(context, renumbered.encode())
        assert again.ok, [str(p) for p in again.problems]
        employees = await stored(context)
        for number, value, *_ in rows:
            assert employees["R" + number[1:]].forenames == value


# (4) The app's screen -----------------------------------------------------------------------


@pytest.mark.usefixtures("no_debounce")
async def test_screen_shows_hostile_rows_literally(sqlite_url: str) -> None:
    async with context_for(sqlite_url) as context:
        screenable = [v for v in HOSTILE if "\u202e" not in v] + [LONG]
        for n, value in enumerate(screenable, start=1):
            await add_people(
                context, 1, start=n, forenames=value, surname="Q", email=f"h{n}@example.com"
            )
        async with launched(context) as (app, pilot):
            screen = main_screen(app)
            assert len(screen.table.ids) == len(screenable)
            text = screen_text(app)
            assert "\x1b" not in text
            assert "[bold]x Q" in text  # markup shown as text, not applied
            # Search for a hostile string: only that row, shown literally, in the grid and the
            # detail pane.
            for needle, shown in [
                ("smith [admin]", "Smith [admin]"),
                ("bob [/x]", "Bob [/x]"),
                ("[link=https", "[link=https://evil]click[/link]"),
                ("drop table", "Robert'); DROP TABLE employees;--"),
            ]:
                await press(pilot, "slash", *needle)
                assert len(screen.table.ids) == 1, needle
                await pilot.press("enter", "enter")  # keep the search, open the row
                await settle(pilot)
                text = screen_text(app)
                assert "\x1b" not in text
                assert shown in text, (needle, text)  # in full in the detail pane
                assert text.count(shown[:24]) >= 2, (
                    needle,
                    text,
                )  # and in the row (the grid may cut it)
                await press(pilot, "escape", "slash", *["backspace"] * len(needle), "escape")
                assert len(screen.table.ids) == len(screenable), needle


@pytest.mark.usefixtures("no_debounce")
async def test_screen_never_emits_escape_sequences_stored_by_other_means(sqlite_url: str) -> None:
    """Values that bypass the field rules (an older version, a direct write) still cannot restyle
    the terminal."""
    async with context_for(sqlite_url) as context:
        ids = await add_people(context, 1, forenames="Ann", surname="Lee")

        def plant(session: Session) -> None:
            employee = session.get(Employee, ids[0])
            assert employee is not None
            employee.forenames = "\x1b]0;title\x07\x1b[2J\x1b[31mred"
            employee.department = "Bob\x00by\nsecond line"

        await context.db.run_write(plant)
        async with launched(context) as (app, pilot):
            await press(pilot, "enter")
            text = screen_text(app)
            assert "\x1b" not in text and "\x07" not in text and "\x00" not in text
            assert "␛[31mred" in text  # shown, not obeyed


# (5) Sync pre-flight -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "not-an-email[b]",
        "a@b",
        "Robert'); DROP TABLE employees;--@x.com",
        "=cmd|' /C calc'!A0@x.com",
        "\u202eevil@example.com",
        "üser@example.com",
        "two@@example.com",
        "x" * 250 + "@example.com",
    ],
)
async def test_sync_preflight_rejects_an_invalid_email_without_a_call(
    sqlite_url: str, email: str
) -> None:
    sim = Simulator()
    async with services(sqlite_url, sim) as context:
        data = csv_bytes([["S001", "Ann", "Lee", email, "", "", ""]], HEADER)
        assert (await import_csv(context, data)).ok  # the import stores it; sync checks it
        [employee] = (await stored(context)).values()
        assert employee.email == email
        result = await request_sync(context, Selection.of([employee.id]))
        assert result.rejected == 1 and result.queued == 0
        detail = await employee_detail(context, employee.id)
    assert detail.state is SyncState.FAILED
    assert (detail.reason or "").startswith("HR rejected"), detail.reason
    assert "email" in (detail.reason or "")
    assert await sim.account_calls() == []


async def test_sync_preflight_rejects_a_shared_email_without_a_call(sqlite_url: str) -> None:
    sim = Simulator()
    async with services(sqlite_url, sim) as context:
        first, second = await add_people(context, 2, email="Shared@Example.com")
        [third] = await add_people(context, 1, start=3, email="shared@example.COM")
        result = await request_sync(context, Selection.of([first, second, third]))
        assert result.rejected == 3 and result.queued == 0
        details = [await employee_detail(context, i) for i in (first, second, third)]
    for detail in details:
        assert detail.state is SyncState.FAILED
        assert (detail.reason or "").startswith("HR rejected") and "shared with" in (
            detail.reason or ""
        )
    assert await sim.account_calls() == []
