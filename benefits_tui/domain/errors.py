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
    return _first_line(exc)
