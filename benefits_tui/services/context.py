"""The composition root of the services: settings, database, acting user, platform, clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from benefits_tui.config import ConfigError, Role, Settings
from benefits_tui.db import Database
from benefits_tui.db.migrate import ensure_schema
from benefits_tui.services import permissions
from benefits_tui.services.clock import Clock, database_clock
from benefits_tui.services.errors import PermissionDenied
from benefits_tui.services.permissions import Permission

if TYPE_CHECKING:
    import httpx

    from benefits_tui.platform.client import BenefitsClient
    from benefits_tui.services.hold_channel import HoldChannel


@dataclass
class ServiceContext:
    """What every service function needs. One per process (or per test)."""

    settings: Settings
    db: Database
    actor: str
    role: Role
    clock: Clock = field(default_factory=Clock)
    # Tests hand in an ASGI transport to reach the simulator without a socket.
    transport: httpx.AsyncBaseTransport | None = None
    _client: BenefitsClient | None = None
    _client_factory: Callable[[], BenefitsClient] | None = None
    _hold_channel: HoldChannel | None = None

    @property
    def hold_channel(self) -> HoldChannel:
        """The process's one listener for 429 holds (PostgreSQL; it listens on first use)."""
        if self._hold_channel is None:
            from benefits_tui.services.hold_channel import HoldChannel

            self._hold_channel = HoldChannel(self.db)
        return self._hold_channel

    def platform(self) -> BenefitsClient:
        """The process's one platform client (created on first use)."""
        if self._client is None:
            if self._client_factory is not None:
                self._client = self._client_factory()
            else:
                from benefits_tui.platform.client import BenefitsClient

                self._client = BenefitsClient(
                    self.settings.require_api_url(),
                    self.settings.token(),
                    timeout=self.settings.sync.request_timeout,
                    max_connections=max(self.settings.sync.concurrency * 2, 10),
                    transport=self.transport,
                )
        return self._client

    @property
    def has_platform(self) -> bool:
        """This process may call the platform itself: it is configured (URL and token) and
        the acting user may send (a worker or admin login; anyone on SQLite).

        Otherwise requests are queued and a worker that holds the token sends them."""
        if self._client is not None or self._client_factory is not None:
            return self.can(Permission.SEND)
        return bool(self.settings.api_url) and self.has_token and self.can(Permission.SEND)

    @property
    def has_token(self) -> bool:
        """A platform token is configured (without reading or showing it)."""
        token = self.settings.api_token
        return (
            token is not None and bool(token.get_secret_value().strip())
        ) or self.settings.api_token_file is not None

    @property
    def role_label(self) -> str:
        """The acting user's role as shown to people (``read-only``, ``HR``, ...)."""
        return permissions.role_label(self.role)

    def refusal(self, permission: Permission) -> str | None:
        """Why the acting user may not do ``permission`` (one line), or None (RULES §1.10)."""
        return permissions.refusal(self.actor, self.role, permission, embedded=self.db.is_sqlite)

    def require(self, permission: Permission) -> None:
        """Refuse with :class:`PermissionDenied` unless the acting user may do ``permission``."""
        reason = self.refusal(permission)
        if reason is not None:
            raise PermissionDenied(reason)

    def can(self, permission: Permission) -> bool:
        return permissions.allowed(self.role, permission, embedded=self.db.is_sqlite)

    async def aclose(self) -> None:
        if self._hold_channel is not None:
            await self._hold_channel.aclose()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        await self.db.dispose()


@asynccontextmanager
async def open_context(
    settings: Settings,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    migrate: bool = True,
) -> AsyncIterator[ServiceContext]:
    """Open the database (upgrading its schema if behind) and yield a context."""
    db = Database(settings.database_url)
    context = ServiceContext(
        settings=settings,
        db=db,
        actor=settings.user,
        role=settings.role,
        clock=clock or Clock(),
        transport=transport,
    )
    try:
        if db.is_postgresql:  # first: a login without a role gets that answer, not an error
            await _identify(context)
        if migrate:
            await ensure_schema(db)
        # PostgreSQL: every coordinating time from the server's clock (RULES §1.14).
        context.clock = await database_clock(context.clock, db)
        yield context
    finally:
        await context.aclose()


async def _identify(context: ServiceContext) -> None:
    """PostgreSQL: the acting user is the login and its role the database's answer (RULES §1.10)."""
    from benefits_tui.db.access import database_identity

    identity = await database_identity(context.db)
    claimed = context.settings.user
    if "user" in context.settings.model_fields_set and claimed != identity.login:
        raise ConfigError(
            "BENEFITS_TUI_USER",
            f"you are logged in to the database as {identity.login}; on PostgreSQL the login "
            f"is the acting user, so {claimed!r} is refused (unset BENEFITS_TUI_USER / --user)",
        )
    if identity.role is None:
        raise PermissionDenied(
            f"{identity.login} has no benefits-tui role in this database; an admin grants one "
            f"with: benefits-tui users add {identity.login} --role read-only|hr|admin|worker"
        )
    context.actor = identity.login
    context.role = identity.role
