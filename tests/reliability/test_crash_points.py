"""RULES §1.12 under a killed process: a real `benefits-tui worker --once` SIGKILLs itself at
each crash point, against a simulator on a real socket; another worker then resumes the
work. No duplicate account, no lost sync, preloaded accounts linked, and an outcome in the
history for every attempt — on SQLite and on PostgreSQL."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from benefits_tui.db.models import SyncRecord
from benefits_tui.domain.states import SyncState
from benefits_tui.platform.contract import normalise_email
from benefits_tui.services.sync.requests import Selection, request_sync
from tests.helpers import add_people, person, run_cli
from tests.reliability.common import (
    check_outcome,
    cli_env,
    open_services,
    sim_get,
    start_simulator,
    write_preload,
)

pytestmark = pytest.mark.slow

EMPLOYEES = 8
PRELOADED = (1, 2)  # these employees' emails already have a Benefits account


@pytest.mark.parametrize(
    "point",
    ["after_claim", "after_create_sent", "after_accepted", "before_success"],
)
async def test_killed_worker_is_resumed_without_duplicates(
    point: str, database_url: str, tmp_path: Path
) -> None:
    preloaded = {normalise_email(person(n)["email"]): f"acc_pre_{n}" for n in PRELOADED}
    csv_path = write_preload(
        tmp_path / "preload.csv",
        # Different case: the look-up is case-insensitive (RULES §1.4).
        [(f"acc_pre_{n}", person(n)["email"].upper(), f"Pre{n}") for n in PRELOADED],
    )
    options = {"async_ratio": 1.0, "job_delay_ms": 200} if point == "after_accepted" else {}
    server = start_simulator(preload=csv_path, seed=7, **options)
    try:
        async with open_services(database_url, server.url) as context:
            ids = await add_people(context, EMPLOYEES)
            result = await request_sync(context, Selection.of(ids))
            assert result.queued == EMPLOYEES

            env = cli_env(
                tmp_path,
                database_url,
                server.url,
                user="crash.tester",
                lease_seconds=2,
                backoff_base_seconds=0.05,
                backoff_max_seconds=0.2,
                job_poll_seconds=0.1,
                request_timeout=5,
            )
            crash = run_cli(
                ["worker", "--once"],
                dict(env, BENEFITS_TUI_CRASH_AT=point, BENEFITS_TUI_CRASH_AFTER="2"),
                timeout=60,
            )
            assert crash.returncode == -signal.SIGKILL, (
                f"the worker did not die at {point}: exit {crash.returncode}\n{crash.stderr}"
            )
            async with context.db.read() as session:
                left = (
                    await session.scalars(
                        select(SyncRecord).where(SyncRecord.state == SyncState.IN_PROGRESS.value)
                    )
                ).all()
            assert left, "the crash left nothing to resume: the test proves nothing"
            assert any(r.lease_owner for r in left), "the dead worker held no lease"

            started = time.monotonic()
            drain = run_cli(["worker", "--once"], env, timeout=60)
            took = time.monotonic() - started
            assert drain.returncode == 0, drain.stderr
            assert "database is locked" not in drain.stderr + crash.stderr
            # The dead worker's leases are taken over at once, not after they expire.
            outcome = await check_outcome(context, server.url, ids, preloaded=preloaded)
            stats = sim_get(server.url, "/_sim/stats")
            print(
                f"\n[{point}] left in progress by the crash: {len(left)}, drain {took:.1f}s, "
                f"states {dict(outcome.states)}, accounts {stats['accounts']}, "
                f"requests {stats['requests_by_status']}"
            )
            outcome.assert_ok()
            assert outcome.states[SyncState.SUCCESSFUL.value] == EMPLOYEES
            assert stats["duplicate_emails"] == 0
            assert stats["accounts"] == EMPLOYEES  # 2 preloaded + 6 created, nothing twice
            for n, employee_id in zip(range(1, EMPLOYEES + 1), ids, strict=True):
                if n in PRELOADED:
                    assert outcome.account_ids[employee_id] == f"acc_pre_{n}"
    finally:
        server.stop()
