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
