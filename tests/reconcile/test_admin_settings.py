"""Admin settings in the database (RULES §1.10): the wizard's default and the reconcile schedule."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Switch

from benefits_tui.app.screens.integration import IntegrationScreen
from benefits_tui.app.screens.new_employee import NewEmployeeScreen
from benefits_tui.config import Role
from benefits_tui.services.admin_settings import (
    AdminSettings,
    load_admin_settings,
    parse_minutes,
    save_admin_settings,
)
from benefits_tui.services.errors import InvalidInput, PermissionDenied
from tests.app.conftest import context_for, launched, screen_text
from tests.helpers import Simulator, press, services


async def test_defaults_then_an_admin_changes_them_for_everyone(database_url: str) -> None:
    async with services(database_url) as context:
        assert await load_admin_settings(context) == AdminSettings(
            create_benefits_record_default=True, reconcile_every_minutes=0
        )
        context.role = Role.ADMIN
        saved = await save_admin_settings(
            context, create_benefits_record_default=False, reconcile_every_minutes=60
        )
        assert saved == AdminSettings(False, 60)
        saved = await save_admin_settings(context, reconcile_every_minutes=0)
        assert saved == AdminSettings(False, 0)  # the other setting is kept
    async with services(database_url, user="someone.else") as other:
        assert await load_admin_settings(other) == AdminSettings(False, 0)


async def test_only_admins_change_them_and_values_are_checked(database_url: str) -> None:
    async with services(database_url) as context:
        context.role = Role.HR  # on PostgreSQL the test's login is a superuser: an admin
        with pytest.raises(PermissionDenied, match="cannot change the admin settings"):
            await save_admin_settings(context, create_benefits_record_default=False)
        context.role = Role.ADMIN
        with pytest.raises(InvalidInput):
            await save_admin_settings(context, reconcile_every_minutes=-5)
        assert (await load_admin_settings(context)).create_benefits_record_default is True


def test_minutes_typed_by_a_person() -> None:
    assert parse_minutes(" off ") == 0
    assert parse_minutes("15") == 15
    for bad in ("1.5", "-3", "ten", "99999999"):
        with pytest.raises(InvalidInput, match="whole minutes"):
            parse_minutes(bad)


async def test_admin_edits_them_on_the_integration_screen_and_the_wizard_follows(
    tmp_path: Path,
) -> None:
    sim = Simulator()
    async with (
        context_for(f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}", sim, role=Role.ADMIN) as context,
        launched(context, (100, 40)) as (app, pilot),
    ):
        await press(pilot, "i")
        screen = app.screen
        assert isinstance(screen, IntegrationScreen)
        assert screen.query_one("#create-default", Switch).value is True
        screen.query_one("#create-default", Switch).value = False
        minutes = screen.query_one("#reconcile-minutes", Input)
        minutes.value = "abc"
        await press(pilot, "ctrl+s")
        assert "whole minutes" in screen_text(app)
        minutes.value = "30"
        await press(pilot, "ctrl+s")
        assert "Saved" in screen_text(app) and "every 30" in screen_text(app)
        assert await load_admin_settings(context) == AdminSettings(False, 30)
        await press(pilot, "escape")
        # The starter wizard's toggle now starts off.
        await press(pilot, "n")
        assert isinstance(app.screen, NewEmployeeScreen)
        assert app.screen.query_one("#create-benefits-record", Switch).value is False
