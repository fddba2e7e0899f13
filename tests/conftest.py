"""Shared fixtures: a real database on SQLite always, and on PostgreSQL when configured."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from benefits_tui.config import Settings, load_settings
from tests.databases import empty_public_schema

PG_URL_ENV = "BENEFITS_TUI_TEST_PG_URL"
TEST_TOKEN = "sk_test_SECRET-TOKEN-3f9a7c"


def pg_url() -> str | None:
    """The PostgreSQL test database, one per pytest-xdist worker (``<name>_gw0``, ...)."""
    url = os.environ.get(PG_URL_ENV, "").strip()
    if not url:
        return None
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        parsed = make_url(url)
        url = parsed.set(database=f"{parsed.database}_{worker}").render_as_string(
            hide_password=False
        )
    return url


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: two workers a core. Most tests wait more than they compute (subprocesses
    starting, sockets, a simulator's latency, leases running out): on 2 cores two workers kept
    them busy 44% of a 5-minute run, four finish it in under 4. Tests that assert timing run
    ``alone`` (see :func:`_share_the_machine`)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return 2 * cores


_ensured_databases: set[str] = set()


async def _ensure_database(url: str) -> None:
    """Create a worker's own database beside the configured one, the first time it is used."""
    if url in _ensured_databases:
        return
    target = make_url(url)
    base = make_url(os.environ[PG_URL_ENV].strip()).set(drivername="postgresql+asyncpg")
    if target.database != base.database:
        engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                exists = await connection.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"),
                    {"name": target.database},
                )
                if exists.first() is None:
                    await connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
        finally:
            await engine.dispose()
    _ensured_databases.add(url)


async def reset_postgres(url: str) -> None:
    """Drop every table so that each test starts from an empty database."""
    await _ensure_database(url)
    await empty_public_schema(url)


@pytest.fixture(autouse=True)
def _share_the_machine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Under pytest-xdist, a test marked ``alone`` runs while no other worker runs a test.

    Timing is part of what such a test asserts (the chaos test: no request inside another
    process's Retry-After window), and another worker competing for the cores would measure
    the machine instead of the product. Every test holds a shared lock on a file all workers
    see; an ``alone`` test holds it exclusively. Both queue at a turnstile first, so a waiting
    ``alone`` test is not starved by the other worker's stream of short tests.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    run_folder = tmp_path_factory.getbasetemp().parent  # one per run, shared by its workers
    alone = request.node.get_closest_marker("alone") is not None
    turnstile = os.open(run_folder / "turnstile.lock", os.O_CREAT | os.O_RDWR, 0o600)
    machine = os.open(run_folder / "machine.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        fcntl.flock(machine, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        if not alone:
            fcntl.flock(turnstile, fcntl.LOCK_UN)
        yield
    finally:
        os.close(machine)
        os.close(turnstile)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database URL: SQLite file, or PostgreSQL when configured."""
    if request.param == "sqlite":
        yield new_sqlite_url(tmp_path)
        return
    url = pg_url()
    if url is None and os.environ.get("BENEFITS_TUI_TEST_REQUIRE_PG"):
        pytest.fail(f"{PG_URL_ENV} must be set when BENEFITS_TUI_TEST_REQUIRE_PG is")
    if url is None:
        pytest.skip(
            f"PostgreSQL tests need {PG_URL_ENV} (e.g. postgresql+asyncpg://postgres@127.0.0.1/test)"
        )
    await reset_postgres(url)
    yield url


def new_sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite database file (0600), as `benefits-tui db upgrade` leaves one: the
    commands refuse a path whose file does not exist (RULES §4), the services create the schema."""
    path = tmp_path / "hr.db"
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return new_sqlite_url(tmp_path)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests never read the developer's own configuration."""
    for name in list(os.environ):
        if (name.startswith("BENEFITS_TUI_") and name != PG_URL_ENV) or name.startswith(
            "BENEFITS_API_"
        ):
            monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times in history are shown in local time: make it UTC so screens are reproducible."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def is_postgresql(database_url: str) -> bool:
    return database_url.startswith("postgresql")


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for a test; on PostgreSQL the login is the user, so ``user`` is left out."""
    values: dict[str, object] = {
        "database_url": database_url,
        "api_url": "http://benefits.test",
        "api_token": TEST_TOKEN,
        "user": "hr.tester",
    }
    values.update(overrides)
    if is_postgresql(database_url):
        values.pop("user")
    return load_settings(**values)
