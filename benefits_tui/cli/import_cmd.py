"""`benefits-tui import FILE.csv [--dry-run]`: all-or-nothing CSV import (RULES §4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from benefits_tui.cli.runner import EXIT_FAILED, CommandFailed, pass_services
from benefits_tui.domain.safe_text import visible

if TYPE_CHECKING:
    from benefits_tui.services.context import ServiceContext


@click.command("import")
@click.argument(
    "path", metavar="FILE.csv", type=click.Path(exists=True, dir_okay=False, allow_dash=True)
)
@click.option("--dry-run", is_flag=True, help="Check every row and report; save nothing.")
@pass_services
async def import_(context: ServiceContext, path: str, dry_run: bool) -> None:
    """Add employees from a CSV file (UTF-8, header row), all or nothing.

    Columns: employee_number, title, forenames, surname, email, date_of_birth, gender,
    job_title, department, start_date, annual_pay, pay_basis, pay_frequency,
    benefits_level; only employee_number, forenames and surname are required. Every bad
    row is reported with its line, column and problem, and then nothing is imported.
    Imported employees are in Not syncing.
    """
    from benefits_tui.services.csv_import import import_csv

    with click.open_file(path, "rb") as handle:
        data = handle.read()
    result = await import_csv(context, data, dry_run=dry_run, source=click.format_filename(path))
    for problem in result.problems:
        click.echo(f"{click.format_filename(path)}: {visible(problem)}", err=True)
    if not result.ok:
        raise CommandFailed(result.message(), EXIT_FAILED)
    click.echo(result.message())
