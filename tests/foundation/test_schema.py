"""The schema: migrations from empty, and the constraints of RULES §1.12."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from benefits_tui.db import Database
from benefits_tui.db.migrate import alembic_config, current_revision, upgrade
from benefits_tui.db.models import Base, Employee, SyncRecord
from benefits_tui.db.revision import head_revision

NOW = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def employee_row(number: str, email: str | None = None) -> dict[str, object]:
    return {
        "employee_number": number,
        "forenames": "Ada",
        "surname": "Lovelace",
        "email": email,
        "email_key": email.casefold() if email else None,
        "created_via": "cli",
        "created_by": "test",
        "created_at": NOW,
        "updated_at": NOW,
        "search_text": number.casefold(),
    }


async def add(db: Database, number: str) -> int:
    def insert_one(session: Session) -> int:
        employee_id = (
            session.execute(insert(Employee).returning(Employee.id), [employee_row(number)])
        ).scalar_one()
        session.execute(
            insert(SyncRecord),
            [{"employee_id": employee_id, "state": "not_syncing", "updated_at": NOW}],
        )
        return int(employee_id)

    return await db.run_write(insert_one)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await upgrade(database)
    yield database
    await database.dispose()


def test_head_read_from_the_files_is_alembics_head() -> None:
    """Every start compares the database with this head (without importing Alembic)."""
    from alembic.script import ScriptDirectory

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_migrations_reach_head_from_empty_and_are_idempotent(database_url: str) -> None:
    database = Database(database_url)
    try:
        assert await current_revision(database) is None
        assert await upgrade(database) is True
        assert await current_revision(database) == head_revision()
        assert await upgrade(database) is False
    finally:
        await database.dispose()


def _modelled(name: str | None, kind: str, _parents: object) -> bool:
    """SQLite's search index (migration 0008, an FTS5 table and its shadow tables) and its
    email holder counts (migration 0009) are kept by triggers, not models."""
    kept_by_triggers = ("employees_search", "employee_emails")
    return not (kind == "table" and (name or "").startswith(kept_by_triggers))


async def test_migrated_schema_matches_the_models(db: Database) -> None:
    async with db.engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"include_name": _modelled}),
                Base.metadata,
            )
        )
    assert diff == []


async def test_one_sync_record_per_employee(db: Database) -> None:
    employee_id = await add(db, "E000001")

    def second_record(session: Session) -> None:
        session.execute(
            insert(SyncRecord),
            [{"employee_id": employee_id, "state": "in_progress", "updated_at": NOW}],
        )

    with pytest.raises(IntegrityError):
        await db.run_write(second_record)


async def test_two_employees_cannot_share_an_account(db: Database) -> None:
    first = await add(db, "E000001")
    second = await add(db, "E000002")

    def link(session: Session) -> None:
        session.execute(
            update(SyncRecord).where(SyncRecord.employee_id == first).values(account_id="acc_1")
        )

    await db.run_write(link)

    def share(session: Session) -> None:
        session.execute(
            update(SyncRecord).where(SyncRecord.employee_id == second).values(account_id="acc_1")
        )

    with pytest.raises(IntegrityError):
        await db.run_write(share)
    async with db.read() as session:
        linked = (
            await session.scalars(
                select(SyncRecord.employee_id).where(SyncRecord.account_id == "acc_1")
            )
        ).all()
    assert linked == [first]


async def test_employee_numbers_are_unique(db: Database) -> None:
    await add(db, "E000001")
    with pytest.raises(IntegrityError):
        await add(db, "E000001")


async def test_timestamps_round_trip_as_utc(db: Database) -> None:
    employee_id = await add(db, "E000001")
    async with db.read() as session:
        employee = await session.get(Employee, employee_id)
    assert employee is not None
    assert employee.created_at == NOW
    assert employee.created_at.tzinfo is not None


TRIGGERS = {
    "sqlite": {
        # the search index (0008), the email holder counts (0009), the stale verdicts (0003)
        ("employees", "employees_search_insert"),
        ("employees", "employees_search_delete"),
        ("employees", "employees_search_update"),
        ("employees", "employee_emails_insert"),
        ("employees", "employee_emails_delete"),
        ("employees", "employee_emails_update"),
        ("employees", "employees_preflight_stale"),
    },
    "postgresql": {
        ("employees", "employees_preflight_stale"),
        # who wrote each row, stamped by the server (0004)
        ("employees", "employees_signed"),
        ("sync_events", "sync_events_signed"),
        ("sync_records", "sync_records_signed"),
        ("worker_heartbeats", "worker_heartbeats_signed"),
    },
}


async def test_every_trigger_is_there_at_head(db: Database) -> None:
    """Search, pre-flight counts and signatures are kept by triggers the models do not show.

    On SQLite a migration that rebuilds a table (Alembic's batch mode copies it and renames the
    copy) drops that table's triggers: it must create them again, or the search and the
    pre-flight counts silently go stale. This holds every migration to it.
    """
    async with db.engine.connect() as connection:
        if db.is_sqlite:
            query = "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
        else:
            query = (
                "SELECT c.relname, t.tgname FROM pg_trigger t"
                " JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
            )
        found = {(table, name) for table, name in (await connection.execute(text(query))).all()}
    assert found == TRIGGERS[db.dialect]
