"""Pilot tests of the workflow screens: the starter wizard, the employee screen, the leaver
and the level dialogs, each in a tiny host app with real services and the simulator."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Select, Static, Switch

from benefits_tui.app.screens.assign_level import AssignLevelScreen
from benefits_tui.app.screens.confirm_discard import ConfirmDiscard
from benefits_tui.app.screens.employee import EmployeeScreen
from benefits_tui.app.screens.leaver import LeaverScreen
from benefits_tui.app.screens.new_employee import NewEmployeeScreen
from benefits_tui.config import Role
from benefits_tui.domain.states import Action, CreatedVia, SyncState
from benefits_tui.services.employees import add_employee
from benefits_tui.services.queries import EmployeeFilter, employee_detail, list_ids
from benefits_tui.services.sync.requests import Selection, request_sync
from benefits_tui.services.sync.worker import SyncWorker
from tests.helpers import (
    Simulator,
    add_people,
    drain,
    flat_text,
    person,
    press,
    services,
    settle,
    synced,
)
from tests.workflows.conftest import HostApp

SIZE = (80, 24)


async def type_into(pilot: Pilot[Any], field: str, text: str, *, keys: bool = False) -> None:
    """Focus a field and enter ``text`` (key by key with ``keys``; else set at once, faster)."""
    widget = pilot.app.screen.query_one(f"#input-{field}", Input)
    widget.focus()
    widget.value = ""
    if keys:
        await pilot.press(*text)
    else:
        widget.insert_text_at_cursor(text)
    await pilot.pause()


def choose(pilot: Pilot[Any], field: str, value: str) -> None:
    pilot.app.screen.query_one(f"#input-{field}", Select).value = value


def problem(pilot: Pilot[Any], field: str) -> str:
    widget = pilot.app.screen.query_one(f"#problem-{field}", Static)
    return str(widget.render()) if widget.parent and widget.parent.has_class("-invalid") else ""


async def fill_personal(pilot: Pilot[Any], n: int, surname: str = "Starter") -> None:
    choose(pilot, "title", "Mr")
    await type_into(pilot, "forenames", f"New{n}")
    await type_into(pilot, "surname", surname)
    await type_into(pilot, "email", f"new.starter{n}@example.com")
    await type_into(pilot, "date_of_birth", "1991-02-03")
    choose(pilot, "gender", "M")


async def test_wizard_with_toggle_on_queues_the_starter_at_once(sqlite_url: str) -> None:
    sim = Simulator()
    async with services(sqlite_url, sim) as context:
        app = HostApp(context)
        async with app.opened(NewEmployeeScreen()) as pilot:
            await press(pilot, "enter")  # the starter wizard (focused first)
            assert "Personal details (1 of 4)" in flat_text(app)
            await fill_personal(pilot, 1, surname="[bold]Starter")
            await press(pilot, "ctrl+s")
            assert "Employment details (2 of 4)" in flat_text(app)
            await type_into(pilot, "job_title", "Analyst")
            await type_into(pilot, "start_date", "2026-01-05")
            await type_into(pilot, "annual_pay", "£32,500")
            choose(pilot, "pay_basis", "Salary")
            choose(pilot, "pay_frequency", "Monthly")
            await press(pilot, "enter")
            assert app.screen.query_one("#create-benefits-record", Switch).value is True
            choose(pilot, "benefits_level", "ENHANCED")
            await press(pilot, "ctrl+s")
            review = flat_text(app)
            assert (
                "Review (4 of 4)" in review
                and "[bold]Starter" in review
                and "Create Benefits Record: on" in review
            )
            assert (
                await list_ids(context, EmployeeFilter()) == []
            )  # nothing saved before the review is confirmed
            await press(pilot, "ctrl+s")
            assert not isinstance(app.screen, NewEmployeeScreen)
        [employee_id] = app.results
        assert app.refreshes == 1
        assert app.notes()[-1] == "E000001 added and sent to Benefits (In progress)"
        detail = await employee_detail(context, employee_id)
        assert detail.state is SyncState.IN_PROGRESS and detail.surname == "[bold]Starter"
        assert detail.annual_pay is not None and str(detail.annual_pay) == "32500.00"
        assert detail.created_via == CreatedVia.STARTER_WIZARD.value
        await drain(SyncWorker(context), 20)
        assert (await employee_detail(context, employee_id)).state is SyncState.SUCCESSFUL
    account = await sim.account_by_email("new.starter1@example.com")
    assert (
        account is not None
        and account["benefit_level"] == "ENHANCED"
        and account["surname"] == "[bold]Starter"
    )


async def test_personal_details_only_lands_in_not_syncing(sqlite_url: str) -> None:
    sim = Simulator()
    async with services(sqlite_url, sim) as context:
        app = HostApp(context)
        async with app.opened(NewEmployeeScreen()) as pilot:
            await pilot.press("tab", "enter")  # Personal Details Only
            await settle(pilot)
            assert "Personal Details Only" in flat_text(app)
            await fill_personal(pilot, 2)
            await pilot.press("enter")  # enter in a field saves the short form
            await settle(pilot)
        [employee_id] = app.results
        assert "E000001 added (Not syncing" in app.notes()[-1]
        detail = await employee_detail(context, employee_id)
        assert (
            detail.state is SyncState.NOT_SYNCING
            and detail.created_via == CreatedVia.PERSONAL_DETAILS_ONLY.value
        )
        assert detail.job_title is None
        await drain(SyncWorker(context), 5)
    assert (await sim.stats())["accounts"] == 0


async def test_fields_are_validated_where_typed_and_nothing_is_saved(sqlite_url: str) -> None:
    async with services(sqlite_url, Simulator()) as context:
        app = HostApp(context)
        wizard = NewEmployeeScreen()
        async with app.opened(wizard) as pilot:
            await press(pilot, "enter")
            await type_into(pilot, "email", "not-an-email", keys=True)
            await pilot.press("tab")  # leaving the field checks it
            assert problem(pilot, "email") == "Email 'not-an-email' is not a valid email address"
            assert "is not a valid email address" in flat_text(app)
            await type_into(pilot, "email", "fixed@example.com")  # corrected: the message goes
            assert problem(pilot, "email") == ""
            await type_into(pilot, "date_of_birth", "31/12/1990")
            await pilot.press("ctrl+s")  # next is refused: the step is not valid
            await settle(pilot)
            assert problem(pilot, "forenames") == "Forenames is required"
            assert (
                problem(pilot, "date_of_birth")
                == "Date of birth '31/12/1990' is not a date; use YYYY-MM-DD"
            )
            assert app.screen is wizard and wizard.step == "personal"
            await type_into(pilot, "forenames", "Val")
            await type_into(pilot, "surname", "Idate")
            await type_into(pilot, "date_of_birth", "1990-12-31")
            choose(pilot, "title", "Mx")  # Create Benefits Record is on: the platform needs them
            choose(pilot, "gender", "X")
            await press(pilot, "ctrl+s")
            assert app.screen is wizard and wizard.step == "employment"
            await type_into(pilot, "annual_pay", "lots")
            await type_into(pilot, "start_date", "2026-02-30")
            await press(pilot, "enter")
            assert problem(pilot, "annual_pay") == "Annual pay 'lots' is not a number"
            assert "not a date" in problem(pilot, "start_date")
            await pilot.press("escape")  # typed values: it asks first
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDiscard)
            await press(pilot, "y")
        assert app.results == [None]
        assert await list_ids(context, EmployeeFilter()) == []


async def test_employee_screen_level_change_reaches_the_linked_account_by_id(
    sqlite_url: str,
) -> None:
    sim = Simulator()
    async with services(sqlite_url, sim) as context:
        [employee_id] = await add_people(context, 1, benefit_level="CORE")
        await synced(context, [employee_id])
        account_id = (await employee_detail(context, employee_id)).account_id
        app = HostApp(context)
        async with app.opened(EmployeeScreen(employee_id)) as pilot:
            text = flat_text(app)
            assert "Personal Details > Employment Details" in text
            assert f"Benefits account: {account_id}" in text and "Successful" in text
            assert not app.screen.query(Switch)  # no sync toggle anywhere (RULES §1.7)
            choose(pilot, "benefits_level", "EXECUTIVE")
            await type_into(pilot, "email", "changed.later@example.com")
            await press(pilot, "ctrl+s")
        assert app.results == [True]
        assert app.notes()[-1] == (
            f"Saved Email, Benefits Level; the change is being sent to Benefits account "
            f"{account_id} (In progress)."
        )
        assert (await employee_detail(context, employee_id)).state is SyncState.IN_PROGRESS
        await drain(SyncWorker(context), 20)
        assert (await employee_detail(context, employee_id)).state is SyncState.SUCCESSFUL
    accounts = {account["id"]: account for account in await sim.accounts()}
    assert len(accounts) == 1
    assert accounts[account_id]["benefit_level"] == "EXECUTIVE"
    assert (
        accounts[account_id]["email"] == "changed.later@example.com"
    )  # updated by ID, not looked up


async def test_fixing_a_failed_employee_queues_a_new_attempt(sqlite_url: str) -> None:
    sim = Simulator()
    async with services(sqlite_url, sim) as context:
        employee_id, _, _ = await add_employee(
            context, person(7, email=None), created_via=CreatedVia.CLI
        )
        await request_sync(context, Selection.of([employee_id]))
        assert (await employee_detail(context, employee_id)).state is SyncState.FAILED
        app = HostApp(context)
        async with app.opened(EmployeeScreen(employee_id)) as pilot:
            assert "no email address" in flat_text(app)
            await type_into(pilot, "email", "found.it@example.com")
            await press(pilot, "enter")
        assert "a new sync attempt has been queued" in app.notes()[-1]
        await drain(SyncWorker(context), 20)
        assert (await employee_detail(context, employee_id)).state is SyncState.SUCCESSFUL
    assert await sim.account_by_email("found.it@example.com") is not None


async def test_read_only_user_can_open_but_not_save(sqlite_url: str) -> None:
    async with services(sqlite_url, Simulator()) as context:
        [employee_id] = await add_people(context, 1)
        context.role = Role.READ_ONLY
        app = HostApp(context)
        async with app.opened(EmployeeScreen(employee_id)) as pilot:
            assert (
                "Read only: hr.tester is a read-only user and cannot change employee details."
                in flat_text(app)
            )
            assert app.screen.query_one("#save", Button).disabled
            surname = app.screen.query_one("#input-surname", Input)
            assert surname.disabled  # the fields are read-only: nothing can be typed
            surname.focus()
            await pilot.press(*"Changed")
            assert surname.value == "Person"
            await press(pilot, "ctrl+s")
            assert isinstance(app.screen, EmployeeScreen)
            await press(pilot, "escape")
            app.open(LeaverScreen(employee_id))
            await settle(pilot)
            assert "cannot record leavers" in flat_text(app)
            assert app.screen.query_one("#confirm", Button).disabled
            await press(pilot, "escape")
            app.open(AssignLevelScreen(Selection.of([employee_id]), 1))
            await settle(pilot)
            assert "is a read-only user and cannot assign" in flat_text(app)
            await press(pilot, "escape")
            app.open(NewEmployeeScreen())
            await settle(pilot)
            assert "cannot add employees" in flat_text(app)
        assert (await employee_detail(context, employee_id)).surname == "Person"


async def test_assign_level_dialog_to_ticked_rows(sqlite_url: str) -> None:
    async with services(sqlite_url, Simulator()) as context:
        ids = await add_people(context, 5, benefit_level=None)
        app = HostApp(context)
        async with app.opened(AssignLevelScreen(Selection.of(ids[:3]), 3)) as pilot:
            assert "Assign Benefits Level to 3 employees" in flat_text(app)
            app.screen.query_one("#level", Select).value = "EXECUTIVE"
            await press(pilot, "ctrl+s")
        assert app.results == [True]
        assert app.notes()[-1] == "Benefits Level EXECUTIVE: 3 of 3 employees changed."
        levels = [(await employee_detail(context, i)).benefit_level for i in ids]
        assert levels == ["EXECUTIVE"] * 3 + [None] * 2
        history = (await employee_detail(context, ids[0])).history
        assert history[0].action is Action.LEVEL_ASSIGNED and history[0].actor == "hr.tester"


async def test_leaver_ends_coverage_on_the_platform(sqlite_url: str) -> None:
    sim = Simulator()
    async with services(sqlite_url, sim) as context:
        [employee_id] = await add_people(context, 1)
        await synced(context, [employee_id])
        account_id = (await employee_detail(context, employee_id)).account_id
        app = HostApp(context)
        async with app.opened(LeaverScreen(employee_id)) as pilot:
            await type_into(pilot, "leave_date", "2026-04-30")
            await settle(pilot)
            assert "coverage ends on 2026-04-30" in flat_text(app)
            await pilot.press("enter")  # on to the reason
            await type_into(pilot, "leave_reason", "Resignation")
            await pilot.press("enter")  # on to the button: enter in a field never records
            await settle(pilot)
            assert isinstance(app.screen, LeaverScreen) and app.results == []
            assert (await employee_detail(context, employee_id)).leave_date is None
            assert app.screen.focused is not None and app.screen.focused.id == "confirm"
            await pilot.press("enter")  # the separate confirm step
            await settle(pilot)
        assert app.results == [True]
        assert "recorded as a leaver on 2026-04-30" in app.notes()[-1]
        detail = await employee_detail(context, employee_id)
        assert detail.state is SyncState.IN_PROGRESS
        actions = [event.action for event in detail.history]
        assert Action.LEAVER_RECORDED in actions and Action.TERMINATION_QUEUED in actions
        await drain(SyncWorker(context), 20)
        assert (await employee_detail(context, employee_id)).coverage_ended_on == dt.date(
            2026, 4, 30
        )
    account = {a["id"]: a for a in await sim.accounts()}[account_id]
    assert account["status"] == "terminated" and account["leave_date"] == "2026-04-30"


@pytest.mark.parametrize("form", [EmployeeScreen, LeaverScreen])
async def test_a_form_for_no_such_employee_says_so_and_closes_having_done_nothing(
    sqlite_url: str, form: type[EmployeeScreen | LeaverScreen]
) -> None:
    async with services(sqlite_url) as context:
        [employee_id] = await add_people(context, 1)
        missing = employee_id + 1
        app = HostApp(context)
        async with app.opened(form(missing)):
            assert not isinstance(app.screen, form)
        assert app.results == [False]
        assert app.notes() == [f"no employee with id {missing}"]


async def test_never_synced_leaver_screen_sends_nothing(sqlite_url: str) -> None:
    sim = Simulator()
    async with services(sqlite_url, sim) as context:
        [employee_id] = await add_people(context, 1)
        before = (await sim.get("/_sim/requests"))["data"]
        app = HostApp(context)
        async with app.opened(LeaverScreen(employee_id)) as pilot:
            assert "Never synced to Benefits: nothing is sent" in flat_text(app)
            await type_into(pilot, "leave_date", "2026-01-31")
            await type_into(pilot, "leave_reason", "End of contract")
            await press(pilot, "ctrl+s")
        assert app.results == [True]
        assert "nothing is sent" in app.notes()[-1]
        await drain(SyncWorker(context), 5)
        detail = await employee_detail(context, employee_id)
        assert detail.leave_date == dt.date(2026, 1, 31) and detail.state is SyncState.NOT_SYNCING
        assert detail.history[0].action is Action.LEAVER_RECORDED
    assert (await sim.get("/_sim/requests"))["data"] == before


async def test_unrecognised_stored_values_are_kept_and_do_not_block_other_edits(
    sqlite_url: str,
) -> None:
    async with services(sqlite_url, Simulator()) as context:
        employee_id, _, _ = await add_employee(
            context,
            person(9, title="Prof", email="old.invalid@", forenames="[red]Al"),
            created_via=CreatedVia.CLI,
        )
        app = HostApp(context)
        async with app.opened(EmployeeScreen(employee_id)) as pilot:
            text = flat_text(app)
            assert "Prof (not recognised by Benefits)" in text and "E000001 [red]Al Person" in text
            await type_into(pilot, "job_title", "Lecturer")
            await press(pilot, "ctrl+s")
        assert app.notes()[-1] == "Saved Job title."
        detail = await employee_detail(context, employee_id)
        assert (detail.title, detail.email, detail.job_title) == (
            "Prof",
            "old.invalid@",
            "Lecturer",
        )


async def test_escape_with_unsaved_changes_asks_before_discarding(sqlite_url: str) -> None:
    async with services(sqlite_url, Simulator()) as context:
        [employee_id] = await add_people(context, 1)
        app = HostApp(context)
        async with app.opened(EmployeeScreen(employee_id)) as pilot:
            await pilot.press("escape")  # nothing changed: closes at once
            await settle(pilot)
            assert app.results == [False]
            app.open(EmployeeScreen(employee_id))
            await settle(pilot)
            await type_into(pilot, "surname", "Changed", keys=True)
            await press(pilot, "escape")
            assert isinstance(app.screen, ConfirmDiscard)
            await pilot.press("enter")  # "Keep editing" is focused: enter loses nothing
            await settle(pilot)
            assert isinstance(app.screen, EmployeeScreen)
            assert app.screen.query_one("#input-surname", Input).value == "Changed"
            await press(pilot, "escape", "n")
            assert isinstance(app.screen, EmployeeScreen)
            await press(pilot, "escape", "y")
            assert app.results == [False, False]
        assert (await employee_detail(context, employee_id)).surname == "Person"
