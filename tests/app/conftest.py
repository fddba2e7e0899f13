"""Fixtures for the app: a real SQLite database, the simulator over ASGI, the app around them."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from benefits_tui.app.app import BenefitsApp
from benefits_tui.app.screens.benefits_management import BenefitsManagementScreen
from benefits_tui.config import Role
from benefits_tui.services.clock import ManualClock
from benefits_tui.services.context import ServiceContext, open_context
from tests.conftest import make_settings, new_sqlite_url
from tests.helpers import Simulator, piloted, screen_text, settle

START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def utc_screens(utc: None) -> None:
    """Every app test runs in UTC (see the ``utc`` fixture)."""


@asynccontextmanager
async def context_for(
    url: str, sim: Simulator | None = None, *, role: Role = Role.HR, user: str = "hr.tester"
) -> AsyncIterator[ServiceContext]:
    """Services on ``url`` at :data:`START`, acting as ``user``; the platform is ``sim`` (a
    new simulator when not given)."""
    settings = make_settings(url, user=user, default_role=role)
    transport = (sim or Simulator()).transport
    async with open_context(settings, clock=ManualClock(START), transport=transport) as context:
        yield context


def main_screen(app: BenefitsApp) -> BenefitsManagementScreen:
    screen = app.main_screen
    assert isinstance(screen, BenefitsManagementScreen)
    return screen


def make_app(context: ServiceContext, **options: Any) -> BenefitsApp:
    app = BenefitsApp(services=context, start_worker=False, poll_seconds=None, **options)
    return app


@asynccontextmanager
async def launched(
    context: ServiceContext, size: tuple[int, int] = (120, 36), **options: Any
) -> AsyncIterator[tuple[BenefitsApp, Pilot[Any]]]:
    """The app on ``context`` running headless at ``size`` and settled: ``(app, pilot)``."""
    app = make_app(context, **options)
    async with piloted(app, size) as pilot:
        yield app, pilot


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The snapshots' database (tests/app/snapshot_data.py), written once for the whole run:
    each snapshot opens a copy of it."""
    from tests.app.snapshot_data import prepare

    directory = tmp_path_factory.mktemp("snapshots")
    prepare(new_sqlite_url(directory))
    return directory / "hr.db"


@pytest.fixture
def no_debounce(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BenefitsManagementScreen, "search_debounce", 0.0)
    monkeypatch.setattr(BenefitsManagementScreen, "detail_debounce", 0.0)


__all__ = ["START", "context_for", "main_screen", "make_app", "os", "screen_text", "settle"]
