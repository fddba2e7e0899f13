"""Fixtures for the platform tests: simulator apps over ASGI, live simulators on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from starlette.applications import Starlette

from benefits_tui.platform.client import BenefitsClient
from benefits_tui.platform.simulator.app import create_app
from benefits_tui.platform.simulator.config import SimulatorConfig
from benefits_tui.platform.simulator.server import RunningSimulator, start_in_thread

TOKEN = "sk_test_PLATFORM-SECRET-91c2"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE = "http://benefits.test"
T = TypeVar("T")


def account_body(n: int = 1, **overrides: Any) -> dict[str, Any]:
    """A create body the platform accepts."""
    body: dict[str, Any] = {
        "external_id": f"E{n:06d}",
        "forenames": "Zoë",
        "surname": f"O'Brien-{n}",
        "date_of_birth": "1988-04-12",
        "gender": "F",
        "title": "Ms",
        "email": f"zoe.obrien{n}@example.com",
        "annual_pay": 42000.5,
        "pay_basis": "Salary",
        "pay_frequency": "Monthly",
        "benefit_level": "CORE",
        "job_title": "Payroll Analyst",
        "address": {"line1": "1 High St", "city": "Leeds", "postcode": "LS1 1AA", "country": "GB"},
    }
    body.update(overrides)
    return body


def write_headers(key: str) -> dict[str, str]:
    return {**AUTH, "Idempotency-Key": key}


AppFactory = Callable[..., Starlette]


def _simulators(
    build: Callable[[SimulatorConfig], T], close: Callable[[T], object]
) -> Iterator[Callable[..., T]]:
    """A factory of simulators (config overrides as keywords, our token by default) for one
    test; each one it built is closed afterwards."""
    built: list[T] = []

    def factory(**overrides: Any) -> T:
        overrides.setdefault("token", TOKEN)
        simulator = build(SimulatorConfig(**overrides))
        built.append(simulator)
        return simulator

    yield factory
    for simulator in built:
        close(simulator)


@pytest.fixture
def make_app() -> Iterator[AppFactory]:
    """Build simulator apps; closes their state afterwards."""
    yield from _simulators(create_app, lambda app: app.state.sim.close())


def http_for(app: Starlette) -> httpx.AsyncClient:
    """A raw HTTP client talking to *app* in-process (no auth header by default)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


@pytest.fixture
async def app(make_app: AppFactory) -> Starlette:
    return make_app()


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with http_for(app) as client:
        yield client


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[BenefitsClient]:
    async with BenefitsClient(BASE, TOKEN, transport=httpx.ASGITransport(app=app)) as c:
        yield c


@pytest.fixture
def live() -> Iterator[Callable[..., RunningSimulator]]:
    """Start simulators on free loopback ports; stops them after."""
    yield from _simulators(start_in_thread, RunningSimulator.stop)
