"""The database: ORM models, engines for SQLite and PostgreSQL, and Alembic migrations."""

from benefits_tui.db.engine import Database, DatabaseURLError

__all__ = ["Database", "DatabaseURLError"]
