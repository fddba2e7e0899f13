"""Shared set-up of the reconciliation tests: a few hundred freshly synced employees, and
drift planted through the platform's own API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from benefits_tui.db.models import Employee, SyncRecord
from benefits_tui.domain.states import SyncState
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.queries import EmployeeFilter
from benefits_tui.services.seed import seed_employees
from benefits_tui.services.sync.requests import Selection, request_sync
from benefits_tui.services.sync.worker import SyncWorker
from tests.helpers import TOKEN, Simulator, drain

EMPLOYEES = 200


async def seed_and_sync(context: ServiceContext, count: int = EMPLOYEES) -> None:
    """Seed ``count`` employees and sync every current one (a few fail pre-flight on purpose)."""
    await seed_employees(context, count, seed=7)
    await request_sync(context, Selection.all_in(EmployeeFilter(SyncState.NOT_SYNCING)))
    await drain(SyncWorker(context), 60)


async def linked(context: ServiceContext, how_many: int) -> list[tuple[int, str, str]]:
    """``how_many`` synced current employees: (id, employee number, account id)."""
    async with context.db.read() as session:
        rows = (
            await session.execute(
                select(Employee.id, Employee.employee_number, SyncRecord.account_id)
                .join(SyncRecord, SyncRecord.employee_id == Employee.id)
                .where(
                    SyncRecord.state == SyncState.SUCCESSFUL.value,
                    SyncRecord.account_id.is_not(None),
                    Employee.leave_date.is_(None),
                )
                .order_by(Employee.id)
                .limit(how_many)
            )
        ).all()
    assert len(rows) == how_many
    return [(row.id, row.employee_number, row.account_id) for row in rows]


def platform(sim: Simulator) -> httpx.AsyncClient:
    """A client of the platform as another system (a benefits administrator) uses it."""
    return httpx.AsyncClient(
        transport=sim.transport,
        base_url="http://benefits.test",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )


async def patch_account(sim: Simulator, account_id: str, changes: dict[str, Any]) -> None:
    async with platform(sim) as client:
        response = await client.patch(
            f"/v1/accounts/{account_id}",
            json=changes,
            headers={"Idempotency-Key": f"admin-patch-{account_id}"},
        )
    assert response.status_code == 200, response.text


async def terminate_account(sim: Simulator, account_id: str) -> None:
    async with platform(sim) as client:
        response = await client.post(
            f"/v1/accounts/{account_id}/termination",
            json={"leave_date": "2026-11-30", "reason": "Ended by the benefits administrator"},
            headers={"Idempotency-Key": f"admin-terminate-{account_id}"},
        )
    assert response.status_code == 200, response.text


def hand_made(**fields: Any) -> dict[str, Any]:
    """The body of an account made on the platform by hand (no HR employee behind it)."""
    return {
        "external_id": "X-000001",
        "email": "hand.made@elsewhere.example",
        "title": "Mr",
        "forenames": "Hand",
        "surname": "Made",
        "date_of_birth": "1980-01-01",
        "gender": "M",
        "annual_pay": 30000,
        "pay_basis": "Salary",
        "pay_frequency": "Monthly",
        **fields,
    }


async def create_account(sim: Simulator, **fields: Any) -> str:
    body = hand_made(**fields)
    async with platform(sim) as client:
        response = await client.post(
            "/v1/accounts",
            json=body,
            headers={"Idempotency-Key": f"admin-create-{body['email']}"},
        )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def delete_account(sim: Simulator, account_id: str) -> None:
    """The platform loses an account (its API has no delete: a platform administrator did it)."""
    store = sim.app.state.sim.store
    with store.transaction():
        store._db.execute("DELETE FROM accounts WHERE id = ?", (account_id,))


async def mark_leaver_without_termination(context: ServiceContext, employee_id: int) -> None:
    """HR holds a leave date the platform never heard of (recorded before the integration)."""

    def leave(session: Session) -> None:
        session.execute(
            update(Employee)
            .where(Employee.id == employee_id)
            .values(leave_date=dt.date(2026, 11, 20), leave_reason="Resignation")
        )

    await context.db.run_write(leave)
