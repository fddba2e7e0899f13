"""Seeding: deterministic, realistic, idempotent, with the flaws that cannot sync."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from benefits_tui.cli.main import cli
from benefits_tui.db.models import Employee
from benefits_tui.domain.fields import is_valid_email
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.seed import generate, seed_employees
from tests.helpers import services


async def snapshot(context: ServiceContext) -> list[tuple[Any, ...]]:
    async with context.db.read() as session:
        rows = (
            await session.execute(
                select(
                    Employee.employee_number,
                    Employee.forenames,
                    Employee.surname,
                    Employee.email,
                    Employee.annual_pay,
                ).order_by(Employee.employee_number)
            )
        ).all()
    return [tuple(row) for row in rows]


async def test_seeding_twice_gives_the_same_people_without_duplicates(database_url: str) -> None:
    async with services(database_url) as context:
        first = await seed_employees(context, 300, seed=7)
        before = await snapshot(context)
        second = await seed_employees(context, 300, seed=7)
        after = await snapshot(context)
    assert first.inserted == 300 and second.inserted == 0
    assert before == after
    assert [row[0] for row in before[:2]] == ["E000001", "E000002"]


def test_generated_data_is_deterministic_and_has_flaws_on_purpose() -> None:
    rows = list(generate(1000, seed=1))
    assert rows == list(generate(1000, seed=1))
    assert rows != list(generate(1000, seed=2))
    emails = [row["email"] for row in rows]
    assert 0 < sum(email is None for email in emails) < 40
    assert 0 < sum(email is not None and not is_valid_email(email) for email in emails) < 40
    keys = [email.casefold() for email in emails if email]
    assert len(keys) - len(set(keys)) > 0  # some share an email
    assert any(row["date_of_birth"] is None for row in rows)
    assert any(row["leave_date"] is not None for row in rows)
    names = "".join(row["forenames"] + row["surname"] for row in rows)
    assert any(ord(ch) > 0x3000 for ch in names) and "'" in names and "é" in names
    assert sum(row["benefit_level"] is None for row in rows) > 0


def test_seed_and_status_from_the_command_line(sqlite_url: str) -> None:
    env = {"BENEFITS_TUI_DATABASE_URL": sqlite_url}
    runner = CliRunner()
    result = runner.invoke(cli, ["db", "seed", "--employees", "200", "--seed", "3"], env=env)
    assert result.exit_code == 0, result.output
    status = runner.invoke(cli, ["status", "--json"], env=env)
    assert status.exit_code == 0, status.output
    counts = json.loads(status.output)
    assert set(counts) >= {"not_syncing", "in_progress", "successful", "failed"}
    assert 180 <= counts["not_syncing"] <= 200 and counts["in_progress"] == 0
