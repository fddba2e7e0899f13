"""The database: ORM models, engines for SQLite and PostgreSQL, and Alembic migrations.

The engine (and so SQLAlchemy) is imported when one of its names is first used, not with the
package: ``db.revision`` and ``db.quick`` serve quick commands without SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benefits_tui.db.engine import Database, DatabaseURLError, missing_sqlite_file

__all__ = ["Database", "DatabaseURLError", "missing_sqlite_file"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("benefits_tui.db.engine"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
