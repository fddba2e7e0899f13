"""Async engines and transactions for SQLite (embedded default) and PostgreSQL (shared).

SQLite runs in WAL mode with a busy timeout; write transactions begin ``IMMEDIATE`` so that
several processes on one host queue for the write lock instead of failing with "database is
locked" half-way through. Read transactions begin deferred and never block writers.
Within one process SQLite write transactions also queue on an asyncio lock: waiting in
SQLite's busy handler instead sleeps in growing steps (up to 100 ms), which throttled a sync
with 16 tasks to a few records per second. A writer that finds the lock held by another
process (one stopped with ctrl+z, say) waits for as long as it takes, in one-second slices
of SQLite's busy handler, and says so (:attr:`Database.on_lock_wait`) instead of failing
with "database is locked".
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from benefits_tui.domain.errors import EXIT_USAGE, BenefitsError

SQLITE_BUSY_TIMEOUT_MS = 60_000
SQLITE_LOCK_SLICE_MS = 1_000  # a writer's wait for the lock, between reports of the wait
log = logging.getLogger(__name__)


def _is_busy(exc: OperationalError) -> bool:
    text = str(exc.orig if exc.orig is not None else exc).lower()
    return "database is locked" in text or "database is busy" in text


def _path_of(url: str) -> str:
    return make_url(url).database or url


class DatabaseURLError(BenefitsError, ValueError):
    """The database URL cannot be used; the message says why."""

    exit_code = EXIT_USAGE

    def one_line(self) -> str:
        return f"BENEFITS_TUI_DATABASE_URL: {super().one_line()}"


def missing_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite ``url`` when it does not exist (None: it exists, or not a file)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    path = Path(database).expanduser()
    return None if path.exists() else path


def _prepare_sqlite_file(database: str | None) -> None:
    """Create the SQLite file (and its folder) readable by its owner only."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database).expanduser()
    if not path.parent.exists():
        try:
            path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise DatabaseURLError(f"cannot create folder {path.parent}: {exc.strerror}") from None
    if not path.exists():
        try:
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        except OSError as exc:
            raise DatabaseURLError(f"cannot create {path}: {exc.strerror}") from None


def _sqlite_engine(
    url: str, *, immediate: bool, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS, **kwargs: Any
) -> AsyncEngine:
    engine = create_async_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        **kwargs,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (aiosqlite's legacy mode would skip it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


class Database:
    """The product's database: a write engine, a read engine and their sessions.

    ``async with db.write() as session`` runs one short write transaction (committed on
    exit, rolled back on error); ``db.read()`` the same for reads. Never make a platform
    call inside either.
    """

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise DatabaseURLError(f"{url!r} is not a database URL") from None
        self.url = url
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            _prepare_sqlite_file(parsed.database)
            # Writers wait for the lock in short slices, so that a long wait (another process
            # stopped with ctrl+z while it holds the lock) is waited out and said, not failed.
            self.engine = _sqlite_engine(
                url, immediate=True, echo=echo, busy_timeout_ms=SQLITE_LOCK_SLICE_MS
            )
            self.read_engine = _sqlite_engine(url, immediate=False, echo=echo)
        elif self.dialect == "postgresql":
            if parsed.get_driver_name() != "asyncpg":
                raise DatabaseURLError("PostgreSQL URLs must use postgresql+asyncpg://")
            self.engine = create_async_engine(
                url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
            )
            self.read_engine = self.engine
        else:
            raise DatabaseURLError(f"unsupported database {self.dialect!r}")
        self._write_sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        #: Told ``(url, seconds waited, done)`` while a write waits for another process's lock.
        self.on_lock_wait: Callable[[str, float, bool], None] = Database.log_lock_wait
        self._read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)
        # One SQLite writer at a time per process (per event loop: a lock belongs to its loop).
        self._write_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @staticmethod
    def log_lock_wait(url: str, waited: float, done: bool) -> None:
        """The default :attr:`on_lock_wait`: a log line now and then."""
        if done:
            log.warning("got the SQLite write lock on %s after %.0f s", _path_of(url), waited)
        elif waited < 1.5 or int(waited) % 10 == 0:
            log.warning(
                "waiting %.0f s for the SQLite write lock on %s: another process holds it",
                waited,
                _path_of(url),
            )

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.dialect == "postgresql"

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A write transaction (SQLite: ``BEGIN IMMEDIATE``, one at a time in this process)."""
        if not self.is_sqlite:
            async with self._write_sessions() as session, session.begin():
                yield session
            return
        loop = asyncio.get_running_loop()
        lock = self._write_locks.get(loop)
        if lock is None:
            lock = self._write_locks[loop] = asyncio.Lock()
        async with lock:
            session = await self._begin_immediate()
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            finally:
                await session.close()

    async def _begin_immediate(self) -> AsyncSession:
        """A session holding SQLite's write lock; waits as long as another process holds it.

        Each ``BEGIN IMMEDIATE`` waits up to ``SQLITE_LOCK_SLICE_MS`` in SQLite's busy
        handler (in the driver's thread, not on the event loop); between slices the wait is
        reported through :attr:`on_lock_wait` (seconds waited so far).
        """
        started: float | None = None
        while True:
            session = self._write_sessions()
            try:
                await session.connection()  # autobegin: the "begin" hook sends BEGIN IMMEDIATE
                if started is not None:
                    self.on_lock_wait(self.url, time.monotonic() - started, True)
                return session
            except OperationalError as exc:
                await session.close()
                if not _is_busy(exc):
                    raise
                if started is None:
                    started = time.monotonic() - SQLITE_LOCK_SLICE_MS / 1000
                self.on_lock_wait(self.url, time.monotonic() - started, False)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction that never blocks writers."""
        async with self._read_sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()

    def __repr__(self) -> str:
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"
