"""The database: ORM models, engines for SQLite and PostgreSQL, and Alembic migrations."""

from benefits_tui.db.engine import Database, DatabaseURLError, missing_sqlite_file

__all__ = ["Database", "DatabaseURLError", "missing_sqlite_file"]
