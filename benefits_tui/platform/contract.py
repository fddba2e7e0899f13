"""The rules of the Benefits platform API that both sides need (RULES §2).

The simulator enforces them; the HR side reuses them for its pre-flight checks so that a
record which cannot succeed fails before any call. Pure Python, no I/O.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

# The email rule and the picklists are the domain's: HR's pre-flight uses the same ones.
from benefits_tui.domain.fields import (
    DEFAULT_PICKLISTS,
    MAX_TEXT,
    REQUIRED_FOR_PLATFORM,
    is_valid_email,
)

API_PREFIX: Final = "/v1"

PICKLISTS: Final[dict[str, tuple[str, ...]]] = DEFAULT_PICKLISTS
"""Values the platform recognises, per picklist field (exact, case-sensitive match)."""

DEFAULT_BENEFIT_LEVELS: Final[tuple[tuple[str, str], ...]] = (
    ("CORE", "Core"),
    ("ENHANCED", "Enhanced"),
    ("EXECUTIVE", "Executive"),
)
"""(code, name) pairs the simulator offers unless configured otherwise."""

REQUIRED_CREATE_FIELDS: Final[tuple[str, ...]] = ("external_id", *REQUIRED_FOR_PLATFORM)
"""Fields a create must carry (non-null, non-blank)."""

WRITABLE_FIELDS: Final[tuple[str, ...]] = (
    "external_id",
    "email",
    "title",
    "forenames",
    "surname",
    "date_of_birth",
    "gender",
    "annual_pay",
    "pay_basis",
    "pay_frequency",
    "benefit_level",
    "job_title",
    "address",
)
"""Fields a client may send on create or PATCH."""

READ_ONLY_FIELDS: Final[tuple[str, ...]] = (
    "id",
    "status",
    "leave_date",
    "termination_reason",
    "created_at",
    "updated_at",
)
"""Fields only the platform sets; sending one is a 422 ``read_only_field``."""

ACCOUNT_FIELDS: Final[tuple[str, ...]] = ("id", *WRITABLE_FIELDS, "status", "leave_date")
"""Every field of an account as RULES §2 lists it."""

ADDRESS_FIELDS: Final[tuple[str, ...]] = ("line1", "line2", "city", "region", "postcode", "country")
"""Keys an ``address`` object may hold (all strings, all optional)."""

MAX_TEXT_LENGTH: Final = MAX_TEXT
"""Longest text field (names, job title, address parts, reason): HR's own limit."""
MAX_ANNUAL_PAY: Final = 10**12
"""``annual_pay`` must be below this (HR's own limit too)."""
MIN_BIRTH_DATE: Final = _dt.date(1900, 1, 1)

DATE_OF_BIRTH_PATTERN: Final = (
    r"^(?:(?:19[0-9]{2}|20[01][0-9])-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    r"|(?:19(?:0[48]|[2468][048]|[13579][26])|20(?:0[048]|1[26]))-02-29)$"
)
"""The OpenAPI file's ``date_of_birth``: every real date from 1900-01-01 to 2019-12-31.

The rule is "1900-01-01 to today", which JSON Schema cannot state (today moves); the file
states this fixed part of it, which the platform accepts whatever the day, so no request
valid by the file is refused for its date of birth."""

ACCOUNT_STATUSES: Final[tuple[str, ...]] = ("active", "terminated")
JOB_STATUSES: Final[tuple[str, ...]] = ("pending", "in_progress", "complete", "error")


# Error codes (the ``code`` of a problem or of one of its field errors).
MISSING_FIELD: Final = "missing_field"
INVALID_EMAIL: Final = "invalid_email"
INVALID_DATE: Final = "invalid_date"
INVALID_TYPE: Final = "invalid_type"
INVALID_NUMBER: Final = "invalid_number"
TOO_LONG: Final = "too_long"
UNKNOWN_FIELD: Final = "unknown_field"
READ_ONLY_FIELD: Final = "read_only_field"
UNKNOWN_BENEFIT_LEVEL: Final = "unknown_benefit_level"
PICKLIST_VALUE_NOT_RECOGNISED: Final = "picklist_value_not_recognised"
VALIDATION_FAILED: Final = "validation_failed"
INVALID_JSON: Final = "invalid_json"
EMAIL_IN_USE: Final = "email_in_use"
IDEMPOTENCY_KEY_REQUIRED: Final = "idempotency_key_required"
IDEMPOTENCY_KEY_INVALID: Final = "idempotency_key_invalid"
IDEMPOTENCY_KEY_REUSED: Final = "idempotency_key_reused"
IDEMPOTENCY_KEY_IN_USE: Final = "idempotency_key_in_use"
NOT_FOUND: Final = "not_found"
UNAUTHORIZED: Final = "unauthorized"
RATE_LIMITED: Final = "rate_limited"
INTERNAL_ERROR: Final = "internal_error"
SERVICE_UNAVAILABLE: Final = "service_unavailable"
GATEWAY_TIMEOUT: Final = "gateway_timeout"

INVALID_CURSOR: Final = "invalid_cursor"
PAYLOAD_TOO_LARGE: Final = "payload_too_large"
METHOD_NOT_ALLOWED: Final = "method_not_allowed"
INVALID_LIMIT: Final = "invalid_limit"

PROBLEM_TYPE_BASE: Final = "https://benefits.example/problems/"
MAX_IDEMPOTENCY_KEY_LENGTH: Final = 255
IDEMPOTENCY_KEY_PATTERN: Final = f"^[!-~]{{1,{MAX_IDEMPOTENCY_KEY_LENGTH}}}$"
"""An ``Idempotency-Key``: 1 to 255 visible ASCII characters (no spaces, no controls)."""
IDEMPOTENCY_KEY_RE: Final = re.compile(IDEMPOTENCY_KEY_PATTERN)

LIST_LIMIT_DEFAULT: Final = 100
LIST_LIMIT_MAX: Final = 500
"""``GET /v1/accounts`` pages hold 1..500 accounts (100 unless ``limit`` says otherwise)."""
MAX_CURSOR_LENGTH: Final = 2048
"""Longest ``cursor`` either side accepts (the simulator's are far shorter)."""


_DATE_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def normalise_email(email: str) -> str:
    """The form emails are compared in (the platform is case-insensitive)."""
    return email.strip().casefold()


def parse_date(value: object) -> _dt.date | None:
    """The date in a strict ``YYYY-MM-DD`` string, or None when it is not one."""
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        return None
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        return None


BLANK_CHARACTERS: Final = (
    " \t\n\r\f\v\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
"""What counts as blank, as the inside of a regex character class: Python's whitespace
(``str.isspace``) and ECMA-262's (``\\s``, which adds U+FEFF), spelled out so that the
OpenAPI file's ``pattern`` means the same to every regex engine that reads it."""

NOT_BLANK_PATTERN: Final = f"[^{BLANK_CHARACTERS}]"
"""The OpenAPI ``pattern`` of a string that must not be blank (see :func:`is_blank`)."""

_NOT_BLANK: Final = re.compile(NOT_BLANK_PATTERN)


def is_blank(value: object) -> bool:
    """True for None and for strings holding only whitespace (see :data:`BLANK_CHARACTERS`)."""
    return value is None or (isinstance(value, str) and _NOT_BLANK.search(value) is None)


def benefit_level_codes(
    levels: Iterable[tuple[str, str]] = DEFAULT_BENEFIT_LEVELS,
) -> frozenset[str]:
    """The codes among (code, name) pairs."""
    return frozenset(code for code, _name in levels)


FieldProblem = tuple[str, str, str]
"""(field, code, message) — one reason a field is not acceptable."""


def validate_account(
    body: Mapping[str, Any],
    *,
    partial: bool = False,
    benefit_levels: Iterable[str] | None = None,
    today: _dt.date | None = None,
) -> list[FieldProblem]:
    """Every field problem in an account create (``partial=False``) or PATCH body.

    Returns an empty list when the body is acceptable. ``benefit_levels`` are the offered
    codes (the defaults when None). The order follows :data:`ACCOUNT_FIELDS`, then unknown
    fields alphabetically, so the answer is stable.
    """
    levels = frozenset(benefit_levels) if benefit_levels is not None else benefit_level_codes()
    today = today or _dt.date.today()
    problems: list[FieldProblem] = []

    for name in sorted(body):
        if name in READ_ONLY_FIELDS:
            problems.append(
                (name, READ_ONLY_FIELD, f"{name} is set by the platform and cannot be written")
            )
        elif name not in WRITABLE_FIELDS:
            problems.append((name, UNKNOWN_FIELD, f"{name} is not an account field"))

    if not partial:
        for name in REQUIRED_CREATE_FIELDS:
            if is_blank(body.get(name)):
                problems.append((name, MISSING_FIELD, f"{name} is required"))

    for name in WRITABLE_FIELDS:
        if name not in body:
            continue
        value = body[name]
        if name in REQUIRED_CREATE_FIELDS and is_blank(value):
            if partial:  # on create the required-field loop above already said so
                problems.append((name, MISSING_FIELD, f"{name} cannot be cleared"))
            continue
        if value is None or (name == "job_title" and is_blank(value)):
            continue  # clearing an optional field is fine (a blank level is not: it is no code)
        problem = _check_field(name, value, levels, today)
        if problem is not None:
            problems.append((name, problem[0], problem[1]))
    return problems


def _check_field(
    name: str, value: Any, levels: frozenset[str], today: _dt.date
) -> tuple[str, str] | None:
    if name == "email":
        if not isinstance(value, str):
            return INVALID_TYPE, "email must be a string"
        if not is_valid_email(value):
            return INVALID_EMAIL, "email is not a valid email address"
        return None
    if name == "date_of_birth":
        parsed = parse_date(value)
        if parsed is None:
            return INVALID_DATE, "date_of_birth must be a real date written YYYY-MM-DD"
        if parsed > today or parsed < MIN_BIRTH_DATE:
            return INVALID_DATE, "date_of_birth must be between 1900-01-01 and today"
        return None
    if name in PICKLISTS:
        if not isinstance(value, str) or value not in PICKLISTS[name]:
            allowed = ", ".join(PICKLISTS[name])
            return PICKLIST_VALUE_NOT_RECOGNISED, f"{name} must be one of: {allowed}"
        return None
    if name == "annual_pay":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return INVALID_NUMBER, "annual_pay must be a number"
        # Compared, never converted: an int of hundreds of digits is a JSON number too (no
        # float holds it), and NaN fails every comparison.
        if not 0 <= value < MAX_ANNUAL_PAY:
            return INVALID_NUMBER, "annual_pay must be a number from 0 to below 1e12"
        return None
    if name == "benefit_level":
        if not isinstance(value, str) or value not in levels:
            allowed = ", ".join(sorted(levels))
            return (
                UNKNOWN_BENEFIT_LEVEL,
                f"benefit_level must be one of the offered level codes: {allowed}",
            )
        return None
    if name == "address":
        if not isinstance(value, Mapping):
            return INVALID_TYPE, "address must be an object"
        for key, item in value.items():
            if key not in ADDRESS_FIELDS:
                return UNKNOWN_FIELD, f"address.{key} is not an address field"
            if item is not None and not isinstance(item, str):
                return INVALID_TYPE, f"address.{key} must be a string"
            if isinstance(item, str) and len(item) > MAX_TEXT_LENGTH:
                return TOO_LONG, f"address.{key} must be at most {MAX_TEXT_LENGTH:,} characters"
        return None
    if not isinstance(value, str):  # external_id, forenames, surname, job_title
        return INVALID_TYPE, f"{name} must be a string"
    if len(value) > MAX_TEXT_LENGTH:
        return TOO_LONG, f"{name} must be at most {MAX_TEXT_LENGTH:,} characters"
    return None


def validate_termination(body: Mapping[str, Any]) -> list[FieldProblem]:
    """Every field problem in a termination body ``{leave_date, reason}``."""
    problems: list[FieldProblem] = []
    for name in sorted(body):
        if name not in ("leave_date", "reason"):
            problems.append((name, UNKNOWN_FIELD, f"{name} is not a termination field"))
    leave_date = body.get("leave_date")
    if is_blank(leave_date):
        problems.append(("leave_date", MISSING_FIELD, "leave_date is required"))
    elif parse_date(leave_date) is None:
        problems.append(
            ("leave_date", INVALID_DATE, "leave_date must be a real date written YYYY-MM-DD")
        )
    reason = body.get("reason")
    if is_blank(reason):
        problems.append(("reason", MISSING_FIELD, "reason is required"))
    elif not isinstance(reason, str):
        problems.append(("reason", INVALID_TYPE, "reason must be a string"))
    elif len(reason) > MAX_TEXT_LENGTH:
        problems.append(
            ("reason", TOO_LONG, f"reason must be at most {MAX_TEXT_LENGTH:,} characters")
        )
    return problems
