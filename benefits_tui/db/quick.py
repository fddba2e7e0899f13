"""Reading a SQLite database with the standard library alone, for quick commands.

``status`` answers in a fraction of the time SQLAlchemy takes to import (RULES §5, "Instant,
as felt from outside"). Only for what is plainly a SQLite file at the schema this program
knows: anything else (PostgreSQL, a missing file, a schema to upgrade, a URL with options)
is left to the full path, which creates, upgrades, checks roles and reports errors.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from benefits_tui.db.revision import head_revision

SQLITE_PREFIX = "sqlite+aiosqlite:///"
BUSY_TIMEOUT_S = 60.0


def sqlite_path(url: str) -> Path | None:
    """The file of a plain SQLite URL (no options, not in memory), else None."""
    if not url.startswith(SQLITE_PREFIX):
        return None
    database = url[len(SQLITE_PREFIX) :]
    if not database or any(mark in database for mark in "?%#") or database.startswith("file:"):
        return None
    if database == ":memory:":
        return None
    return Path(database).expanduser()


def open_for_reading(url: str) -> sqlite3.Connection | None:
    """A connection that only reads, or None when the full path must handle ``url``."""
    path = sqlite_path(url)
    if path is None or not path.is_file():
        return None
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        connection.execute("PRAGMA query_only=ON")
        versions = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:  # not our database, or no schema yet
        connection.close()
        return None
    if versions != [(head_revision(),)]:  # behind (or ahead): the full path says what to do
        connection.close()
        return None
    return connection


def utc_text(moment: dt.datetime) -> str:
    """A UTC moment as SQLAlchemy stores it in SQLite (so that text comparisons order it)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def utc_from(text: str | None) -> dt.datetime | None:
    """A stored moment back as an aware UTC datetime."""
    if text is None:
        return None
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
