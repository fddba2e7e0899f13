"""One sync attempt reports every value that stops a record (RULES §1.8): a bad email, gender
``Male`` and pay basis ``Yearly`` are one Failed reason, not three failed syncs."""

from __future__ import annotations

from benefits_tui.domain.states import SyncState
from benefits_tui.services.queries import employee_detail
from benefits_tui.services.sync import preflight
from benefits_tui.services.sync.reference import platform_rules
from benefits_tui.services.sync.requests import Selection, request_sync
from tests.helpers import Simulator, add_people, person, services


async def test_every_invalid_value_is_in_the_one_reason(database_url: str) -> None:
    sim = Simulator()
    async with services(database_url, sim) as context:
        (employee_id,) = await add_people(
            context, 1, email="ada at example", gender="Male", pay_basis="Yearly", title=None
        )
        result = await request_sync(context, Selection.of([employee_id]))
        assert result.rejected == 1
        detail = await employee_detail(context, employee_id)
    assert detail.state is SyncState.FAILED
    reason = detail.reason or ""
    assert reason.startswith("HR rejected: ")
    for part in ("'ada at example' is not a valid address", "missing title", "'Male'", "'Yearly'"):
        assert part in reason, reason


async def test_problems_name_their_fields_for_the_forms(database_url: str) -> None:
    async with services(database_url, Simulator()) as context:
        rules = await platform_rules(context)
    employee = person(1, email=None, date_of_birth=None, gender="Male", benefit_level="GOLDX")
    found = preflight.problems(employee, rules, None, linked=False)
    assert [(p.kind, p.field) for p in found] == [
        ("no_email", "email"),
        ("missing_field", "date_of_birth"),
        ("picklist", "gender"),
        ("unknown_level", "benefit_level"),
    ]
    rejection = preflight.check(employee, rules, None, linked=False)
    assert rejection is not None and rejection.kind == "no_email"
    assert rejection.reason == (
        "HR rejected: no email address; missing date of birth; gender 'Male' is not recognised "
        "by Benefits (M, F, X, N); Benefits Level 'GOLDX' is not offered by Benefits "
        f"({', '.join(rules.level_codes)})"
    )
