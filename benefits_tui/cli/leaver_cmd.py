"""`benefits-tui leaver`: the leaver workflow, headless (RULES §1.7)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from benefits_tui.cli.employee_cmd import invalid
from benefits_tui.cli.runner import pass_services
from benefits_tui.domain.fields import FieldProblem, parse_date

if TYPE_CHECKING:
    from benefits_tui.services.context import ServiceContext


class IsoDate(click.ParamType):  # type: ignore[type-arg]  # generic only in recent click
    """A YYYY-MM-DD date, refused with the same words as the forms and the import."""

    name = "YYYY-MM-DD"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return parse_date("date", str(value))
        except FieldProblem as problem:
            self.fail(problem.message, param, ctx)


@click.command()
@click.argument("employee_key", metavar="EMPLOYEE")
@click.option(
    "--date",
    "leave_date",
    required=True,
    type=IsoDate(),
    help="Leave date, YYYY-MM-DD (coverage ends on this date).",
)
@click.option("--reason", required=True, help="Why the employee leaves.")
@pass_services
async def leaver(
    context: ServiceContext, employee_key: str, leave_date: dt.date, reason: str
) -> None:
    """Record EMPLOYEE (number or email) as a leaver.

    For an employee linked to a Benefits account, coverage ends on the leave date on the
    platform; for one never synced, nothing is sent.
    """
    from benefits_tui.services.employees import record_leaver
    from benefits_tui.services.errors import InvalidInput
    from benefits_tui.services.queries import find_employee

    employee_id = await find_employee(context, employee_key)
    try:
        result = await record_leaver(context, employee_id, leave_date, reason)
    except InvalidInput as exc:
        raise invalid(exc, {"reason": "--reason", "leave_date": "--date"}) from None
    click.echo(result.message)
