"""The root of the errors benefits-tui raises for people, and their one-line message.

Every error meant to be read by a person derives from :class:`BenefitsError` (configuration,
the database URL, the services' refusals, the platform's answers, a bad field value), so the
CLI stops on all of them with one ``except`` (``benefits_tui.cli.runner.stop_on``) and the app
shows them with :func:`one_line`. ``exit_code`` is the CLI's exit status for the error: 1 when
the work failed, 2 when what was asked or configured is wrong.
"""

from __future__ import annotations

EXIT_FAILED = 1
EXIT_USAGE = 2


class BenefitsError(Exception):
    """An error for a person to read: :func:`one_line` of it says what happened."""

    exit_code: int = EXIT_FAILED

    def one_line(self) -> str:
        """The message on one line (a subclass may add what to fix)."""
        return _first_line(self)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__


def one_line(exc: BaseException) -> str:
    """``exc`` as one line for a person: its first line of text, or its class name if it has
    none. Every message about an error, in the CLI, the app and the logs, goes through here."""
    if isinstance(exc, BenefitsError):
        return exc.one_line()
    if is_permission_denied(exc):  # the database enforcing a role (RULES §1.10)
        return f"the database refused: {database_message(exc)}"
    return _first_line(exc)


def database_message(exc: BaseException) -> str:
    """The database's own one-line message inside a driver error (e.g. "permission denied
    for table employees"), without the driver's class names."""
    cause = getattr(exc, "orig", None) or exc
    inner = getattr(cause, "__cause__", None) or cause
    text = str(getattr(inner, "message", None) or inner).strip()
    if text.startswith("<class"):  # SQLAlchemy's "<class 'asyncpg...'>: message"
        text = text.split(">: ", 1)[-1]
    return text.splitlines()[0] if text else type(inner).__name__


def is_permission_denied(exc: BaseException) -> bool:
    """The database refused a statement for lack of privilege (SQLSTATE 42501)."""
    cause = getattr(exc, "orig", None) or exc
    for candidate in (cause, getattr(cause, "__cause__", None)):
        if (
            getattr(candidate, "sqlstate", None) == "42501"
            or getattr(candidate, "pgcode", None) == "42501"
        ):
            return True
    return False
