"""HR employee fields: names, parsing of typed or imported text, and which fields sync.

The same rules serve the forms, the CSV import and the command line, so a value refused in
one is refused in all, with the same message.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from benefits_tui.domain.errors import EXIT_USAGE, BenefitsError

# What HR holds of a person, and of their job, in the order the forms and the CSV show them.
PERSONAL_FIELDS: tuple[str, ...] = (
    "title",
    "forenames",
    "surname",
    "email",
    "date_of_birth",
    "gender",
)
EMPLOYMENT_FIELDS: tuple[str, ...] = (
    "job_title",
    "department",
    "start_date",
    "annual_pay",
    "pay_basis",
    "pay_frequency",
)
# The CSV columns of RULES §4, in order; also the FIELD names of `employee set`.
CSV_FIELDS: tuple[str, ...] = (
    "employee_number",
    *PERSONAL_FIELDS,
    *EMPLOYMENT_FIELDS,
    "benefits_level",
)
REQUIRED_TO_IMPORT: frozenset[str] = frozenset({"employee_number", "forenames", "surname"})

# CSV/CLI name -> model attribute (only Benefits Level differs).
ATTRIBUTE_OF: dict[str, str] = {name: name for name in CSV_FIELDS} | {
    "benefits_level": "benefit_level"
}

FIELD_LABELS: dict[str, str] = {
    "employee_number": "Employee number",
    "title": "Title",
    "forenames": "Forenames",
    "surname": "Surname",
    "email": "Email",
    "date_of_birth": "Date of birth",
    "gender": "Gender",
    "job_title": "Job title",
    "department": "Department",
    "start_date": "Start date",
    "annual_pay": "Annual pay",
    "pay_basis": "Pay basis",
    "pay_frequency": "Pay frequency",
    "benefits_level": "Benefits Level",
    "benefit_level": "Benefits Level",
    "address": "Address",
    "leave_date": "Leave date",
    "leave_reason": "Leave reason",
}

# Fields whose change on a linked employee is sent to the platform (RULES §1.9).
SYNCED_ATTRIBUTES: frozenset[str] = frozenset(
    {
        *PERSONAL_FIELDS,
        "job_title",
        "annual_pay",
        "pay_basis",
        "pay_frequency",
        "benefit_level",
        "address",
        "leave_date",
    }
)

# What the platform needs to create an account (RULES §1.8), as model attributes.
REQUIRED_FOR_PLATFORM: tuple[str, ...] = (
    "forenames",
    "surname",
    "date_of_birth",
    "gender",
    "title",
    "email",
    "annual_pay",
    "pay_basis",
    "pay_frequency",
)

# The picklists RULES §2 documents; the platform's own lists (cached) take precedence.
DEFAULT_PICKLISTS: dict[str, tuple[str, ...]] = {
    "title": ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr"),
    "gender": ("M", "F", "X", "N"),
    "pay_basis": ("Salary", "Hourly"),
    "pay_frequency": ("Weekly", "Fortnightly", "Four-weekly", "Monthly"),
}

# What the platform's one-letter codes mean, for people (the codes are what is stored and sent).
PICKLIST_NAMES: dict[str, dict[str, str]] = {
    "gender": {"M": "Male", "F": "Female", "X": "Non-binary", "N": "Not stated"},
}

MAX_TEXT = 10_000
MAX_EMAIL_LENGTH = 254
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# The platform's email rule (RULES §2), shared by HR's pre-flight and the simulator: a dot-atom
# local part, at least one dot in the domain, ASCII only.
EMAIL_RE = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*\.[A-Za-z]{{2,63}}$")
_ISO_DATE_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
EMPLOYEE_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


class FieldProblem(BenefitsError, ValueError):
    """A value that cannot be stored in a field (a wrong value given: a usage error)."""

    exit_code = EXIT_USAGE

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def is_valid_email(value: object) -> bool:
    """True when ``value`` is a string the platform accepts as an email address."""
    return (
        isinstance(value, str)
        and len(value) <= MAX_EMAIL_LENGTH
        and EMAIL_RE.fullmatch(value) is not None
    )


def email_key(value: str | None) -> str | None:
    """The case-insensitive key of an email (RULES §1.4)."""
    if value is None:
        return None
    value = value.strip()
    return value.casefold() if value else None


def has_control_characters(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" and ch not in "\t" for ch in value)


def parse_date(field: str, raw: str) -> dt.date:
    """A YYYY-MM-DD date; the message says what is wrong (``2026-02-30``: February has 28 days)."""
    text = raw.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    if match := _ISO_DATE_RE.fullmatch(text):
        year, month, _day = (int(part) for part in match.groups())
        if not 1 <= month <= 12:
            raise FieldProblem(field, f"{text!r} is not a date: there is no month {month}")
        if year >= 1:
            days = calendar.monthrange(year, month)[1]
            raise FieldProblem(
                field,
                f"{text!r} is not a date: {calendar.month_name[month]} {year} has {days} days",
            )
    raise FieldProblem(field, f"{text!r} is not a date; use YYYY-MM-DD")


def parse_pay(field: str, raw: str) -> Decimal:
    text = raw.strip().replace(",", "").removeprefix("£").removeprefix("$").removeprefix("€")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise FieldProblem(field, f"{raw.strip()!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise FieldProblem(field, "must be a positive number")
    if value >= Decimal("1e12"):
        raise FieldProblem(field, "is too large")
    return value.quantize(Decimal("0.01"))


def _clean_text(field: str, raw: str) -> str | None:
    text = raw.strip()
    if not text:
        return None
    if len(text) > MAX_TEXT:
        raise FieldProblem(field, f"is longer than {MAX_TEXT:,} characters")
    if "\x00" in text:
        raise FieldProblem(field, "contains a NUL character")
    return text


def parse_field(
    name: str,
    raw: str | None,
    *,
    picklists: dict[str, tuple[str, ...]] | None = None,
    levels: tuple[str, ...] | None = None,
    platform_rules: bool = True,
) -> Any:
    """Turn typed or imported text into the value stored for field ``name`` (CSV naming).

    Empty text means "no value" (``None``). Raises :class:`FieldProblem` with a message
    for a person. ``picklists``/``levels`` restrict the picklist fields when given.
    With ``platform_rules=False`` (the CSV import, RULES §4: "what the platform needs is
    checked at sync") an invalid email, an unrecognised picklist value or level is stored
    as given and fails pre-flight with its reason; formats (dates, pay) are still checked.
    """
    if raw is None:
        return None
    text = _clean_text(name, raw)
    if text is None:
        if name in REQUIRED_TO_IMPORT:
            raise FieldProblem(name, "is required")
        return None
    if name == "employee_number":
        if not EMPLOYEE_NUMBER_RE.match(text):
            raise FieldProblem(name, "use letters, digits, '-' or '_' (at most 32)")
        return text
    if name in ("date_of_birth", "start_date", "leave_date"):
        value = parse_date(name, text)
        if name == "date_of_birth" and not dt.date(1900, 1, 1) <= value <= dt.date.today():
            raise FieldProblem(name, f"{value.isoformat()} is not a plausible date of birth")
        return value
    if name == "annual_pay":
        return parse_pay(name, text)
    if name == "email":
        if has_control_characters(text):  # stored as given by the import: never an escape sequence
            raise FieldProblem(name, "contains control characters")
        if platform_rules and not is_valid_email(text):
            raise FieldProblem(name, f"{text!r} is not a valid email address")
        return text
    if name in DEFAULT_PICKLISTS:
        allowed = (picklists or DEFAULT_PICKLISTS).get(name, DEFAULT_PICKLISTS[name])
        match = next((value for value in allowed if value.casefold() == text.casefold()), None)
        if match is None:
            if not platform_rules and not has_control_characters(text):
                return text
            raise FieldProblem(name, f"{text!r} is not one of {', '.join(allowed)}")
        return match
    if name in ("benefits_level", "benefit_level"):
        if has_control_characters(text):
            raise FieldProblem(name, "contains control characters")
        code = text.upper()
        if platform_rules and levels is not None and code not in levels:
            raise FieldProblem(name, f"{text!r} is not a Benefits Level ({', '.join(levels)})")
        return code
    if name in ("forenames", "surname", "title", "job_title", "department", "leave_reason"):
        if has_control_characters(text):
            raise FieldProblem(name, "contains control characters")
        return text
    return text


def search_text(employee_number: str, forenames: str, surname: str, email: str | None) -> str:
    """What the search bar matches: number, names and email, case-folded."""
    return " ".join(
        part.casefold() for part in (employee_number, forenames, surname, email or "") if part
    )
