"""Engines and transactions for SQLite (embedded default) and PostgreSQL (shared).

SQLite runs in WAL mode with a busy timeout; write transactions begin ``IMMEDIATE`` so that
several processes on one host queue for the write lock instead of failing with "database is
locked" half-way through. Read transactions begin deferred and never block writers.

A write transaction is a plain function ``body(session) -> T`` run by
:meth:`Database.run_write`. On SQLite it runs from ``BEGIN IMMEDIATE`` to ``COMMIT`` in one
worker thread on a synchronous pysqlite engine, so the write lock is held for the
microseconds the statements take, never across a turn of the caller's event loop (HTTP
parsing, payload building, the UI: RULES §1.13, a 429's hold must reach other processes at
once). A body cannot ``await``: the type of a write makes "waits on nothing but the
database" hold by construction. On PostgreSQL the same body runs through
``AsyncSession.run_sync`` inside a transaction on the caller's loop (rows are locked, not
the database). Chosen over a dedicated writer thread running *async* bodies on its own event
loop: that one still hops between the loop and aiosqlite's thread for every statement while
holding the lock, and a body could still await something of the caller's loop. Helpers
called inside writes are therefore sync (``Session``); a read that needs one calls it with
``await session.run_sync(helper)``, so no helper exists twice.

Within one process SQLite writers queue on an asyncio lock (SQLite's own busy handler sleeps
in growing steps of up to 100 ms, which throttled a sync with 16 tasks to a few records per
second). A writer that finds the lock held by another process (one stopped with ctrl+z, say)
waits for as long as it takes, in one-second slices of SQLite's busy handler, and says so
(:attr:`Database.on_lock_wait`) instead of failing with "database is locked".
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import anyio
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, sessionmaker

from benefits_tui.domain.errors import EXIT_USAGE, BenefitsError

SQLITE_BUSY_TIMEOUT_MS = 60_000
SQLITE_LOCK_SLICE_MS = 1_000  # a writer's wait for the lock, between reports of the wait
log = logging.getLogger(__name__)
T = TypeVar("T")
P = ParamSpec("P")


class _Busy:
    """Another process held SQLite's write lock for a whole slice: nothing was run."""


_BUSY = _Busy()


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


def _sqlite_file(parsed: URL) -> Path | None:
    """The file a SQLite URL names (None: another database, in memory, or a ``file:`` URI)."""
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database).expanduser()


def missing_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite ``url`` when it does not exist (None: it exists, or not a file)."""
    try:
        path = _sqlite_file(make_url(url))
    except ArgumentError:
        return None
    return None if path is None or path.exists() else path


def _prepare_sqlite_file(path: Path) -> None:
    """Create the SQLite file (and its folder) readable by its owner only."""
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
    # First of the "connect" listeners: a cancellation in a later one (the PRAGMAs below) has
    # SQLAlchemy close the new connection just as an invalidated one is (see _stop_once).
    event.listen(engine.sync_engine, "connect", _stop_once, insert=True)
    _configure_sqlite(engine.sync_engine, immediate=immediate, busy_timeout_ms=busy_timeout_ms)
    return engine


def _stop_once(_dbapi_connection: Any, record: Any) -> None:
    """Make the aiosqlite connection's ``stop()`` idempotent: a second call returns the first's
    future, which its thread answers as it ends.

    A read cancelled in the middle of a statement (a worker as the app closes) is closed by
    SQLAlchemy in a detached task (``terminate``: ``close()`` shielded); cancelled again
    meanwhile, SQLAlchemy also calls ``stop()``. aiosqlite 0.22's ``close()`` then ends with a
    ``stop()`` of its own and awaits it, but the thread is gone after the first: that close
    waited for ever, and ``asyncio.run``, which waits for what it cancels at exit, hung the
    app's exit with it (the close hang; tests/reliability/test_close_hang.py).
    """
    connection = record.driver_connection  # the aiosqlite.Connection under SQLAlchemy's adapter
    stop = getattr(connection, "stop", None)  # (before 0.22.1 SQLAlchemy never stops the thread)
    if stop is None:
        return
    stopping: list[asyncio.Future[Any] | None] = []

    def once() -> asyncio.Future[Any] | None:
        if not stopping:
            stopping.append(stop())
        return stopping[0]

    connection.stop = once


def _sqlite_writer(url: str, **kwargs: Any) -> Engine:
    """The synchronous (pysqlite) engine of write transactions, on the same file."""
    engine = create_engine(
        make_url(url).set(drivername="sqlite"),
        connect_args={"timeout": SQLITE_LOCK_SLICE_MS / 1000, "check_same_thread": False},
        **kwargs,
    )
    # Writers wait for the lock in short slices, so that a long wait (another process
    # stopped with ctrl+z while it holds the lock) is waited out and said, not failed.
    _configure_sqlite(engine, immediate=True, busy_timeout_ms=SQLITE_LOCK_SLICE_MS)
    return engine


def _configure_sqlite(engine: Engine, *, immediate: bool, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (the drivers' legacy mode would skip it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)


async def _to_the_end(call: Callable[[], T]) -> T:
    """``call()`` in a worker thread. A cancellation of the caller waits for it to return,
    then goes on: a transaction never runs on behind its caller, holding the lock while this
    process's next writer or :meth:`Database.dispose` goes ahead, its outcome unknown."""
    running = asyncio.ensure_future(anyio.to_thread.run_sync(call))
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        while not running.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait([running])
        if not running.cancelled():
            running.exception()  # retrieved: the caller gets its cancellation, not this
        raise


class Database:
    """The product's database: its engines and transactions.

    ``await db.run_write(body)`` runs ``body(session)`` as one short write transaction
    (committed when it returns, rolled back when it raises) and returns its result;
    ``db.read()`` is an async read transaction. Never make a platform call inside either.
    ``engine`` (async) serves migrations and tests that need a raw connection.
    """

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise DatabaseURLError(f"{url!r} is not a database URL") from None
        self.url = url
        self.dialect = parsed.get_backend_name()
        #: The SQLite file (None: PostgreSQL, or SQLite in memory or through a ``file:`` URI).
        self.sqlite_file = _sqlite_file(parsed)
        self._sqlite_sessions: sessionmaker[Session] | None = None
        if self.dialect == "sqlite":
            if self.sqlite_file is not None:
                _prepare_sqlite_file(self.sqlite_file)
            self.engine = _sqlite_engine(
                url, immediate=True, echo=echo, busy_timeout_ms=SQLITE_LOCK_SLICE_MS
            )
            self.read_engine = _sqlite_engine(url, immediate=False, echo=echo)
            self._sqlite_writer = _sqlite_writer(url, echo=echo)
            self._sqlite_sessions = sessionmaker(self._sqlite_writer, expire_on_commit=False)
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

    async def run_write(
        self, body: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``body(session, *args, **kwargs)`` as one write transaction; its result.

        SQLite: ``BEGIN IMMEDIATE`` … ``COMMIT`` in a worker thread, one at a time in this
        process; cancelling the caller waits for the transaction to end (committed or
        rolled back), so its outcome is never half-known. PostgreSQL: on this loop, through
        ``AsyncSession.run_sync``.
        """
        if self._sqlite_sessions is None:
            async with self._write_sessions() as session, session.begin():
                return await session.run_sync(body, *args, **kwargs)
        loop = asyncio.get_running_loop()
        lock = self._write_locks.get(loop)
        if lock is None:
            lock = self._write_locks[loop] = asyncio.Lock()
        started: float | None = None
        async with lock:
            while True:
                outcome = await _to_the_end(
                    functools.partial(self._sqlite_transaction, body, *args, **kwargs)
                )
                if not isinstance(outcome, _Busy):
                    if started is not None:
                        self.on_lock_wait(self.url, time.monotonic() - started, True)
                    return outcome
                # Each BEGIN IMMEDIATE waited one slice in SQLite's busy handler (in the
                # thread); between slices the wait is reported here, on the caller's loop.
                if started is None:
                    started = time.monotonic() - SQLITE_LOCK_SLICE_MS / 1000
                self.on_lock_wait(self.url, time.monotonic() - started, False)

    def _sqlite_transaction(
        self, body: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T | _Busy:
        """One SQLite write transaction, in the calling (worker) thread."""
        assert self._sqlite_sessions is not None
        with self._sqlite_sessions() as session:
            try:
                session.connection()  # autobegin: the "begin" hook sends BEGIN IMMEDIATE
            except OperationalError as exc:
                if _is_busy(exc):
                    return _BUSY
                raise
            try:
                result = body(session, *args, **kwargs)
                session.commit()
            except BaseException:
                session.rollback()
                raise
            return result

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction that never blocks writers."""
        async with self._read_sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._sqlite_sessions is not None:
            self._sqlite_writer.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()

    def __repr__(self) -> str:
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"
