"""What can go wrong talking to the Benefits platform, sorted by what the caller should do.

- :class:`PermanentError`: retrying the same request will not help; fail the record with the
  reason (``str(exc)`` is a sentence a person can act on).
- :class:`TransientError`: retry later with the same idempotency key; :class:`Throttled` says
  how long to wait.

No message, ``repr`` or attribute of these exceptions ever holds the API token.
"""

from __future__ import annotations

from benefits_tui.domain.errors import BenefitsError
from benefits_tui.platform.types import Problem


class PlatformError(BenefitsError):
    """Base of every error the client raises."""

    transient: bool = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        problem: Problem | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code if code is not None else (problem.code if problem else None)
        self.problem = problem

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, "
            f"status_code={self.status_code!r}, code={self.code!r})"
        )


class PermanentError(PlatformError):
    """The platform will give the same answer again: fail the record with this reason."""


class ValidationFailed(PermanentError):
    """422 (or 400): the platform rejected fields; ``.problem.errors`` names them."""


class ConflictError(PermanentError):
    """409 (other than a key in flight), or a reused idempotency key: ``.code`` says which."""


class NotFoundError(PermanentError):
    """404: no such account or job."""


class AuthError(PermanentError):
    """401/403: the token is missing or wrong (see ``BENEFITS_API_TOKEN``)."""


class InvalidRequest(PermanentError):
    """The request cannot be sent as asked: the caller's mistake, not the platform's.

    An unusable idempotency key (blank, a control character, non-ASCII, too long), an empty
    id, an out-of-range ``limit``, a body JSON cannot carry (NaN, a lone surrogate, nesting
    too deep). Nothing was sent; retrying the same request will not help.
    """


class ProtocolError(PermanentError):
    """The platform answered something this client does not understand."""


class TransientError(PlatformError):
    """Temporary trouble: retry later, with the same idempotency key."""

    transient = True


class ServerError(TransientError):
    """5xx from the platform."""


class PlatformTimeout(TransientError):
    """No answer in time, or the connection dropped mid-request.

    ``ambiguous`` is True when a write may have been applied anyway: retry with the same
    idempotency key (which replays the first answer) rather than a new one.
    """

    def __init__(self, message: str, *, ambiguous: bool = False, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.ambiguous = ambiguous


class PlatformUnreachable(TransientError):
    """Could not connect (refused, DNS, TLS): check ``BENEFITS_API_URL``."""


class InFlightConflict(TransientError):
    """409 ``idempotency_key_in_use``: the same key is being processed; retry shortly."""


class Throttled(TransientError):
    """429: wait ``retry_after`` seconds before the next request."""

    def __init__(self, message: str, *, retry_after: float = 1.0, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


__all__ = [
    "AuthError",
    "ConflictError",
    "InFlightConflict",
    "InvalidRequest",
    "NotFoundError",
    "PermanentError",
    "PlatformError",
    "PlatformTimeout",
    "PlatformUnreachable",
    "ProtocolError",
    "ServerError",
    "Throttled",
    "TransientError",
    "ValidationFailed",
]
