"""Roles on every backend, the audit trail's two facts, worker heartbeats, private files."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from benefits_tui.cli.main import cli
from benefits_tui.cli.simulator_cmd import _read_token
from benefits_tui.config import Role
from benefits_tui.domain.states import Action, SyncState
from benefits_tui.services.clock import ManualClock
from benefits_tui.services.errors import PermissionDenied
from benefits_tui.services.permissions import PERMISSIONS, Permission, allowed, refusal
from benefits_tui.services.queries import count_by_state, employee_detail
from benefits_tui.services.sync import heartbeat
from benefits_tui.services.sync.requests import Selection, request_sync
from benefits_tui.services.sync.worker import SyncWorker
from tests.helpers import NO_PLATFORM, Simulator, add_people, drain, press, services

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_the_permissions_table_says_who_may_do_what() -> None:
    assert allowed(Role.HR, Permission.SYNC) and not allowed(Role.READ_ONLY, Permission.SYNC)
    assert not allowed(Role.WORKER, Permission.SYNC)  # a worker sends; it does not request
    assert allowed(Role.WORKER, Permission.SEND) and not allowed(Role.HR, Permission.SEND)
    assert allowed(Role.HR, Permission.SEND, embedded=True)  # SQLite: the app is its worker
    assert all(allowed(Role.ADMIN, permission) for permission in PERMISSIONS)
    assert refusal("ann", Role.HR, Permission.MANAGE_USERS) == (
        "ann is an HR user and cannot manage users"
    )
    assert refusal("ann", Role.ADMIN, Permission.MANAGE_USERS) is None
    # `users add --role` offers exactly the table's roles (spelled there without importing it).
    from benefits_tui.cli.users_cmd import ROLE_CHOICES
    from benefits_tui.services.permissions import ROLE_SLUGS

    assert list(ROLE_CHOICES.choices) == list(ROLE_SLUGS) and set(ROLE_SLUGS.values()) == set(Role)


async def test_a_read_only_user_cannot_request_a_sync(database_url: str) -> None:
    """The mutation audit's gap: the service itself refuses (not only the screen's key)."""
    async with services(database_url, Simulator()) as context:
        ids = await add_people(context, 2)
        context.role = Role.READ_ONLY
        with pytest.raises(PermissionDenied, match="read-only user and cannot sync"):
            await request_sync(context, Selection.of(ids))
        assert (await count_by_state(context))[SyncState.IN_PROGRESS] == 0


def test_benefits_tui_sync_as_a_read_only_user_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "benefits.toml"
    config.write_text('[roles]\nviewer = "read_only"\n', encoding="utf-8")
    env = {
        "BENEFITS_TUI_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}",
        "BENEFITS_TUI_CONFIG": str(config),
        "BENEFITS_API_URL": NO_PLATFORM,
        "BENEFITS_TUI_USER": "hr.person",
    }
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    assert runner.invoke(cli, ["db", "seed", "--employees", "3"], env=env).exit_code == 0
    result = runner.invoke(
        cli, ["sync", "--all", "--yes"], env={**env, "BENEFITS_TUI_USER": "viewer"}
    )
    assert result.exit_code == 1
    assert "viewer is a read-only user and cannot sync employees to Benefits" in result.output
    status = runner.invoke(cli, ["status", "--json"], env=env)
    assert json.loads(status.output)["in_progress"] == 0


async def test_the_workers_steps_name_who_asked_for_the_sync(sqlite_url: str) -> None:
    """The mutation audit's second gap: engine events name the requester, and the writer."""
    sim = Simulator()
    async with services(sqlite_url, sim, user="alice") as alice:
        ids = await add_people(alice, 2)
        await request_sync(alice, Selection.of(ids))
    async with services(sqlite_url, sim, user="robot") as robot:
        await drain(SyncWorker(robot), 60)
        detail = await employee_detail(robot, ids[0])
    assert detail.state is SyncState.SUCCESSFUL
    hr_actions = (Action.REQUESTED, Action.EMPLOYEE_ADDED)
    steps = [e for e in detail.history if e.action not in hr_actions]
    assert steps and all((e.actor, e.requested_by) == ("robot", "alice") for e in steps)
    assert steps[0].who == "robot for alice"
    requested = [e for e in detail.history if e.action is Action.REQUESTED]
    assert [(e.actor, e.who) for e in requested] == [("alice", "alice")]


async def test_a_worker_heartbeat_says_it_is_alive_until_it_stops(database_url: str) -> None:
    clock = ManualClock(START)
    async with services(database_url, clock=clock) as context:
        assert not (await heartbeat.worker_life(context)).alive
        await heartbeat.beat(context, "host:1:abc", START)
        life = await heartbeat.worker_life(context)
        assert life.alive and life.login == context.actor
        assert life.describe(clock.now()) == f"worker {context.actor} alive"
        clock.advance(heartbeat.ALIVE_WITHIN.total_seconds() + 1)
        life = await heartbeat.worker_life(context)
        assert not life.alive and "last seen 1 min ago" in life.describe(clock.now())
        await heartbeat.stop_beating(context, "host:1:abc")
        assert (await heartbeat.worker_life(context)).seen_at is None


def test_export_to_a_file_is_private_to_its_owner(tmp_path: Path) -> None:
    env = {"BENEFITS_TUI_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}"}
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    assert runner.invoke(cli, ["db", "seed", "--employees", "3"], env=env).exit_code == 0
    target = tmp_path / "out.csv"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o644)  # a file already there, readable by everyone: replaced, not kept so
    previous = os.umask(0o022)
    try:
        result = runner.invoke(cli, ["export", str(target)], env=env)
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text(encoding="utf-8").startswith("employee_number,")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []
    stdout = runner.invoke(cli, ["export", "-"], env=env)
    assert stdout.output == target.read_text(encoding="utf-8")  # stdout unchanged
    missing = runner.invoke(cli, ["export", str(tmp_path / "no" / "such.csv")], env=env)
    assert missing.exit_code != 0 and "cannot write" in missing.output
    assert "DATABASE_URL" not in missing.output


def test_the_simulator_reads_its_token_from_a_private_file(tmp_path: Path) -> None:
    import click

    token_file = tmp_path / "token"
    token_file.write_text("sk_from_file\n", encoding="utf-8")
    token_file.chmod(0o600)
    assert _read_token(None, token_file) == "sk_from_file"
    assert _read_token("sk_from_env", None) == "sk_from_env"
    token_file.chmod(0o644)
    with pytest.raises(click.UsageError, match="chmod 600"):
        _read_token(None, token_file)
    with pytest.raises(click.UsageError, match="--token-file"):
        _read_token(None, None)


async def test_the_app_without_a_token_queues_and_shows_whether_a_worker_is_alive(
    sqlite_url: str,
) -> None:
    """HR needs no token (RULES §1.10): the app queues, says a worker sends them, and the
    status line follows the workers' heartbeat."""
    from benefits_tui.app.app import BenefitsApp
    from benefits_tui.app.screens.confirm_sync import ConfirmSync
    from benefits_tui.services.context import open_context
    from tests.conftest import make_settings
    from tests.helpers import piloted, screen_text

    settings = make_settings(sqlite_url, api_token=None)
    async with open_context(settings, clock=ManualClock(START)) as context:
        assert not context.has_platform and context.role is Role.HR
        await add_people(context, 2)
        app = BenefitsApp(services=context, poll_seconds=None)
        async with piloted(app) as pilot:
            assert "Sent by a worker: no worker running yet" in screen_text(app)
            await press(pilot, "s")
            assert isinstance(app.screen, ConfirmSync)
            await press(pilot, "enter")
            messages = [str(n.message) for n in app._notifications]
            assert any(m.startswith("Queued: a worker sends them") for m in messages), messages
            assert (await count_by_state(context))[SyncState.IN_PROGRESS] == 1
            await heartbeat.beat(context, "elsewhere:1:x", START)
            await app._check_workers()
            assert app.worker_status == f"Sent by a worker: worker {context.actor} alive"


async def test_sync_without_the_token_waits_for_a_live_worker(sqlite_url: str) -> None:
    """With a worker alive (its heartbeat), `sync` queues and follows the outcome it sends."""
    import anyio
    import anyio.to_thread

    sim = Simulator()
    async with services(sqlite_url, sim, user="robot") as robot:
        await add_people(robot, 3)
        stop = anyio.Event()
        env = {"BENEFITS_TUI_DATABASE_URL": sqlite_url, "BENEFITS_TUI_USER": "alice"}

        def run_sync() -> tuple[int, str]:
            result = CliRunner().invoke(cli, ["sync", "--all", "--yes"], env=env)
            return result.exit_code, result.output

        async with anyio.create_task_group() as group:
            group.start_soon(lambda: SyncWorker(robot).run(stop=stop, poll_seconds=0.05))
            with anyio.fail_after(60):
                while not (await heartbeat.worker_life(robot)).alive:
                    await anyio.sleep(0.02)
                code, output = await anyio.to_thread.run_sync(run_sync)
                status = await anyio.to_thread.run_sync(
                    lambda: CliRunner().invoke(cli, ["status", "--json"], env=env).output
                )
            stop.set()
    assert json.loads(status)["worker"]["alive"] is True
    assert json.loads(status)["worker"]["login"] == "robot"
    assert code == 0, output
    assert "a worker sends them (worker robot alive)" in output
    assert "Successful: 3" in output
