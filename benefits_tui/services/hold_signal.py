"""A 429's hold, seen by every process on this host at once (SQLite; RULES §1.13).

The shared hold lives in the ``throttle`` row (status, ``hold --clear``), but on SQLite a write
to that row waits for the database's write lock, which a busy process may hold for a while;
meanwhile the other processes would keep sending inside the platform's Retry-After window.
With SQLite every process runs on the one host that has the file, so the hold is also written
to a small file beside the database (``<database>-hold``, like SQLite's own ``-wal``): in place,
under an exclusive ``flock`` (a later end never gives way to an earlier one), and read without
a lock before every request. A write there takes microseconds and waits for nobody.

PostgreSQL deployments span hosts, so there the row carries the hold, announced at once with
NOTIFY (:mod:`~benefits_tui.services.hold_channel`).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benefits_tui.db import Database

log = logging.getLogger(__name__)

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width, so that a rewrite in place is one pwrite
_WIDTH = len(dt.datetime(2000, 1, 1).strftime(_FORMAT))
_NONE = b" " * _WIDTH  # no hold


class HoldSignal:
    """The hold file of one SQLite database (a no-op without one: PostgreSQL, ``:memory:``)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    @classmethod
    def for_database(cls, db: Database) -> HoldSignal:
        return cls(None) if db.sqlite_file is None else cls.beside(db.sqlite_file)

    @classmethod
    def beside(cls, database: Path) -> HoldSignal:
        """The hold file of the SQLite file ``database``."""
        path = database.expanduser()
        return cls(path.with_name(path.name + "-hold"))

    def read(self) -> dt.datetime | None:
        """The end of the hold the file holds (None: none, no file, or unreadable)."""
        if self.path is None:
            return None
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return None
        try:
            return _parse(os.pread(fd, _WIDTH, 0))
        except OSError:
            return None
        finally:
            os.close(fd)

    def publish(self, until: dt.datetime) -> None:
        """Hold every process on this host until ``until`` (a later hold already there stays)."""
        self._rewrite(until, only_if_later=True)

    def clear(self) -> None:
        """End the hold (an admin's ``hold --clear``)."""
        self._rewrite(None, only_if_later=False)

    def _rewrite(self, until: dt.datetime | None, *, only_if_later: bool) -> None:
        if self.path is None:
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:  # the row still carries the hold; only slower
            log.warning("cannot write the hold file %s: %s", self.path, exc.strerror)
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            current = _parse(os.pread(fd, _WIDTH, 0))
            if until is not None and only_if_later and current is not None and current >= until:
                return
            text = _NONE if until is None else until.astimezone(dt.UTC).strftime(_FORMAT).encode()
            os.pwrite(fd, text, 0)
        except OSError as exc:
            log.warning("cannot write the hold file %s: %s", self.path, exc.strerror)
        finally:
            os.close(fd)  # closing releases the flock


def _parse(raw: bytes) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(raw.decode("ascii"), _FORMAT).replace(tzinfo=dt.UTC)
    except (UnicodeDecodeError, ValueError):
        return None  # no hold, or a torn/foreign file: the database row still decides
