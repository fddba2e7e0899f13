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
class Problem:
    """One reason a record cannot be sent: its kind, the field (model attribute; None for the
    record as a whole) and what is wrong, for people."""

    kind: str
    field: str | None
    text: str


@dataclass(frozen=True)
class Rejection:
    """Why a record cannot be sent: every problem at once in ``reason``; ``kind`` (the first
    problem's) groups reasons for the Confirm Sync summary."""

    kind: str
    reason: str
    problems: tuple[Problem, ...] = ()


def _label(attribute: str) -> str:
    return (
        FIELD_LABELS.get(attribute, attribute.replace("_", " "))
        .lower()
        .replace("benefits level", "Benefits Level")
    )


def problems(
    employee: Mapping[str, Any],
    rules: PlatformRules,
    shared_with: str | None,
    *,
    linked: bool,
) -> list[Problem]:
    """Everything that stops ``employee`` (a row mapping, model attribute names) from being
    sent, most important first: one sync attempt reports every invalid or missing value.

    ``shared_with`` names another current employee holding the same email;
    ``linked`` is True when the employee already has a Benefits account.
    """
    leave_date: dt.date | None = employee.get("leave_date")
    if leave_date is not None and not linked:
        return [
            Problem(
                "leaver",
                "leave_date",
                f"leaver (leave date {leave_date.isoformat()}) was never synced; nothing to send",
            )
        ]
    found: list[Problem] = []
    email = employee.get("email")
    if not email:
        found.append(Problem("no_email", "email", "no email address"))
    elif not is_valid_email(email):
        found.append(Problem("invalid_email", "email", f"email {email!r} is not a valid address"))
    elif shared_with and not linked:
        found.append(
            Problem("shared_email", "email", f"email {email} is shared with {shared_with}")
        )
    missing = [
        name
        for name in REQUIRED_FOR_PLATFORM
        if name != "email" and employee.get(name) in (None, "")
    ]
    if missing:
        fields = ", ".join(_label(name) for name in missing)
        found.append(Problem("missing_field", missing[0], f"missing {fields}"))
        found.extend(Problem("missing_field", name, "is required") for name in missing[1:])
    for name, allowed in rules.picklists.items():
        value = employee.get(name)
        if value not in (None, "") and value not in allowed:
            found.append(
                Problem(
                    "picklist",
                    name,
                    f"{_label(name)} {value!r} is not recognised by Benefits "
                    f"({', '.join(allowed)})",
                )
            )
    level = employee.get("benefit_level")
    if level and level not in rules.level_codes:
        found.append(
            Problem(
                "unknown_level",
                "benefit_level",
                f"Benefits Level {level!r} is not offered by Benefits "
                f"({', '.join(rules.level_codes)})",
            )
        )
    return found


def check(
    employee: Mapping[str, Any],
    rules: PlatformRules,
    shared_with: str | None,
    *,
    linked: bool,
) -> Rejection | None:
    """Why ``employee`` cannot be sent (every problem, in one reason), or ``None``.

    The one pure validation of the pre-flight (see :func:`problems` for the arguments).
    """
    found = problems(employee, rules, shared_with, linked=linked)
    if not found:
        return None
    # "missing date of birth, gender" is one phrase; the extra per-field entries are for forms.
    texts = [p.text for p in found if not (p.kind == "missing_field" and p.text == "is required")]
    return Rejection(found[0].kind, f"{HR_REJECTED}: " + "; ".join(texts), tuple(found))


REJECTION_LABELS: dict[str, str] = {
    "leaver": "leavers never synced",
    "no_email": "no email",
    "invalid_email": "invalid email",
    "shared_email": "email shared with another employee",
    "missing_field": "missing required field",
    "picklist": "value Benefits does not recognise",
    "unknown_level": "Benefits Level not offered",
}
