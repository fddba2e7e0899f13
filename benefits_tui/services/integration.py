"""Integration settings and the connection test (admins only, RULES §1.10)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from benefits_tui.config import ConfigError
from benefits_tui.platform.errors import PlatformError
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.permissions import Permission
from benefits_tui.services.sync.pacing import HeldBack, Pacer


@dataclass(frozen=True)
class ConnectionCheck:
    """The result of testing the platform connection."""

    ok: bool
    message: str
    elapsed_ms: float


def integration_settings(context: ServiceContext) -> list[tuple[str, str]]:
    """What the integration is configured with, for an admin; the token is never shown."""
    context.require(Permission.SEE_INTEGRATION)
    settings = context.settings
    if settings.api_token is not None:
        token = "set (BENEFITS_API_TOKEN)"
    elif settings.api_token_file is not None:
        token = f"read from {settings.api_token_file}"
    else:
        token = "not set"
    sync = settings.sync
    return [
        ("Benefits platform", settings.api_url or "not set (BENEFITS_API_URL)"),
        ("API token", token),
        ("Database", make_url(settings.database_url).render_as_string(hide_password=True)),
        ("Acting user", f"{context.actor} ({context.role_label})"),
        ("Concurrency", f"{sync.concurrency} calls at once per process"),
        ("Client rate limit", f"{sync.rate_limit:g} requests/s" if sync.rate_limit else "none"),
        ("Retries", f"for up to {sync.max_retry_seconds:g} s of trouble (429s included)"),
        ("Longest hold", f"{sync.max_hold_seconds:g} s, whatever a Retry-After says"),
        ("Job timeout", f"{sync.job_timeout_seconds:g} s for an asynchronous platform job"),
        ("Request timeout", f"{sync.request_timeout:g} s"),
        ("Stuck after", f"{sync.stuck_after_minutes:g} minutes In progress"),
    ]


async def test_connection(context: ServiceContext) -> ConnectionCheck:
    """Reach the platform with the configured URL and token; say what is wrong if not."""
    context.require(Permission.TEST_CONNECTION)
    started = time.perf_counter()
    problem: str | None
    try:
        client = context.platform()
        pacer = Pacer(context)
        await pacer.call(client.check_connection)
        levels = await pacer.call(client.list_benefit_levels)
    except (ConfigError, PlatformError) as exc:
        problem = str(exc)
    except HeldBack as held:
        problem = (
            "The platform's rate limit holds every call back until "
            f"{held.until.astimezone():%H:%M:%S}; try again then."
        )
    else:
        problem = None
    elapsed = (time.perf_counter() - started) * 1000
    if problem is not None:
        return ConnectionCheck(False, problem, elapsed)
    names = ", ".join(level.code for level in levels) or "none"
    return ConnectionCheck(
        True,
        f"Connected: the platform answered in {elapsed:.0f} ms; levels on offer: {names}",
        elapsed,
    )
