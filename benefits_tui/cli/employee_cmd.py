"""`benefits-tui employee add|set`: the starter workflow and employee edits, headless (RULES §4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from benefits_tui.cli.runner import EXIT_USAGE, CommandFailed, pass_services
from benefits_tui.domain.fields import CSV_FIELDS
from benefits_tui.domain.safe_text import visible
from benefits_tui.domain.states import CreatedVia, SyncState

if TYPE_CHECKING:
    from benefits_tui.services.context import ServiceContext
    from benefits_tui.services.errors import InvalidInput

# (option, CSV column) for `employee add`.
ADD_OPTIONS: tuple[tuple[str, str], ...] = (
    ("--forenames", "forenames"),
    ("--surname", "surname"),
    ("--email", "email"),
    ("--title", "title"),
    ("--date-of-birth", "date_of_birth"),
    ("--gender", "gender"),
    ("--job-title", "job_title"),
    ("--department", "department"),
    ("--start-date", "start_date"),
    ("--annual-pay", "annual_pay"),
    ("--pay-basis", "pay_basis"),
    ("--pay-frequency", "pay_frequency"),
    ("--benefits-level", "benefits_level"),
)


def invalid(exc: InvalidInput, flags: dict[str, str] | None = None) -> CommandFailed:
    """Refused input as one line naming each option or field and its problem."""
    parts = [
        f"{(flags or {}).get(name, name)}: {message}" for name, message in exc.problems.items()
    ]
    return CommandFailed("; ".join(parts), EXIT_USAGE)


_Command = TypeVar("_Command", bound=Callable[..., Any])


@click.group()
def employee() -> None:
    """Add employees and change their details."""


def _add_options(func: _Command) -> _Command:
    """One ``--<field>`` option per column of :data:`ADD_OPTIONS`."""
    for option, column in reversed(ADD_OPTIONS):
        required = column in ("forenames", "surname")
        func = click.option(
            option,
            column,
            required=required,
            metavar="TEXT",
            help=f"{column.replace('_', ' ').capitalize()}.",
        )(func)
    return func


@employee.command("add")
@_add_options
@click.option(
    "--create-benefits-record",
    is_flag=True,
    help="Queue the starter for sync to Benefits at once (the wizard's toggle).",
)
@pass_services
async def add(context: ServiceContext, create_benefits_record: bool, **raw: str | None) -> None:
    """Add a new employee; prints the new employee number.

    Without --create-benefits-record the employee waits in Not syncing until synced.
    """
    from benefits_tui.services.employees import add_employee, parse_values
    from benefits_tui.services.errors import InvalidInput
    from benefits_tui.services.queries import employee_detail

    flags = {column: option for option, column in ADD_OPTIONS}
    given = {name: value for name, value in raw.items() if value is not None}
    try:
        values = await parse_values(context, given)
        via = CreatedVia.STARTER_WIZARD if create_benefits_record else CreatedVia.CLI
        employee_id, number, result = await add_employee(
            context, values, created_via=via, create_benefits_record=create_benefits_record
        )
    except InvalidInput as exc:
        raise invalid(exc, flags) from None
    click.echo(number)
    if result is not None:
        detail = await employee_detail(context, employee_id)
        if detail.state is SyncState.FAILED:
            click.echo(
                f"{number} added; the sync failed at once: {visible(detail.reason)}", err=True
            )
        else:
            click.echo(f"{number} added and sent to Benefits ({detail.state.label})", err=True)


def _pairs(assignments: tuple[str, ...]) -> dict[str, str]:
    raw: dict[str, str] = {}
    for text in assignments:
        name, sep, value = text.partition("=")
        name = name.strip().lower().replace("-", "_")
        if not sep or not name:
            raise CommandFailed(
                f"{text!r}: write FIELD=VALUE (FIELD one of {', '.join(CSV_FIELDS[1:])})",
                EXIT_USAGE,
            )
        if name in ("leave_date", "leave_reason"):
            raise CommandFailed(f"{name}: record leavers with `benefits-tui leaver`", EXIT_USAGE)
        if name in raw:
            raise CommandFailed(f"{name}: given twice", EXIT_USAGE)
        raw[name] = value
    return raw


@employee.command("set")
@click.argument("employee_key", metavar="EMPLOYEE")
@click.argument("assignments", metavar="FIELD=VALUE...", nargs=-1, required=True)
@pass_services
async def set_(context: ServiceContext, employee_key: str, assignments: tuple[str, ...]) -> None:
    """Change an employee's fields (named as the CSV columns); FIELD= clears one.

    EMPLOYEE is an employee number or email. A change to a synced field of a linked
    employee is sent to Benefits by account ID; a fix to a Failed employee queues a new
    sync attempt.
    """
    from benefits_tui.services.employees import set_fields
    from benefits_tui.services.errors import InvalidInput
    from benefits_tui.services.queries import find_employee

    raw = _pairs(assignments)
    employee_id = await find_employee(context, employee_key)
    try:
        result = await set_fields(context, employee_id, raw)
    except InvalidInput as exc:
        raise invalid(exc) from None
    click.echo(result.message())
