"""The composition root of the services: settings, database, acting user, platform, clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from benefits_tui.config import Role, Settings
from benefits_tui.db import Database
from benefits_tui.db.migrate import ensure_schema
from benefits_tui.services.clock import Clock
from benefits_tui.services.errors import PermissionDenied

if TYPE_CHECKING:
    import httpx

    from benefits_tui.platform.client import BenefitsClient

ROLE_NAMES = {Role.READ_ONLY: "read-only", Role.HR: "HR", Role.ADMIN: "admin"}


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
        return (
            bool(self.settings.api_url)
            or self._client is not None
            or self._client_factory is not None
        )

    def require(self, minimum: Role, action: str) -> None:
        """Refuse ``action`` unless the acting user's role allows it (SPEC 1.10)."""
        order = [Role.READ_ONLY, Role.HR, Role.ADMIN]
        if order.index(self.role) < order.index(minimum):
            raise PermissionDenied(
                f"{self.actor} is a {ROLE_NAMES[self.role]} user and cannot {action}"
            )

    def can(self, minimum: Role) -> bool:
        order = [Role.READ_ONLY, Role.HR, Role.ADMIN]
        return order.index(self.role) >= order.index(minimum)

    async def aclose(self) -> None:
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
        if migrate:
            await ensure_schema(db)
        yield context
    finally:
        await context.aclose()
