"""What the platform needs is checked at sync (RULES §4): imported data is stored as given."""

from __future__ import annotations

from benefits_tui.domain.states import SyncState
from benefits_tui.services.csv_import import import_csv
from benefits_tui.services.queries import EmployeeFilter, employee_detail, find_employee, list_ids
from benefits_tui.services.sync.requests import Selection, request_sync
from tests.helpers import Simulator, services

CSV = (
    "employee_number,title,forenames,surname,email,date_of_birth,gender,annual_pay,pay_basis,pay_frequency,benefits_level\n"
    "X1,Ms,Ada,Bad-Email,ada@@example,1990-01-01,F,30000,Salary,Monthly,CORE\n"
    "X2,Prof,Bob,Odd-Title,bob@example.com,1990-01-01,M,30000,Salary,Monthly,CORE\n"
    "X3,Ms,Cy,Gold,cy@example.com,1990-01-01,F,30000,Salary,Monthly,GOLD\n"
)


async def test_imported_values_the_platform_refuses_fail_pre_flight_naming_the_field(
    database_url: str,
) -> None:
    sim = Simulator()
    async with services(database_url, sim) as context:
        result = await import_csv(context, CSV.encode())
        assert result.ok and result.inserted == 3
        ids = await list_ids(context, EmployeeFilter(SyncState.NOT_SYNCING))
        await request_sync(context, Selection.of(ids))
        reasons = {}
        for number in ("X1", "X2", "X3"):
            detail = await employee_detail(context, await find_employee(context, number))
            assert detail.state is SyncState.FAILED
            reasons[number] = detail.reason or ""
    assert "email 'ada@@example' is not a valid address" in reasons["X1"]
    assert "title 'Prof' is not recognised" in reasons["X2"]
    assert "Benefits Level 'GOLD' is not offered" in reasons["X3"]
    assert all(reason.startswith("HR rejected") for reason in reasons.values())
