"""Bring a database's schema to the newest Alembic revision, safely from many processes.

Every start checks the schema, so the check is one cheap query compared with the head read
from the migration files' ``revision``/``down_revision`` lines: Alembic (and, through the
migration scripts, the whole schema module) is imported only when an upgrade is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from benefits_tui.db.engine import Database, DatabaseURLError
from benefits_tui.db.revision import MIGRATIONS, head_revision

if TYPE_CHECKING:
    from alembic.config import Config

PG_MIGRATION_LOCK = 0x62656E65  # "bene": one advisory lock for every migrating process


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: Connection) -> bool:
    from alembic import command

    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
    if _current(connection) == head_revision():
        return False
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    return True


async def current_revision(db: Database) -> str | None:
    """The database's revision (None for an empty database), in one query."""
    async with db.read_engine.connect() as connection:
        try:
            result = await connection.execute(text("SELECT version_num FROM alembic_version"))
        except DBAPIError:  # no alembic_version table yet: nothing applied
            return None
        versions = result.scalars().all()
    return versions[0] if len(versions) == 1 else None


async def upgrade(db: Database) -> bool:
    """Upgrade to head; True if anything was applied. Idempotent and concurrency-safe."""
    async with db.engine.begin() as connection:
        return await connection.run_sync(_upgrade)


class SchemaBehind(DatabaseURLError):
    """The schema is older than this program and the login may not upgrade it."""


async def ensure_schema(db: Database) -> None:
    """Upgrade only when the schema is behind (a cheap check on every start).

    On PostgreSQL only the schema owner (or a superuser) migrates; another login gets a
    one-line answer saying who must run ``benefits-tui db upgrade``.
    """
    current = await current_revision(db)
    head = head_revision()
    if current == head:
        return
    if db.is_postgresql:
        from benefits_tui.db.access import database_identity

        if not (await database_identity(db)).owner:
            raise SchemaBehind(
                f"the schema is at revision {current or 'none'} and this benefits-tui needs "
                f"{head}: the schema owner must run `benefits-tui db upgrade` first"
            )
    await upgrade(db)
