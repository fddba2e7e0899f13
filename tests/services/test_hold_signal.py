"""The hold file beside a SQLite database (RULES §1.13): later ends win, clear ends it, and
anything unreadable in it counts as no hold (the database row still decides)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from benefits_tui.db import Database
from benefits_tui.services.hold_signal import HoldSignal

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def test_a_later_hold_wins_and_an_earlier_one_never_shortens_it(tmp_path: Path) -> None:
    signal, other = HoldSignal(tmp_path / "hr.db-hold"), HoldSignal(tmp_path / "hr.db-hold")
    assert signal.read() is None  # no file yet
    signal.publish(NOW + dt.timedelta(seconds=30))
    other.publish(NOW + dt.timedelta(seconds=5))  # another process's shorter 429
    assert other.read() == NOW + dt.timedelta(seconds=30)
    other.publish(NOW + dt.timedelta(minutes=2))
    assert signal.read() == NOW + dt.timedelta(minutes=2)
    signal.clear()
    assert other.read() is None
    assert (tmp_path / "hr.db-hold").stat().st_mode & 0o777 == 0o600


def test_a_foreign_or_torn_file_reads_as_no_hold(tmp_path: Path) -> None:
    path = tmp_path / "hr.db-hold"
    path.write_bytes(b"\x1b]52;c;AAAA\x07 9999-12-31")
    signal = HoldSignal(path)
    assert signal.read() is None
    signal.publish(NOW)  # and it is overwritten by the next hold
    assert signal.read() == NOW


def test_only_a_sqlite_file_database_has_a_hold_file(tmp_path: Path) -> None:
    on_file = HoldSignal.for_database(Database(f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}"))
    assert on_file.path == tmp_path / "hr.db-hold"
    for url in ("sqlite+aiosqlite:///:memory:", "postgresql+asyncpg://u@127.0.0.1/x"):
        signal = HoldSignal.for_database(Database(url))
        assert signal.path is None
        signal.publish(NOW)  # nothing to do, nothing raised
        assert signal.read() is None
