"""What ``benefits-tui status`` reports: the tabs' counts, stuck records, the platform's hold,
the last reconciliation and whether a worker is alive.

Two ways to read it, one answer: :func:`read_status` through the services (any database), and
:func:`quick_status`, which reads a SQLite file with the standard library alone, so that
scripts and cron get the counts in a fraction of the time SQLAlchemy and pydantic take to
import (RULES §5). The quick path runs the same queries in plain SQL and builds the same
objects with the same functions; ``tests/cli/test_quick_status.py`` holds the two equal.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from benefits_tui.db import quick
from benefits_tui.domain.states import OPEN_WORK, SyncState
from benefits_tui.services.hold_signal import HoldSignal
from benefits_tui.services.platform_hold import KEY as HOLD_KEY
from benefits_tui.services.platform_hold import PlatformHold, hold_from
from benefits_tui.services.reconcile.summary import LastReconciliation, run_summary
from benefits_tui.services.sync.liveness import WorkerLife, life_from

if TYPE_CHECKING:
    from benefits_tui.config_quick import QuickSettings
    from benefits_tui.services.context import ServiceContext


@dataclass(frozen=True)
class StatusReport:
    counts: dict[SyncState, int]
    stuck: int
    hold: PlatformHold
    last: LastReconciliation
    life: WorkerLife
    now: dt.datetime
    stuck_after_minutes: float


async def read_status(context: ServiceContext) -> StatusReport:
    """The report through the services."""
    from benefits_tui.services.platform_hold import read_hold
    from benefits_tui.services.queries import count_by_state, stuck_count
    from benefits_tui.services.reconcile.store import last_reconciliation
    from benefits_tui.services.sync.heartbeat import worker_life

    return StatusReport(
        counts=await count_by_state(context),
        stuck=await stuck_count(context),
        hold=await read_hold(context),
        last=await last_reconciliation(context),
        life=await worker_life(context),  # does a worker send the queued syncs? (RULES §1.10)
        now=context.clock.now(),
        stuck_after_minutes=context.settings.sync.stuck_after_minutes,
    )


def quick_status(settings: QuickSettings) -> StatusReport | None:
    """The report read with the standard library, or None when the services must answer (not
    a SQLite file at this program's schema, or the file could not be read)."""
    path = quick.sqlite_path(settings.database_url)
    connection = quick.open_for_reading(settings.database_url)
    if connection is None or path is None:
        return None
    try:
        with connection:
            connection.execute("BEGIN")  # one snapshot for every count
            return _read(connection, path, settings, dt.datetime.now(dt.UTC))
    except sqlite3.Error:
        return None
    finally:
        connection.close()


# The SQL twins of services.queries.count_by_state (current employees, RULES §1.1: all less
# those who have left with no sync work open) and
# stuck_count (RULES §1.11), platform_hold.read_hold, heartbeat.worker_life and
# reconcile.store.last_reconciliation.
_TOTALS = "SELECT state, count(*) FROM sync_records GROUP BY state"
_GONE = """
SELECT state, count(*) FROM sync_records
WHERE employee_id IN (SELECT id FROM employees WHERE leave_date < ?) AND state NOT IN (?, ?)
GROUP BY state
"""
_STUCK = "SELECT count(*) FROM sync_records WHERE state = ? AND requested_at < ?"
_HOLD = "SELECT blocked_until, blocked_since, trouble_since, trouble FROM throttle WHERE key = ?"
_LIFE = "SELECT login, seen_at FROM worker_heartbeats ORDER BY seen_at DESC LIMIT 1"
_FINISHED = """
SELECT id, actor, started_at, finished_at, checked_employees, platform_accounts,
       platform_calls, counts
FROM reconciliations WHERE status = 'finished' ORDER BY id DESC LIMIT 1
"""
_FAILED = """
SELECT finished_at, error FROM reconciliations WHERE status = 'failed' AND id > ?
ORDER BY id DESC LIMIT 1
"""


def _read(
    db: sqlite3.Connection, path: Path, settings: QuickSettings, now: dt.datetime
) -> StatusReport:
    utc = quick.utc_from
    today = now.date().isoformat()
    totals = dict(db.execute(_TOTALS).fetchall())
    gone = dict(db.execute(_GONE, (today, *OPEN_WORK)).fetchall())
    threshold = now - dt.timedelta(minutes=settings.stuck_after_minutes)
    (stuck,) = db.execute(
        _STUCK, (SyncState.IN_PROGRESS.value, quick.utc_text(threshold))
    ).fetchone()
    row = db.execute(_HOLD, (HOLD_KEY,)).fetchone()
    stored = (utc(row[0]), utc(row[1]), utc(row[2]), row[3]) if row else None
    signalled = HoldSignal.beside(path).read()  # ahead of the row while it waits for the lock
    hold = hold_from(stored, signalled, now, settings.max_hold_seconds)
    beat = db.execute(_LIFE).fetchone()
    life = life_from(beat[0], utc(beat[1]), now) if beat else WorkerLife(False)
    run = db.execute(_FINISHED).fetchone()
    summary = None
    if run is not None:
        finished_at = utc(run[3])
        assert finished_at is not None  # a finished run has its end
        counts = json.loads(run[7]) if run[7] else None
        run_id, actor, started_at, _, checked, accounts, calls, _ = run
        started = utc(started_at) or finished_at
        summary = run_summary(run_id, actor, started, finished_at, checked, accounts, calls, counts)
    failed = db.execute(_FAILED, (run[0] if run else 0,)).fetchone()
    last = LastReconciliation(
        summary=summary,
        failed_at=utc(failed[0]) if failed else None,
        error=failed[1] if failed else None,
    )
    return StatusReport(
        counts={
            state: totals.get(state.value, 0) - gone.get(state.value, 0) for state in SyncState
        },
        stuck=int(stuck),
        hold=hold,
        last=last,
        life=life,
        now=now,
        stuck_after_minutes=settings.stuck_after_minutes,
    )
