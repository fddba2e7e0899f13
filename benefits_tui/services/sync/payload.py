"""What HR sends to the platform: an account body built from an employee."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def account_body(employee: Mapping[str, Any]) -> dict[str, Any]:
    """The account JSON for an employee (RULES §2 field names); empty values are left out."""
    body: dict[str, Any] = {
        "external_id": employee["employee_number"],
        "email": employee.get("email"),
        "title": employee.get("title"),
        "forenames": employee.get("forenames"),
        "surname": employee.get("surname"),
        "date_of_birth": employee["date_of_birth"].isoformat()
        if employee.get("date_of_birth")
        else None,
        "gender": employee.get("gender"),
        "annual_pay": float(employee["annual_pay"])
        if employee.get("annual_pay") is not None
        else None,
        "pay_basis": employee.get("pay_basis"),
        "pay_frequency": employee.get("pay_frequency"),
        "benefit_level": employee.get("benefit_level"),
        "job_title": employee.get("job_title"),
        "address": dict(employee["address"]) if employee.get("address") else None,
    }
    return {key: value for key, value in body.items() if value is not None}


def termination_body(employee: Mapping[str, Any]) -> dict[str, Any]:
    """The termination JSON for a leaver."""
    return {
        "leave_date": employee["leave_date"].isoformat(),
        "reason": employee.get("leave_reason") or "Leaver",
    }
