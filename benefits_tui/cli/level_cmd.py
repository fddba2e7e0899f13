"""`benefits-tui level assign`: assign a Benefits Level to one or many employees (RULES §1.6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from benefits_tui.cli.employee_cmd import invalid
from benefits_tui.cli.runner import EXIT_USAGE, CommandFailed, pass_services
from benefits_tui.domain.states import SyncState

if TYPE_CHECKING:
    from benefits_tui.services.context import ServiceContext

STATUS_CHOICES = [state.slug for state in SyncState] + ["all"]


@click.group()
def level() -> None:
    """Benefits Levels."""


@level.command("assign")
@click.argument("level_code", metavar="LEVEL")
@click.argument("employees", metavar="[EMPLOYEE]...", nargs=-1)
@click.option("--status", type=click.Choice(STATUS_CHOICES), help="Every employee in this tab ...")
@click.option("--search", default=None, help="... matching this search (name, email, number).")
@pass_services
async def assign(
    context: ServiceContext,
    level_code: str,
    employees: tuple[str, ...],
    status: str | None,
    search: str | None,
) -> None:
    """Assign LEVEL (a level code; "none" clears it) to employees.

    Name employees by number or email, or choose them like the app does with --status
    and/or --search. Linked employees are sent the change by account ID.
    """
    from benefits_tui.services.employees import assign_level
    from benefits_tui.services.errors import InvalidInput
    from benefits_tui.services.queries import EmployeeFilter, resolve_numbers
    from benefits_tui.services.sync.requests import Selection

    if employees and (status or search is not None):
        raise CommandFailed("name employees, or use --status/--search, not both", EXIT_USAGE)
    if not employees and not status and search is None:
        raise CommandFailed(
            "name employees, or choose them with --status and/or --search", EXIT_USAGE
        )
    if employees:
        selection = Selection.of(await resolve_numbers(context, list(employees)))
    else:
        state = None if status in (None, "all") else SyncState.from_slug(status)
        selection = Selection.all_in(EmployeeFilter(state, search or ""))
    code = None if level_code.strip().lower() in ("none", "") else level_code
    try:
        result = await assign_level(context, selection, code)
    except InvalidInput as exc:
        raise invalid(exc, {"benefits_level": "LEVEL"}) from None
    click.echo(result.message())
