"""The `benefits-tui` entry point."""

from __future__ import annotations

import gc

import click

from benefits_tui import __version__
from benefits_tui.cli.lazy_group import LazyGroup

# Every subcommand: its name -> "module:attribute" of its click command, imported only when
# that command runs (or --help lists it). To add a command: write `benefits_tui/cli/<name>_cmd.py`
# defining a click command (or group) whose module imports only click, the standard library and
# other cheap modules (benefits_tui.cli.runner, benefits_tui.domain) at the top; import what the
# command uses (services, sqlalchemy, httpx, textual, rich...) inside its body, and type-only
# names under `if TYPE_CHECKING:`. Then add one line below, in alphabetical order.
# tests/cli/test_lazy_imports.py fails if --help, --version or `status --json` import more.
COMMANDS: dict[str, str] = {
    "config": "benefits_tui.cli.config_cmd:config",
    "db": "benefits_tui.cli.db_cmd:db",
    "demo": "benefits_tui.cli.app_cmd:demo",
    "employee": "benefits_tui.cli.employee_cmd:employee",
    "export": "benefits_tui.cli.export_cmd:export",
    "history": "benefits_tui.cli.history_cmd:history",
    "hold": "benefits_tui.cli.hold_cmd:hold",
    "import": "benefits_tui.cli.import_cmd:import_",
    "leaver": "benefits_tui.cli.leaver_cmd:leaver",
    "level": "benefits_tui.cli.level_cmd:level",
    "reconcile": "benefits_tui.cli.reconcile_cmd:reconcile",
    "simulator": "benefits_tui.cli.simulator_cmd:simulator",
    "status": "benefits_tui.cli.status_cmd:status",
    "sync": "benefits_tui.cli.sync_cmd:sync",
    "users": "benefits_tui.cli.users_cmd:users",
    "worker": "benefits_tui.cli.sync_cmd:worker",
}


@click.group(
    cls=LazyGroup,
    lazy_subcommands=COMMANDS,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
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
    if ctx.invoked_subcommand is not None:
        gc.enable()  # a command: the collector as usual (see main)
    else:
        from benefits_tui.cli.app_cmd import open_app

        open_app(ctx)


def main() -> None:
    """Run the command line; an unexpected error is one line plus a log file, never a traceback."""
    # No cyclic garbage collection while the app starts: it allocates a few hundred thousand
    # long-lived objects (Textual's, then SQLAlchemy's) that the collector would walk again
    # and again, 50-80 ms before the first frame (RULES §5). The app turns it back on once its
    # first rows are loaded, after freezing that heap (BenefitsApp.freeze_heap); a command
    # turns it back on at once (cli).
    gc.disable()
    try:
        cli(prog_name="benefits-tui")
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        from benefits_tui.cli.crash_log import report_crash

        report_crash(exc)
