"""Pre-flight (RULES §1.8, 1.12): records that cannot succeed fail before any platform call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from benefits_tui.db.models import Employee
from benefits_tui.domain.fields import FIELD_LABELS, REQUIRED_FOR_PLATFORM, is_valid_email
from benefits_tui.services.sync.reference import PlatformRules

HR_REJECTED = "HR rejected"
# The verdicts of this check kept beside each employee (services.sync.verdicts).
VERDICT_ATTRIBUTES = ("preflight_alone", "preflight_shared", "preflight_linked", "preflight_rules")
# What the sync reads of an employee, in the planner and in the engine alike: every column but
# the verdicts. :func:`check` and the request payloads read one mapping of these.
EMPLOYEE_COLUMNS = tuple(
    column for column in Employee.__table__.columns if column.key not in VERDICT_ATTRIBUTES
)


@dataclass(frozen=True)
class Rejection:
    """Why a record cannot be sent; ``kind`` groups reasons for the Confirm Sync summary."""

    kind: str
    reason: str


def _label(attribute: str) -> str:
    return (
        FIELD_LABELS.get(attribute, attribute.replace("_", " "))
        .lower()
        .replace("benefits level", "Benefits Level")
    )


def check(
    employee: Mapping[str, Any],
    rules: PlatformRules,
    shared_with: str | None,
    *,
    linked: bool,
) -> Rejection | None:
    """Why ``employee`` (a row mapping) cannot be sent, or ``None``.

    ``shared_with`` names another current employee holding the same email;
    ``linked`` is True when the employee already has a Benefits account.
    """
    leave_date: dt.date | None = employee.get("leave_date")
    if leave_date is not None and not linked:
        return Rejection(
            "leaver",
            f"{HR_REJECTED}: leaver (leave date {leave_date.isoformat()}) was never synced; "
            "nothing to send",
        )
    email = employee.get("email")
    if not email:
        return Rejection("no_email", f"{HR_REJECTED}: no email address")
    if not is_valid_email(email):
        return Rejection("invalid_email", f"{HR_REJECTED}: email {email!r} is not a valid address")
    if shared_with and not linked:
        return Rejection(
            "shared_email", f"{HR_REJECTED}: email {email} is shared with {shared_with}"
        )
    missing = [name for name in REQUIRED_FOR_PLATFORM if employee.get(name) in (None, "")]
    if missing:
        fields = ", ".join(_label(name) for name in missing)
        return Rejection("missing_field", f"{HR_REJECTED}: missing {fields}")
    for name, allowed in rules.picklists.items():
        value = employee.get(name)
        if value is not None and value not in allowed:
            return Rejection(
                "picklist",
                f"{HR_REJECTED}: {_label(name)} {value!r} is not recognised by Benefits "
                f"({', '.join(allowed)})",
            )
    level = employee.get("benefit_level")
    if level and level not in rules.level_codes:
        return Rejection(
            "unknown_level",
            f"{HR_REJECTED}: Benefits Level {level!r} is not offered by Benefits "
            f"({', '.join(rules.level_codes)})",
        )
    return None


REJECTION_LABELS: dict[str, str] = {
    "leaver": "leavers never synced",
    "no_email": "no email",
    "invalid_email": "invalid email",
    "shared_email": "email shared with another employee",
    "missing_field": "missing required field",
    "picklist": "value Benefits does not recognise",
    "unknown_level": "Benefits Level not offered",
}
