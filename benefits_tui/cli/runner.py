"""Running a command: settings, the service context, and errors as one clear line."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from benefits_tui.domain.errors import EXIT_FAILED, EXIT_USAGE, BenefitsError, one_line
from benefits_tui.domain.safe_text import visible

# Imported by every command module, so it imports only click (and cheap domain helpers) at the
# top: the settings, the database and the services are imported when a command runs.
if TYPE_CHECKING:
    from benefits_tui.config import Settings
    from benefits_tui.services.context import ServiceContext

T = TypeVar("T")

EXIT_OK = 0
__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE"]  # the CLI's exit statuses, in one place


class CommandFailed(BenefitsError):
    """Stop the command with a message and an exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        self.exit_code = code
        super().__init__(message)

    @property
    def code(self) -> int:
        return self.exit_code


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"benefits-tui: {visible(message)}", err=True)
    sys.exit(code)


def quiet_exit_after_broken_pipe() -> None:
    """The reader of our output went away (``| head``): stop quietly with 0, as ``cat`` does.

    Standard output is pointed at /dev/null so that the interpreter's final flush does not
    complain about the closed pipe on stderr.
    """
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(EXIT_OK)


def settings_from(ctx: click.Context) -> Settings:
    """Settings from the environment, the config file and the global flags."""
    from benefits_tui.config import load_settings

    flags: dict[str, Any] = ctx.find_root().obj or {}
    return load_settings(**flags)


def require_existing_database(settings: Settings) -> None:
    """Refuse an explicit SQLite path whose file does not exist (a typo would otherwise create
    an empty database that shows zeros). Only the default database is created on first use;
    ``db upgrade`` and ``demo`` create theirs and do not call this."""
    from benefits_tui.config_quick import default_database_url
    from benefits_tui.db import DatabaseURLError, missing_sqlite_file

    if settings.database_url == default_database_url():
        return
    path = missing_sqlite_file(settings.database_url)
    if path is not None:
        raise DatabaseURLError(
            f"no database at {path} (check the path; `benefits-tui db upgrade` creates one)"
        )


def describe_database_error(exc: BaseException) -> str:
    """A database that cannot be reached or used, as the setting to check and the driver's
    own first line; a refusal by the database's privileges says so (RULES §1.10)."""
    from benefits_tui.domain.errors import database_message, is_permission_denied

    if is_permission_denied(exc):  # the database enforcing a role
        return f"the database refused: {database_message(exc)}"
    driver_error = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the driver's error
    return f"BENEFITS_TUI_DATABASE_URL: cannot use the database ({one_line(driver_error)})"


def expected_errors() -> tuple[type[BaseException], ...]:
    """What a command may meet without a bug: our own errors, and the database or network
    failing under it (imported here: the database layer is loaded only when a command runs)."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    return (BenefitsError, OperationalError, DBAPIError, OSError)  # socket.gaierror included


def stop_on(exc: BaseException) -> NoReturn:
    """The CLI's one ladder: end the command on ``exc`` with one line and its exit status.

    Only for :func:`expected_errors` (and a closed output pipe or Ctrl+C); anything else is a
    bug, for the crash handler in ``main``.
    """
    if isinstance(exc, BenefitsError):
        fail(one_line(exc), exc.exit_code)
    if isinstance(exc, BrokenPipeError):
        quiet_exit_after_broken_pipe()
    if isinstance(exc, KeyboardInterrupt):
        fail("interrupted", 130)
    fail(describe_database_error(exc))


def run_with_context(
    ctx: click.Context,
    body: Callable[[ServiceContext], Awaitable[T]],
    *,
    migrate: bool = True,
    create: bool = False,
) -> T:
    """Open the services and run ``body``; turn every expected error into one line.

    ``create``: the command may create a missing SQLite file (``db upgrade``).
    """
    import anyio

    from benefits_tui.services.context import open_context

    stoppable: tuple[type[BaseException], ...] = (*expected_errors(), KeyboardInterrupt)
    try:
        settings = settings_from(ctx)
        if not create:
            require_existing_database(settings)

        async def main() -> T:
            async with open_context(settings, migrate=migrate) as context:
                context.db.on_lock_wait = _say_lock_wait(ctx)
                return await body(context)

        return anyio.run(main)
    except stoppable as exc:
        stop_on(exc)


def pass_services(func: Callable[..., Awaitable[T]]) -> Callable[..., T]:
    """Decorate a click command body ``async def f(context, **params)``."""

    @click.pass_context
    @functools.wraps(func)
    def wrapper(ctx: click.Context, /, **params: Any) -> T:
        return run_with_context(ctx, lambda context: func(context, **params))

    return wrapper


def _say_lock_wait(ctx: click.Context) -> Callable[[str, float, bool], None]:
    """Say on stderr who waits for what while another process holds SQLite's write lock."""
    command = " ".join(part for part in (ctx.find_root().info_name, ctx.info_name) if part)
    last = [-10.0]

    def say(url: str, waited: float, done: bool) -> None:
        from sqlalchemy.engine import make_url

        path = make_url(url).database or url
        if done:
            click.echo(f"{command}: got the database's write lock after {waited:.0f} s", err=True)
        elif waited - last[0] >= 5:
            last[0] = waited
            click.echo(
                f"{command} (pid {os.getpid()}) is waiting for the write lock of {path}: "
                f"another process holds it ({waited:.0f} s so far; a stopped benefits-tui? "
                "resume it with fg)",
                err=True,
            )

    return say
