"""The `benefits-tui` entry point."""

from __future__ import annotations

import click

from benefits_tui import __version__
from benefits_tui.cli.app_cmd import demo
from benefits_tui.cli.db_cmd import db
from benefits_tui.cli.employee_cmd import employee
from benefits_tui.cli.export_cmd import export
from benefits_tui.cli.history_cmd import history
from benefits_tui.cli.import_cmd import import_
from benefits_tui.cli.leaver_cmd import leaver
from benefits_tui.cli.level_cmd import level
from benefits_tui.cli.simulator_cmd import simulator
from benefits_tui.cli.status_cmd import status
from benefits_tui.cli.sync_cmd import sync, worker
from benefits_tui.cli.users_cmd import users


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", envvar=None, help="Overrides BENEFITS_TUI_DATABASE_URL.")
@click.option("--api-url", help="Overrides BENEFITS_API_URL.")
@click.option(
    "--user",
    help="Acting user on SQLite (overrides BENEFITS_TUI_USER); on PostgreSQL the login is.",
)
@click.version_option(__version__, prog_name="benefits-tui")
@click.pass_context
def cli(
    ctx: click.Context, database_url: str | None, api_url: str | None, user: str | None
) -> None:
    """Benefits Management: send HR employees to the Benefits platform and watch the sync.

    Without a command, opens the app on the configured database and platform.
    """
    ctx.obj = {"database_url": database_url, "api_url": api_url, "user": user}
    if ctx.invoked_subcommand is None:
        from benefits_tui.cli.app_cmd import open_app

        open_app(ctx)


cli.add_command(db)
cli.add_command(status)
cli.add_command(demo)
cli.add_command(employee)
cli.add_command(level)
cli.add_command(leaver)
cli.add_command(import_)
cli.add_command(export)
cli.add_command(sync)
cli.add_command(worker)
cli.add_command(history)
cli.add_command(simulator)
cli.add_command(users)


def main() -> None:
    """Run the command line; an unexpected error is one line plus a log file, never a traceback."""
    try:
        cli(prog_name="benefits-tui")
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        from benefits_tui.cli.crash_log import report_crash

        report_crash(exc)
