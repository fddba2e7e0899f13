"""Faults over a real loopback socket: hangs and timeouts, 5xx, rate limiting, latency."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from benefits_tui.platform.client import BenefitsClient
from benefits_tui.platform.errors import PlatformTimeout, ServerError, Throttled
from benefits_tui.platform.simulator.config import SimulatorConfig
from benefits_tui.platform.simulator.faults import Fault, FaultInjector
from benefits_tui.platform.simulator.server import RunningSimulator

from .conftest import TOKEN, account_body

Live = Callable[..., RunningSimulator]


def seed_whose_first_fault_is(fault: Fault, **config: Any) -> int:
    for seed in range(200):
        if FaultInjector(SimulatorConfig(token="t", seed=seed, **config)).draw_fault() is fault:
            return seed
    raise AssertionError(f"no seed gives {fault}")


@pytest.mark.parametrize("fault", [Fault.HANG_AFTER, Fault.HANG_BEFORE])
async def test_timeout_then_retry_with_the_same_key_never_duplicates(
    live: Live, fault: Fault
) -> None:
    seed = seed_whose_first_fault_is(fault, timeout_rate=1.0)
    sim = live(timeout_rate=1.0, hang_ms=400, seed=seed)
    async with BenefitsClient(sim.url, TOKEN, timeout=0.15) as client:
        with pytest.raises(PlatformTimeout) as caught:
            await client.create_account(account_body(), idempotency_key="hang-1")
        assert caught.value.ambiguous is True and caught.value.transient
        httpx.post(f"{sim.url}/_sim/config", json={"timeout_rate": 0})
        stats = httpx.get(f"{sim.url}/_sim/stats").json()
        assert stats["accounts"] == (1 if fault is Fault.HANG_AFTER else 0)
        result = await client.create_account(account_body(), idempotency_key="hang-1")
        assert result.status_code == 201
        assert result.replayed is (fault is Fault.HANG_AFTER)
        assert httpx.get(f"{sim.url}/_sim/stats").json()["accounts"] == 1
        log = httpx.get(f"{sim.url}/_sim/requests").json()["data"]
        assert log[0]["fault"] == fault.value and log[0]["idempotency_key"] == "hang-1"


async def test_a_hung_get_is_retried_then_reported(live: Live) -> None:
    sim = live(timeout_rate=1.0, hang_ms=300)
    async with BenefitsClient(sim.url, TOKEN, timeout=0.1, get_retries=1) as client:
        started = time.monotonic()
        with pytest.raises(PlatformTimeout) as caught:
            await client.get_account("acc_x")
        assert caught.value.ambiguous is False
        assert time.monotonic() - started < 1.0
    assert len(httpx.get(f"{sim.url}/_sim/requests").json()["data"]) == 2


async def test_rate_limit_over_the_wire(live: Live) -> None:
    sim = live(rate_limit=3)
    async with BenefitsClient(sim.url, TOKEN) as client:
        statuses = []
        for _ in range(5):
            try:
                await client.check_connection()
                statuses.append(200)
            except Throttled as exc:
                assert exc.retry_after == 1.0 and exc.status_code == 429
                statuses.append(429)
        assert statuses[:3] == [200, 200, 200] and 429 in statuses[3:]
    stats = httpx.get(f"{sim.url}/_sim/stats").json()
    assert stats["requests_by_status"]["429"] >= 1


async def test_rate_limit_sustains_its_rate(live: Live) -> None:
    sim = live(rate_limit=20)
    async with BenefitsClient(sim.url, TOKEN) as client:
        ok = 0
        started = time.monotonic()
        while time.monotonic() - started < 0.5:
            try:
                await client.list_benefit_levels()
                ok += 1
            except Throttled:
                pass
        # burst of 20, then 20/s for half a second = about 30
        assert 25 <= ok <= 35


async def test_fail_rate_share_and_server_errors(live: Live) -> None:
    sim = live(fail_rate=0.5, seed=7)
    async with BenefitsClient(sim.url, TOKEN) as client:
        outcomes = []
        for n in range(20):
            try:
                await client.create_account(account_body(n), idempotency_key=f"f{n}")
                outcomes.append("ok")
            except ServerError as exc:
                assert exc.status_code in (500, 503) and exc.transient
                outcomes.append("5xx")
        assert 4 <= outcomes.count("5xx") <= 16
        assert httpx.get(f"{sim.url}/_sim/stats").json()["accounts"] == outcomes.count("ok")


async def test_latency_is_applied(live: Live) -> None:
    sim = live(latency_ms=80, jitter_ms=10)
    async with BenefitsClient(sim.url, TOKEN) as client:
        await client.check_connection()
        started = time.monotonic()
        await client.check_connection()
        assert 0.065 <= time.monotonic() - started < 0.5


async def test_stop_is_quick_even_with_a_request_hanging(live: Live) -> None:
    sim = live(timeout_rate=1.0, hang_ms=30_000)
    import threading

    threading.Thread(
        target=lambda: httpx.get(
            f"{sim.url}/v1/health", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        ),
        daemon=True,
    ).start()
    time.sleep(0.1)
    started = time.monotonic()
    sim.stop()
    assert time.monotonic() - started < 2.0
