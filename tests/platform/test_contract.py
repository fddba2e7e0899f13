"""The shared validation rules (used by the simulator and by HR pre-flight)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from benefits_tui.domain.fields import is_valid_email
from benefits_tui.platform import contract as c

from .conftest import account_body


@pytest.mark.parametrize(
    "email",
    ["a@b.co", "first.last+tag@sub.example.org", "O'Neil@example.ie", "x_y-z@a-b.example.com"],
)
def test_valid_emails(email: str) -> None:
    assert is_valid_email(email)


@pytest.mark.parametrize(
    "email",
    [
        "",
        "plain",
        "a@b",
        "a@b.c",
        "a..b@x.com",
        ".a@x.com",
        "a.@x.com",
        "a b@x.com",
        "a@x..com",
        "a@-x.com",
        "é@x.com",
        "a@x.com\n",
        "<a@x.com>",
        None,
        42,
        "a" * 250 + "@x.com",
    ],
)
def test_invalid_emails(email: object) -> None:
    assert not is_valid_email(email)


def test_complete_body_is_valid() -> None:
    assert c.validate_account(account_body()) == []


def test_every_required_field_is_reported_missing() -> None:
    problems = c.validate_account({})
    assert [(f, code) for f, code, _ in problems] == [
        (f, c.MISSING_FIELD) for f in c.REQUIRED_CREATE_FIELDS
    ]


def test_blank_strings_count_as_missing() -> None:
    problems = c.validate_account(account_body(forenames="   ", email=""))
    assert {(f, code) for f, code, _ in problems} == {
        ("forenames", "missing_field"),
        ("email", "missing_field"),
    }


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("email", "not-an-email", "invalid_email"),
        ("date_of_birth", "1990-02-30", "invalid_date"),
        ("date_of_birth", "12/04/1990", "invalid_date"),
        ("date_of_birth", "2999-01-01", "invalid_date"),
        ("title", "Sir", "picklist_value_not_recognised"),
        ("title", "mr", "picklist_value_not_recognised"),
        ("gender", "Female", "picklist_value_not_recognised"),
        ("pay_basis", "Annual", "picklist_value_not_recognised"),
        ("pay_frequency", "Daily", "picklist_value_not_recognised"),
        ("benefit_level", "Core", "unknown_benefit_level"),
        ("benefit_level", "PLATINUM", "unknown_benefit_level"),
        ("annual_pay", "42000", "invalid_number"),
        ("annual_pay", -1, "invalid_number"),
        ("annual_pay", True, "invalid_number"),
        ("address", "1 High St", "invalid_type"),
        ("surname", 7, "invalid_type"),
    ],
)
def test_field_rules(field: str, value: object, code: str) -> None:
    fields: dict[str, Any] = {field: value}
    problems = c.validate_account(account_body(**fields))
    assert [(f, k) for f, k, _ in problems] == [(field, code)]


def test_read_only_and_unknown_fields_are_rejected() -> None:
    problems = c.validate_account({"status": "terminated", "nickname": "Z"}, partial=True)
    assert {(f, k) for f, k, _ in problems} == {
        ("status", "read_only_field"),
        ("nickname", "unknown_field"),
    }


def test_partial_update_validates_only_given_fields_and_refuses_clearing_required() -> None:
    assert c.validate_account({"job_title": None, "benefit_level": None}, partial=True) == []
    problems = c.validate_account({"surname": None}, partial=True)
    assert [(f, k) for f, k, _ in problems] == [("surname", "missing_field")]


def test_custom_benefit_levels() -> None:
    assert c.validate_account(account_body(benefit_level="GOLD"), benefit_levels={"GOLD"}) == []


def test_termination_rules() -> None:
    assert c.validate_termination({"leave_date": "2026-01-31", "reason": "Resigned"}) == []
    problems = c.validate_termination({"leave_date": "31/01/2026"})
    assert {(f, k) for f, k, _ in problems} == {
        ("leave_date", "invalid_date"),
        ("reason", "missing_field"),
    }


def test_picklists_match_spec() -> None:
    assert c.PICKLISTS == {
        "title": ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr"),
        "gender": ("M", "F", "X", "N"),
        "pay_basis": ("Salary", "Hourly"),
        "pay_frequency": ("Weekly", "Fortnightly", "Four-weekly", "Monthly"),
    }
    assert [code for code, _ in c.DEFAULT_BENEFIT_LEVELS] == ["CORE", "ENHANCED", "EXECUTIVE"]


def test_date_of_birth_today_is_accepted_but_not_tomorrow() -> None:
    today = dt.date(2026, 5, 1)
    assert c.validate_account(account_body(date_of_birth="2026-05-01"), today=today) == []
    assert c.validate_account(account_body(date_of_birth="2026-05-02"), today=today) != []
