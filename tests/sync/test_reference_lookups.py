"""The platform's reference data (levels, picklists) is fetched in one round trip (issue 17.10)."""

from __future__ import annotations

import anyio
import httpx

from benefits_tui.services.sync.reference import refresh_rules
from tests.helpers import Simulator, services


class InFlight(httpx.AsyncBaseTransport):
    """Counts the requests in flight at once (each takes a moment, as on a slow platform)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.now = 0
        self.most = 0
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.most = max(self.most, self.now)
        self.paths.append(request.url.path)
        try:
            await anyio.sleep(0.05)
            return await self.inner.handle_async_request(request)
        finally:
            self.now -= 1


class _Slow:
    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self.transport = transport


async def test_the_five_lookups_run_at_once(sqlite_url: str) -> None:
    counting = InFlight(Simulator().transport)
    async with services(sqlite_url, _Slow(counting)) as context:  # type: ignore[arg-type]
        rules = await refresh_rules(context)
    assert len(counting.paths) == 5
    assert counting.most == 5  # one after another, it was 1: five round trips to wait for
    assert rules.level_codes and set(rules.picklists) == {
        "title",
        "gender",
        "pay_basis",
        "pay_frequency",
    }
