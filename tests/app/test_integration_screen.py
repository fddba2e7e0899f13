"""Admins see the integration settings and test the connection (RULES §1.10); others cannot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from benefits_tui.app.app import BenefitsApp
from benefits_tui.app.screens.integration import IntegrationScreen
from benefits_tui.config import Role
from tests.app.conftest import context_for, launched, make_app
from tests.helpers import TOKEN, Simulator, add_people, piloted, press, screen_text, settle


@asynccontextmanager
async def integration_keys(
    tmp_path: Path, role: Role, *, people: int = 0, sim: Simulator | None = None
) -> AsyncIterator[tuple[BenefitsApp, Pilot[Any]]]:
    """The app at 100x30 for a ``role`` user with ``people`` employees, after ``i`` is pressed."""
    async with context_for(f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}", sim, role=role) as context:
        await add_people(context, people)
        async with launched(context, (100, 30)) as (app, pilot):
            await press(pilot, "i")
            yield app, pilot


async def test_admin_sees_settings_without_the_token_and_tests_the_connection(
    tmp_path: Path,
) -> None:
    async with integration_keys(tmp_path, Role.ADMIN, people=2) as (app, pilot):
        assert isinstance(app.screen, IntegrationScreen)
        text = screen_text(app)
        assert "http://benefits.test" in text and "set (BENEFITS_API_TOKEN)" in text
        assert TOKEN not in text
        footer = text.splitlines()[-1]  # the dialog's keys, not the main screen's behind it
        assert "Test connection" in footer and "Leaver" not in footer
        await press(pilot, "t")
        text = screen_text(app)
        assert "Connected" in text and "CORE" in text
        assert TOKEN not in text
        await press(pilot, "escape")
        assert not isinstance(app.screen, IntegrationScreen)


async def test_a_wrong_token_is_reported_by_the_connection_test(tmp_path: Path) -> None:
    sim = Simulator()
    sim.config.token = "a-different-token-value"
    async with integration_keys(tmp_path, Role.ADMIN, sim=sim) as (app, pilot):
        await press(pilot, "t")
        text = screen_text(app)
        assert "BENEFITS_API_TOKEN" in text and "Connected" not in text


async def test_hr_users_cannot_open_the_integration_settings(tmp_path: Path) -> None:
    async with integration_keys(tmp_path, Role.HR, people=1) as (app, _):
        assert not isinstance(app.screen, IntegrationScreen)
        assert any(
            "HR user and cannot see the integration settings" in str(n.message)
            for n in app._notifications
        )


async def test_a_hold_is_shown_once_app_wide_and_an_admin_clears_it(tmp_path: Path) -> None:
    from benefits_tui.services.sync.pacing import Pacer

    sim = Simulator()
    async with context_for(
        f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}", sim, role=Role.ADMIN
    ) as context:
        await add_people(context, 2)
        await Pacer(context).hold_back(1e11)  # a year-9999 Retry-After, capped
        app = make_app(context)
        app.poll_seconds = 0.05
        async with piloted(app, (120, 36)) as pilot:
            await pilot.pause(0.3)
            await settle(pilot)
            text = screen_text(app)
            assert text.count("Benefits platform holds requests since") == 1, text
            await press(pilot, "i")
            assert isinstance(app.screen, IntegrationScreen)
            await pilot.pause(0.1)
            await pilot.click("#clear-hold")
            await settle(pilot)
            await pilot.pause(0.1)
            text = screen_text(app)
            assert "Hold cleared" in text, text
            await pilot.press("escape")
            await pilot.pause(0.3)
            await settle(pilot)
            assert "Benefits platform holds requests" not in screen_text(app)
