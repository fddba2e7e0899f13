"""`status` on a SQLite file reads it with the standard library (RULES §5): the same answer as
the services give, and the services' path whenever the quick one is not sure."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import insert, text, update

from benefits_tui.config import load_settings
from benefits_tui.config_quick import QuickSettings, quick_settings
from benefits_tui.db.models import Employee, Reconciliation, SyncRecord, Throttle, WorkerHeartbeat
from benefits_tui.domain.states import SyncState
from benefits_tui.services.hold_signal import HoldSignal
from benefits_tui.services.status import StatusReport, quick_status, read_status
from tests.helpers import add_people, configured, services


async def _varied(url: str) -> StatusReport:
    """Every case the report tells apart, written through the ORM (as the product stores it);
    returns the services' report."""
    now = dt.datetime.now(dt.UTC)
    async with services(url) as context:
        ids = await add_people(context, 8)
        left = now.date() - dt.timedelta(days=3)
        cases: dict[int, tuple[dict[str, object], dict[str, object]]] = {
            ids[0]: ({"leave_date": left}, {}),  # left, nothing open: not current
            ids[1]: ({"leave_date": left}, {"state": "failed", "reason": "no email"}),
            ids[2]: ({}, {"state": "in_progress", "requested_at": now - dt.timedelta(hours=1)}),
            ids[3]: ({}, {"state": "in_progress", "requested_at": now}),
            ids[4]: ({}, {"state": "successful"}),
            ids[5]: ({"leave_date": now.date() + dt.timedelta(days=3)}, {}),  # leaves later
            ids[6]: ({"leave_date": left}, {"state": "successful"}),  # left: not current
        }
        async with context.db.engine.begin() as connection:
            for employee_id, (hr, record) in cases.items():
                if hr:
                    await connection.execute(
                        update(Employee).where(Employee.id == employee_id).values(**hr)
                    )
                if record:
                    await connection.execute(
                        update(SyncRecord)
                        .where(SyncRecord.employee_id == employee_id)
                        .values(**record)
                    )
            await connection.execute(text("DELETE FROM throttle"))
            await connection.execute(
                insert(Throttle).values(
                    key="platform",
                    blocked_until=now + dt.timedelta(minutes=5),
                    blocked_since=now - dt.timedelta(minutes=1),
                    trouble_since=now - dt.timedelta(minutes=2),
                    trouble="HTTP 503",
                    updated_at=now,
                )
            )
            run = {"actor": "hr", "started_at": now - dt.timedelta(hours=2)}
            await connection.execute(
                insert(Reconciliation).values(
                    status="finished",
                    finished_at=now - dt.timedelta(hours=1),
                    checked_employees=8,
                    platform_accounts=7,
                    platform_calls=3,
                    counts={"field_drift": 2, "orphan": 1, "a_kind_from_the_future": 9},
                    **run,
                )
            )
            await connection.execute(
                insert(Reconciliation).values(
                    status="failed", finished_at=now, error="platform unreachable", **run
                )
            )
            await connection.execute(
                insert(WorkerHeartbeat).values(
                    owner="host:1:x", login="svc.worker", started_at=now, seen_at=now
                )
            )
        # The hold file (SQLite) runs ahead of the row: both readers take the later end.
        HoldSignal.for_database(context.db).publish(now + dt.timedelta(minutes=10))
        return await read_status(context)


async def test_the_quick_report_is_the_services_report(sqlite_url: str) -> None:
    full = await _varied(sqlite_url)
    quick = quick_status(QuickSettings(sqlite_url, 15.0))
    assert quick is not None
    assert dataclasses.replace(quick, now=full.now) == full
    # The cases above, so that an empty report could not pass.
    assert full.counts == {
        SyncState.NOT_SYNCING: 2,
        SyncState.IN_PROGRESS: 2,
        SyncState.SUCCESSFUL: 1,
        SyncState.FAILED: 1,
    }
    assert full.stuck == 1 and full.life.alive
    assert full.hold.blocked_until is not None
    assert full.hold.blocked_until - full.now > dt.timedelta(minutes=9)  # the file's
    assert full.last.summary is not None and full.last.summary.total == 3
    assert full.last.error == "platform unreachable"


async def test_the_quick_path_leaves_what_it_is_not_sure_of_to_the_services(
    sqlite_url: str, tmp_path: Path
) -> None:
    assert quick_status(QuickSettings(sqlite_url, 15.0)) is None  # no schema yet
    async with services(sqlite_url) as context:  # creates it
        await add_people(context, 1)
        async with context.db.engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    assert quick_status(QuickSettings(sqlite_url, 15.0)) is None  # behind: to be upgraded
    for url in (
        f"sqlite+aiosqlite:///{tmp_path / 'missing.db'}",
        "postgresql+asyncpg://nobody@127.0.0.1:1/none",
        f"sqlite+aiosqlite:///file:{tmp_path / 'hr.db'}?mode=ro&uri=true",
    ):
        assert quick_status(QuickSettings(url, 15.0)) is None, url


@pytest.mark.parametrize(
    ("env", "toml", "flags"),
    [
        ({}, "", {}),
        ({"BENEFITS_TUI_DATABASE_URL": "sqlite:///env.db"}, "", {}),
        ({}, 'database_url = "sqlite:///file.db"\n[sync]\nstuck_after_minutes = 4\n', {}),
        (
            {"BENEFITS_TUI_DATABASE_URL": "sqlite:///env.db"},
            'database_url = "sqlite:///file.db"\n',
            {"database_url": "postgres://u@h/db"},
        ),
        (
            {"BENEFITS_TUI_SYNC_STUCK_AFTER_MINUTES": "30", "BENEFITS_TUI_USER": ""},
            "[sync]\nstuck_after_minutes = 4.5\nmax_hold_seconds = 60\n",
            {},
        ),
        ({"BENEFITS_TUI_SYNC_MAX_HOLD_SECONDS": "120"}, "[sync]\nmax_hold_seconds = 60\n", {}),
        ({"benefits_tui_database_url": "sqlite:///lower.db"}, "", {}),
    ],
)
def test_quick_settings_are_the_full_loaders(
    env: dict[str, str],
    toml: str,
    flags: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configured(monkeypatch, tmp_path, env, toml)
    quick = quick_settings({"api_url": None, "user": None, **flags})
    full = load_settings(**flags)
    assert quick == QuickSettings(
        full.database_url, full.sync.stuck_after_minutes, full.sync.max_hold_seconds
    )


@pytest.mark.parametrize(
    ("env", "toml"),
    [
        ({"BENEFITS_TUI_DATABASE_URL": "mysql://x"}, ""),
        ({"BENEFITS_TUI_SYNC_STUCK_AFTER_MINUTES": "-1"}, ""),
        ({"BENEFITS_TUI_SYNC_STUCK_AFTER_MINUTES": "lots"}, ""),
        ({}, "[sync]\nstuck_after_minutes = true\n"),
        ({}, "not toml ["),
        ({"BENEFITS_TUI_CONFIG": "/nonexistent/benefits.toml"}, ""),
        ({}, 'api_token = "sk_secret"\n'),  # a token in a file others may read
    ],
)
def test_quick_settings_leave_doubtful_values_to_the_full_loader(
    env: dict[str, str], toml: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configured(monkeypatch, tmp_path, env, toml, mode=0o644)
    assert quick_settings({}) is None


def test_the_quick_defaults_are_the_settings_defaults() -> None:
    from benefits_tui.config import SyncSettings
    from benefits_tui.config_quick import DEFAULT_MAX_HOLD_SECONDS, DEFAULT_STUCK_AFTER_MINUTES

    assert SyncSettings().stuck_after_minutes == DEFAULT_STUCK_AFTER_MINUTES
    assert SyncSettings().max_hold_seconds == DEFAULT_MAX_HOLD_SECONDS
