"""Access that holds on PostgreSQL (RULES §1.10): the database decides who a user is and what
they may do — proven through the CLI, the services, the app and raw SQL as each login.

The logins are cluster-wide, so they get a random suffix and are dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from benefits_tui.cli.main import cli
from benefits_tui.config import ConfigError, Role, load_settings
from benefits_tui.db import Database
from benefits_tui.db.migrate import upgrade
from benefits_tui.domain.errors import one_line
from benefits_tui.domain.states import Action, SyncState
from benefits_tui.services.context import open_context
from benefits_tui.services.csv_import import import_csv
from benefits_tui.services.employees import assign_level, record_leaver, update_employee
from benefits_tui.services.errors import PermissionDenied
from benefits_tui.services.queries import employee_detail
from benefits_tui.services.sync.requests import Selection, request_sync
from benefits_tui.services.sync.worker import SyncWorker
from tests.conftest import TEST_TOKEN, pg_url, reset_postgres
from tests.helpers import Simulator, add_people, drain, press

pytestmark = pytest.mark.skipif(pg_url() is None, reason="needs BENEFITS_TUI_TEST_PG_URL")


@dataclass(frozen=True)
class Logins:
    """The test's logins (each holding one role) and the URL to connect as each."""

    admin_url: str
    suffix: str

    def name(self, role: str) -> str:
        return f"bt_{role}_{self.suffix}"

    def url(self, role: str) -> str:
        return make_url(self.admin_url).set(username=self.name(role)).render_as_string(False)

    def dsn(self, role: str) -> str:
        return self.url(role).replace("postgresql+asyncpg://", "postgresql://")


ROLES = ("readonly", "hr", "worker", "admin")
SLUG = {"readonly": "read-only", "hr": "hr", "worker": "worker", "admin": "admin"}


def cli_run(url: str, *args: str, **env: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"BENEFITS_TUI_DATABASE_URL": url, **env})
    return result.exit_code, result.output


async def _drop_logins(admin_url: str, names: list[str]) -> None:
    connection = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for name in names:
            await connection.execute(f'DROP ROLE IF EXISTS "{name}"')
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def module_logins() -> Iterator[Logins]:
    """A fresh schema (migrated by the owner) and one login per role, made by `users add`,
    once for the module (creating logins is the slow part)."""
    import asyncio

    url = pg_url()
    assert url is not None

    async def prepare() -> None:
        await reset_postgres(url)
        database = Database(url)
        await upgrade(database)
        await database.dispose()

    asyncio.run(prepare())
    made = Logins(url, secrets.token_hex(4))
    try:
        for role in ROLES:
            code, output = cli_run(url, "users", "add", made.name(role), "--role", SLUG[role])
            assert code == 0, output
        yield made
    finally:
        asyncio.run(_drop_logins(url, [made.name(role) for role in (*ROLES, "spare")]))


@pytest.fixture
async def logins(module_logins: Logins) -> Logins:
    """The module's logins over empty tables."""
    connection = await asyncpg.connect(module_logins.admin_url.replace("+asyncpg", ""))
    try:
        await connection.execute(
            "TRUNCATE employees, sync_records, sync_events, worker_heartbeats, throttle,"
            " benefit_levels, platform_cache RESTART IDENTITY CASCADE"
        )
    finally:
        await connection.close()
    return module_logins


async def _in_thread(func: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a blocking CLI call (it runs its own event loop) off the test's loop."""
    import anyio.to_thread

    return await anyio.to_thread.run_sync(lambda: func(*args, **kwargs))


def _settings(url: str, *, token: bool = True, **overrides: Any) -> Any:
    values: dict[str, Any] = {"database_url": url, "api_url": "http://benefits.test"}
    if token:
        values["api_token"] = TEST_TOKEN
    values.update(overrides)
    return load_settings(**values)


async def test_users_add_list_remove_through_the_cli(logins: Logins) -> None:
    url = logins.admin_url
    code, output = await _in_thread(cli_run, url, "users", "list", "--json")
    assert code == 0, output
    listed = {entry["login"]: entry["role"] for entry in json.loads(output)}
    for role in ROLES:
        assert listed[logins.name(role)] == SLUG[role]
    spare = logins.name("spare")
    code, output = await _in_thread(cli_run, url, "users", "add", spare, "--role", "hr")
    assert code == 0 and "login created with the HR role" in output, output
    # One role per login: adding again replaces it.
    code, output = await _in_thread(cli_run, url, "users", "add", spare, "--role", "read-only")
    assert code == 0 and "now has the read-only role" in output
    code, output = await _in_thread(cli_run, url, "users", "list", "--json")
    assert {entry["login"]: entry["role"] for entry in json.loads(output)}[spare] == "read-only"
    code, output = await _in_thread(cli_run, logins.url("admin"), "users", "remove", spare)
    assert code == 0, output
    code, output = await _in_thread(cli_run, url, "users", "list", "--json")
    assert spare not in {entry["login"] for entry in json.loads(output)}
    # Only admins manage users; the refusal is one line from the permissions table.
    code, output = await _in_thread(
        cli_run, logins.url("hr"), "users", "add", "someone", "--role", "admin"
    )
    assert code == 1 and output.strip().endswith("cannot manage users"), output
    code, output = await _in_thread(
        cli_run, logins.url("admin"), "users", "add", "bad name;", "--role", "hr"
    )
    assert code != 0 and "not a login name" in output and "Traceback" not in output
    code, output = await _in_thread(cli_run, "sqlite+aiosqlite:///:memory:", "users", "list")
    assert code != 0 and "PostgreSQL" in output and len(output.strip().splitlines()) == 1


async def test_a_read_only_login_cannot_write_even_with_raw_sql(logins: Logins) -> None:
    async with open_context(_settings(logins.admin_url)) as owner:
        [employee_id] = await add_people(owner, 1)
    connection = await asyncpg.connect(logins.dsn("readonly"))
    try:
        assert await connection.fetchval("SELECT count(*) FROM employees") == 1
        writes = [
            "INSERT INTO employees (employee_number, forenames, surname, created_via, created_by,"
            " created_at, updated_at, search_text) VALUES ('X1','A','B','cli','x',now(),now(),'')",
            f"UPDATE employees SET surname = 'Changed' WHERE id = {employee_id}",
            f"DELETE FROM employees WHERE id = {employee_id}",
            f"UPDATE sync_records SET state = 'in_progress' WHERE employee_id = {employee_id}",
            f"INSERT INTO sync_events (employee_id, at, actor, action) "
            f"VALUES ({employee_id}, now(), 'x', 'requested')",
            "DELETE FROM sync_events",
            "TRUNCATE sync_events",
            "UPDATE throttle SET blocked_until = now()",
            "SELECT benefits_set_user_role('intruder', 'benefits_admin')",
        ]
        for statement in writes:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute(statement)
    finally:
        await connection.close()


async def test_history_is_append_only_and_signed_by_the_login(logins: Logins) -> None:
    async with open_context(_settings(logins.admin_url)) as owner:
        [employee_id] = await add_people(owner, 1)
    for role in ("hr", "worker", "admin"):
        connection = await asyncpg.connect(logins.dsn(role))
        try:
            # Claiming another actor changes nothing: the trigger writes the login.
            actor = await connection.fetchval(
                "INSERT INTO sync_events (employee_id, at, actor, action) "
                "VALUES ($1, now(), 'the-ceo', 'requested') RETURNING actor",
                employee_id,
            )
            assert actor == logins.name(role)
            for statement in ("UPDATE sync_events SET actor = 'x'", "DELETE FROM sync_events"):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await connection.execute(statement)
        finally:
            await connection.close()
    # Only a worker (or admin) declares a sync successful, not HR with psql.
    connection = await asyncpg.connect(logins.dsn("hr"))
    try:
        # A request and a new employee are signed by the login too, whatever is written.
        requester = await connection.fetchval(
            "UPDATE sync_records SET requested_by = 'the-ceo', requested_at = now()"
            " WHERE employee_id = $1 RETURNING requested_by",
            employee_id,
        )
        assert requester == logins.name("hr")
        creator = await connection.fetchval(
            "INSERT INTO employees (employee_number, forenames, surname, created_via,"
            " created_by, created_at, updated_at, search_text)"
            " VALUES ('X9', 'A', 'B', 'cli', 'the-ceo', now(), now(), '') RETURNING created_by"
        )
        assert creator == logins.name("hr")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute(
                "UPDATE sync_records SET state = 'successful' WHERE employee_id = $1", employee_id
            )
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute("UPDATE sync_records SET account_id = 'acc_forged'")
    finally:
        await connection.close()


async def test_claiming_another_name_is_refused_and_changes_nothing(logins: Logins) -> None:
    hr = logins.name("hr")
    with pytest.raises(ConfigError) as refused:
        async with open_context(_settings(logins.url("hr"), user=logins.name("admin"))):
            pass
    assert hr in str(refused.value) and "\n" not in str(refused.value)
    code, output = await _in_thread(
        cli_run, logins.url("hr"), "status", BENEFITS_TUI_USER=logins.name("admin")
    )
    assert code == 2 and hr in output and len(output.strip().splitlines()) == 1, output
    code, output = await _in_thread(
        cli_run, logins.url("readonly"), "--user", logins.name("admin"), "status"
    )
    assert code == 2 and logins.name("readonly") in output
    # Naming yourself is fine; the role is the database's, whatever the config file says.
    async with open_context(
        _settings(logins.url("readonly"), user=logins.name("readonly"), default_role="admin")
    ) as context:
        assert (context.actor, context.role) == (logins.name("readonly"), Role.READ_ONLY)


async def test_read_only_login_is_refused_by_services_cli_and_database(logins: Logins) -> None:
    async with open_context(_settings(logins.admin_url)) as owner:
        ids = await add_people(owner, 2)
    async with open_context(_settings(logins.url("readonly"))) as viewer:
        assert viewer.role is Role.READ_ONLY and viewer.role_label == "read-only"
        with pytest.raises(PermissionDenied, match="read-only user and cannot sync"):
            await request_sync(viewer, Selection.of(ids))
        # Were the services' check gone, the database would still refuse the write.
        viewer.role = Role.HR
        with pytest.raises(Exception, match="permission denied") as refused:
            await request_sync(viewer, Selection.of(ids))
        assert one_line(refused.value).startswith("the database refused: permission denied for")
    code, output = await _in_thread(
        cli_run, logins.url("readonly"), "sync", "--all", "--yes", "--no-wait"
    )
    assert code == 1 and "cannot sync employees to Benefits" in output, output
    async with open_context(_settings(logins.admin_url)) as owner:
        assert {(await employee_detail(owner, i)).state for i in ids} == {SyncState.NOT_SYNCING}


async def test_hr_without_token_queues_and_a_worker_login_sends(logins: Logins) -> None:
    sim = Simulator()
    async with open_context(_settings(logins.url("hr"), token=False)) as hr:
        assert hr.role is Role.HR and not hr.has_platform  # HR needs no token
        ids = await add_people(hr, 3)
        result = await request_sync(hr, Selection.of(ids))
        assert result.queued == 3
    code, output = await _in_thread(cli_run, logins.url("hr"), "worker", "--once")
    assert code == 1 and "cannot send syncs" in output  # HR does not work the queue
    async with open_context(_settings(logins.url("worker")), transport=sim.transport) as worker:
        assert worker.role is Role.WORKER and worker.has_platform
        await drain(SyncWorker(worker), 60)
        detail = await employee_detail(worker, ids[0])
    assert detail.state is SyncState.SUCCESSFUL
    requested = [e for e in detail.history if e.action is Action.REQUESTED]
    assert [e.actor for e in requested] == [logins.name("hr")]
    engine = [e for e in detail.history if e.action is Action.SUCCEEDED]
    assert engine and all(e.actor == logins.name("worker") for e in engine)
    assert all(e.requested_by == logins.name("hr") for e in engine)
    assert engine[0].who == f"{logins.name('worker')} for {logins.name('hr')}"
    # Every HR workflow fits the HR role's privileges, and the worker's sends what follows.
    async with open_context(_settings(logins.url("hr"), token=False)) as hr:
        await assign_level(hr, Selection.of([ids[0]]), "CORE")
        await update_employee(hr, ids[1], {"job_title": "Chief Tester"})
        await record_leaver(hr, ids[2], dt.date(2026, 6, 30), "moved on")
        imported = await import_csv(hr, b"employee_number,forenames,surname\nX1,Ann,Other\n")
        assert imported.ok
    async with open_context(_settings(logins.url("worker")), transport=sim.transport) as worker:
        await drain(SyncWorker(worker), 60)
        states = {(await employee_detail(worker, i)).state for i in ids}
    assert states == {SyncState.SUCCESSFUL}


async def test_the_app_shows_the_databases_answer(logins: Logins, utc: None) -> None:
    from benefits_tui.app.app import BenefitsApp
    from tests.helpers import piloted, screen_text

    async with open_context(_settings(logins.url("readonly"), default_role="admin")) as viewer:
        app = BenefitsApp(services=viewer, poll_seconds=None)
        async with piloted(app) as pilot:
            text = screen_text(app)
            assert f"{logins.name('readonly')} · read-only" in text
            await press(pilot, "s")
            messages = [n.message for n in app._notifications]
            assert any("read-only user and cannot sync" in m for m in messages), messages
    async with open_context(_settings(logins.url("hr"), token=False)) as hr:
        app = BenefitsApp(services=hr, poll_seconds=None)
        async with piloted(app) as pilot:
            assert "Sent by a worker: no worker running" in screen_text(app)
