"""History shows what a change did: each changed field's old → new value."""

from __future__ import annotations

import datetime as dt

from benefits_tui.domain.states import Action
from benefits_tui.services.employees import update_employee
from benefits_tui.services.queries import employee_detail
from tests.helpers import Simulator, add_people, services


async def test_a_details_change_records_old_and_new_values(database_url: str) -> None:
    async with services(database_url, Simulator()) as context:
        [employee_id] = await add_people(context, 1, department=None)
        await update_employee(
            context,
            employee_id,
            {
                "surname": "Smith",
                "date_of_birth": dt.date(1975, 6, 1),
                "department": "Sales",
                "job_title": "x" * 100,
            },
        )
        history = (await employee_detail(context, employee_id)).history
    change = next(e for e in history if e.action is Action.DETAILS_CHANGED)
    reason = change.reason or ""
    assert "Surname Person → Smith" in reason
    assert "Date of birth 1990-01-01 → 1975-06-01" in reason
    assert "Department (empty) → Sales" in reason
    assert "Job title Analyst → " + "x" * 59 + "…" in reason  # long values are cut
