"""Errors the services raise for people to read."""

from __future__ import annotations

from benefits_tui.domain.errors import EXIT_USAGE, BenefitsError


class ServiceError(BenefitsError):
    """A request that cannot be carried out; ``str()`` says why, for a person."""


class PermissionDenied(ServiceError):
    """The acting user's role does not allow this action (RULES §1.10)."""


class NotFound(ServiceError):
    """No such employee (or other record): what was asked for is wrong."""

    exit_code = EXIT_USAGE


class InvalidInput(ServiceError):
    """Input refused; ``problems`` maps a field name to its message."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems.items()))


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
