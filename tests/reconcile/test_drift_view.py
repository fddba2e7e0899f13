"""The Drift view (key d, RULES §1.16): grouped by kind, side by side, and the two repairs."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, OptionList

from benefits_tui.app.screens import drift
from benefits_tui.app.screens.confirm import ConfirmDialog
from benefits_tui.app.screens.drift import DriftScreen
from benefits_tui.config import Role
from benefits_tui.domain.states import CreatedVia, SyncState
from benefits_tui.services.employees import add_employee
from benefits_tui.services.queries import employee_detail
from benefits_tui.services.reconcile.engine import reconcile
from benefits_tui.services.reconcile.findings import DriftKind
from benefits_tui.services.sync.worker import SyncWorker
from tests.app.conftest import context_for, launched, main_screen, screen_text, settle
from tests.helpers import Simulator, add_people, drain, person, press, synced
from tests.reconcile.common import create_account, patch_account


async def _plant(context, sim: Simulator) -> tuple[int, int, str]:  # type: ignore[no-untyped-def]
    """One employee whose surname was changed on the platform, one unlinked match."""
    ids = await add_people(context, 2)
    await synced(context, ids)
    drifted = (await employee_detail(context, ids[0])).account_id
    assert drifted
    await patch_account(sim, drifted, {"surname": "[b]Platform\x1b[2J"})
    unlinked, _, _ = await add_employee(
        context, person(9, email="legacy@example.com"), created_via=CreatedVia.CLI
    )
    account = await create_account(sim, email="legacy@example.com", external_id="OLD-9")
    await reconcile(context)
    return ids[0], unlinked, account


async def test_drift_view_shows_and_repairs(tmp_path: Path) -> None:
    sim = Simulator()
    async with context_for(f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}", sim) as context:
        drifted, unlinked, account = await _plant(context, sim)
        async with launched(context, (120, 36)) as (app, pilot):
            assert "drift: 2, checked" in screen_text(app)  # the status line
            await press(pilot, "d")
            screen = app.screen
            assert isinstance(screen, DriftScreen)
            text = screen_text(app)
            assert "Fields differ (1)" in text and "Unlinked match (1)" in text
            assert "Orphan account (0)" in text and "Gone from platform (0)" in text
            # HR's and the platform's values side by side, the platform's words literally.
            assert "Person" in text and "[b]Platform␛[2J" in text and "≠" in text
            await press(pilot, "u")
            assert (await employee_detail(context, drifted)).state is SyncState.IN_PROGRESS
            assert "Fields differ (0)" in screen_text(app)

            # The unlinked match: link it, after a Confirm dialog.
            kinds = screen.query_one("#kinds", OptionList)
            kinds.highlighted = list(DriftKind).index(DriftKind.UNLINKED_MATCH)
            await settle(pilot)
            assert screen.query_one("#findings", DataTable).row_count == 1
            await press(pilot, "k")
            dialog = app.screen
            assert isinstance(dialog, ConfirmDialog)
            assert account in screen_text(app)
            footer = screen_text(app).splitlines()[-1]  # the dialog's keys, not the view's
            assert "Cancel" in footer and "Re-send" not in footer
            await press(pilot, "y")
            detail = await employee_detail(context, unlinked)
            assert detail.state is SyncState.IN_PROGRESS
            assert detail.history[0].actor == "hr.tester"
            assert account in (detail.history[0].reason or "")
            await drain(SyncWorker(context), 20)
            assert (await employee_detail(context, unlinked)).account_id == account
            await press(pilot, "escape")
            assert app.screen is main_screen(app)


async def test_read_only_users_see_drift_without_repairs(tmp_path: Path) -> None:
    sim = Simulator()
    url = f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}"
    async with context_for(url, sim) as context:
        drifted, _, _ = await _plant(context, sim)
    async with (
        context_for(url, sim, role=Role.READ_ONLY, user="viewer") as context,
        launched(context, (120, 36)) as (app, pilot),
    ):
        main_screen(app).run_command("drift")  # from the command palette
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DriftScreen)
        assert "Fields differ (1)" in screen_text(app)
        reason = screen.disabled_reason("resend")
        assert reason and "read-only" in reason
        assert screen.check_action("resend", ()) is None  # shown disabled
        assert screen.check_action("link", ()) is None
        await press(pilot, "u")
        assert (await employee_detail(context, drifted)).state is SyncState.SUCCESSFUL


async def test_drift_view_opens_on_a_kind_that_has_findings(tmp_path: Path) -> None:
    sim = Simulator()
    async with context_for(f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}", sim) as context:
        await add_employee(
            context, person(9, email="legacy@example.com"), created_via=CreatedVia.CLI
        )
        await create_account(sim, email="legacy@example.com", external_id="OLD-9")
        await reconcile(context)  # one unlinked match, no field drift
        async with launched(context, (80, 24)) as (app, pilot):
            await press(pilot, "d")
            screen = app.screen
            assert isinstance(screen, DriftScreen)
            assert screen.kind is DriftKind.UNLINKED_MATCH
            kinds = screen.query_one("#kinds", OptionList)
            assert kinds.highlighted == list(DriftKind).index(DriftKind.UNLINKED_MATCH)
            assert screen.query_one("#findings", DataTable).row_count == 1


async def test_at_80_columns_what_differs_is_on_screen(tmp_path: Path) -> None:
    """At 80x24 the four columns did not fit beside the kinds: What (the point of a finding)
    was off-screen. The narrow layout drops the Account column and names the account in the
    detail pane's title; from 100 columns the full table is back."""
    sim = Simulator()
    async with context_for(f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}", sim) as context:
        ids = await add_people(
            context, 1, forenames="Maximiliana-Josefina", surname="Featherstonehaugh-Smythe"
        )
        await synced(context, ids)
        account = (await employee_detail(context, ids[0])).account_id
        assert account
        await patch_account(sim, account, {"surname": "Changed", "job_title": "Director"})
        await reconcile(context)
        async with launched(context, (80, 24)) as (app, pilot):
            await press(pilot, "d")
            text = screen_text(app)
            header = next(line for line in text.splitlines() if "Employee" in line)
            assert "What" in header and "Account" not in header
            finding = next(line for line in text.splitlines() if "E000001" in line)
            assert "surname, job_title" in finding or "job_title, surname" in finding
            assert f"account {account}" in text  # the detail pane's title
            assert f"account {account} · E000001" in text
            assert max(len(line) for line in text.splitlines()) <= 80

            await pilot.resize_terminal(120, 36)
            await settle(pilot)
            text = screen_text(app)
            header = next(line for line in text.splitlines() if "Employee" in line)
            assert "Account" in header and "What" in header
            assert "Drift: HR vs the Benefits platform" in text
            finding = next(line for line in text.splitlines() if "E000001" in line)
            assert account in finding and "surname" in finding


async def test_more_findings_than_a_page_say_so_and_load_as_the_cursor_moves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The view reads findings a page at a time (1,000): it says how many of how many it
    shows, and the next page loads when the cursor reaches the last row."""
    monkeypatch.setattr(drift, "PAGE", 3)
    sim = Simulator()
    async with context_for(f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}", sim) as context:
        for n in range(1, 8):  # seven unlinked matches
            await add_employee(
                context, person(n, email=f"legacy{n}@example.com"), created_via=CreatedVia.CLI
            )
            await create_account(sim, email=f"legacy{n}@example.com", external_id=f"OLD-{n}")
        await reconcile(context)
        async with launched(context, (80, 24)) as (app, pilot):
            await press(pilot, "d")
            screen = app.screen
            assert isinstance(screen, DriftScreen)
            table = screen.query_one("#findings", DataTable)
            assert table.row_count == 3
            assert "Unlinked match: showing 3 of 7 findings" in " ".join(screen_text(app).split())
            await pilot.press("down", "down")  # the last row read: the next page comes
            await settle(pilot)
            assert table.row_count == 6 and table.cursor_row == 2
            await press(pilot, "end")
            assert table.row_count == 7
            text = screen_text(app)
            assert "Unlinked match: 7 findings" in text and "showing" not in text


async def test_a_match_is_listed_by_its_email_and_alike_values_are_not_marked(
    tmp_path: Path,
) -> None:
    """An unlinked match is known by the email it holds (first in What, not "active"), and
    values the platform holds alike are not marked ≠: an email in other case (the platform
    looks emails up case-insensitively), status current/active, pay 30000 and "30000.00"."""
    sim = Simulator()
    async with context_for(f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}", sim) as context:
        await add_employee(
            context,
            person(9, email="legacy@example.com", annual_pay=30000),
            created_via=CreatedVia.CLI,
        )
        await create_account(sim, email="LEGACY@example.com", external_id="OLD-9")
        await reconcile(context)
        async with launched(context, (120, 36)) as (app, pilot):
            await press(pilot, "d")
            lines = screen_text(app).splitlines()
            finding = next(line for line in lines if "E000001" in line and "acc_" in line)
            assert "LEGACY@example.com · active" in finding
            marked = {line.split()[2] for line in lines if "│ ≠" in line}
            assert "forenames" in marked and "external_id" in marked  # they do differ
            assert not marked & {"email", "status", "annual_pay"}, marked


async def test_a_repair_clears_the_checks_count_that_it_made_stale(tmp_path: Path) -> None:
    """ "Checked: 2 differences found." stayed under the view after one was repaired."""
    sim = Simulator()
    async with context_for(f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}", sim) as context:
        await _plant(context, sim)
        async with launched(context, (120, 36)) as (app, pilot):
            await press(pilot, "d", "r")
            assert "Checked: 2 differences found." in screen_text(app)
            await press(pilot, "u")
            text = screen_text(app)
            assert "Fields differ (0)" in text and "Checked: 2 differences" not in text
