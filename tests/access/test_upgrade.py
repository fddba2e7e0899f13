"""Migration 0004 (access) upgrades an existing database (data kept) on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import Connection, text

from benefits_tui.db import Database
from benefits_tui.db.migrate import alembic_config, current_revision, upgrade
from benefits_tui.db.revision import head_revision

NOW = dt.datetime(2026, 11, 1, 9, 0)


def _to_before_access(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "0003")


def _down_to_before_access(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "0003")


async def test_an_existing_database_upgrades_and_keeps_its_history(database_url: str) -> None:
    database = Database(database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(_to_before_access)
            await connection.execute(
                text(
                    "INSERT INTO employees (employee_number, forenames, surname, created_via,"
                    " created_by, created_at, updated_at, search_text, revision)"
                    " VALUES ('E1', 'Ada', 'L', 'cli', 'old.user', :now, :now, '', 1)"
                ),
                {"now": NOW},
            )
            await connection.execute(
                text(
                    "INSERT INTO sync_events (employee_id, at, actor, action)"
                    " VALUES (1, :now, 'old.user', 'requested')"
                ),
                {"now": NOW},
            )
        assert await current_revision(database) == "0003"
        assert await upgrade(database) is True
        assert await current_revision(database) == head_revision()
        async with database.engine.connect() as connection:
            row = (
                await connection.execute(text("SELECT actor, requested_by FROM sync_events"))
            ).one()
            assert tuple(row) == ("old.user", None)  # the old trail is kept as it was
            if database.is_postgresql:
                granted = await connection.scalar(
                    text(
                        "SELECT has_table_privilege('benefits_readonly', 'employees', 'SELECT')"
                        " AND NOT has_table_privilege('benefits_readonly', 'employees', 'UPDATE')"
                        " AND NOT has_table_privilege('benefits_hr', 'sync_events', 'UPDATE')"
                        " AND has_table_privilege('benefits_hr', 'sync_events', 'INSERT')"
                    )
                )
                assert granted is True
        assert await upgrade(database) is False  # idempotent (the roles already exist)
        async with database.engine.begin() as connection:  # and it can be undone, then redone
            await connection.run_sync(_down_to_before_access)
        assert await current_revision(database) == "0003"
        assert await upgrade(database) is True
    finally:
        await database.dispose()
