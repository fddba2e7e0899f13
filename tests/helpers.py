"""Test helpers: a service context wired to a real database and the simulator over HTTP."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from click.testing import CliRunner, Result
from rich.cells import cell_len
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Select

from benefits_tui.domain.states import CreatedVia
from benefits_tui.platform.simulator.app import create_app
from benefits_tui.platform.simulator.config import SimulatorConfig
from benefits_tui.services.clock import Clock
from benefits_tui.services.context import ServiceContext, open_context
from benefits_tui.services.employees import add_employee
from benefits_tui.services.sync.requests import Selection, request_sync
from benefits_tui.services.sync.worker import SyncWorker, WorkerStats
from tests.conftest import new_sqlite_url

TOKEN = "sk_test_SECRET-TOKEN-3f9a7c"
# The installed entry point, run as a person or cron would.
CLI = str(Path(sys.executable).with_name("benefits-tui"))


class Simulator:
    """The simulator app behind an ASGI transport, plus helpers to inspect its state."""

    def __init__(self, **options: Any) -> None:
        self.config = SimulatorConfig(token=TOKEN, **options)
        self.app = create_app(self.config)
        self.transport = httpx.ASGITransport(app=self.app)

    async def get(self, path: str) -> Any:
        async with httpx.AsyncClient(
            transport=self.transport, base_url="http://benefits.test"
        ) as client:
            response = await client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
            response.raise_for_status()
            return response.json()

    async def post(self, path: str, payload: Any) -> httpx.Response:
        async with httpx.AsyncClient(
            transport=self.transport, base_url="http://benefits.test"
        ) as client:
            return await client.post(
                path, json=payload, headers={"Authorization": f"Bearer {TOKEN}"}
            )

    async def post_account(self, body: dict[str, Any]) -> httpx.Response:
        """Create an account directly on the platform (as another system would)."""
        async with httpx.AsyncClient(
            transport=self.transport, base_url="http://benefits.test"
        ) as client:
            return await client.post(
                "/v1/accounts",
                json=body,
                headers={
                    "Authorization": f"Bearer {TOKEN}",
                    "Idempotency-Key": f"other-{id(body)}",
                },
            )

    async def configure(self, **changes: Any) -> None:
        """Change fault settings at run time (``POST /_sim/config``)."""
        response = await self.post("/_sim/config", changes)
        assert response.status_code < 300, response.text

    async def requests(self) -> list[dict[str, Any]]:
        requests: list[dict[str, Any]] = (await self.get("/_sim/requests"))["data"]
        return requests

    async def account_calls(self) -> list[dict[str, Any]]:
        """The requests logged for ``/v1/accounts...`` (not jobs, picklists or levels)."""
        return [r for r in await self.requests() if r["path"].startswith("/v1/accounts")]

    async def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = await self.get("/_sim/stats")
        return stats

    async def accounts(self) -> list[dict[str, Any]]:
        data = await self.get("/_sim/accounts")
        accounts: list[dict[str, Any]] = data["data"] if isinstance(data, dict) else data
        return accounts

    async def account_by_email(self, email: str) -> dict[str, Any] | None:
        for account in await self.accounts():
            if (account.get("email") or "").casefold() == email.casefold():
                return account
        return None


NO_PLATFORM = "http://127.0.0.1:9"  # the discard port: nothing listens there


@asynccontextmanager
async def services(
    database_url: str,
    simulator: Simulator | None = None,
    *,
    user: str = "hr.tester",
    clock: Clock | None = None,
    api_url: str | None = None,
    **sync: Any,
) -> AsyncIterator[ServiceContext]:
    """A service context on ``database_url``; the simulator over ASGI, or at ``api_url``.

    With neither, the platform is a closed port on this host (refused at once), not a name
    the resolver must fail to find (as long as it takes on a machine with a slow DNS).
    """
    from tests.conftest import make_settings

    if simulator is None and api_url is None:
        api_url = NO_PLATFORM
    settings = make_settings(database_url, user=user, **({"api_url": api_url} if api_url else {}))
    settings.sync = settings.sync.model_copy(
        update={
            "backoff_base_seconds": 0.01,
            "backoff_max_seconds": 0.05,
            "job_poll_seconds": 0.02,
            **sync,
        }
    )
    async with open_context(
        settings, clock=clock, transport=simulator.transport if simulator else None
    ) as context:
        yield context


def write_preload(path: Any, people: list[dict[str, Any]]) -> str:
    """A simulator preload CSV with an existing account for each of ``people``."""
    import csv

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=["email", "forenames", "surname", "title", "gender"]
        )
        writer.writeheader()
        for values in people:
            writer.writerow({name: values.get(name) for name in writer.fieldnames})
    return str(path)


def person(n: int, **overrides: Any) -> dict[str, Any]:
    """A complete, syncable employee (model attribute names)."""
    values: dict[str, Any] = {
        "title": "Ms",
        "forenames": f"Test{n}",
        "surname": "Person",
        "email": f"test.person{n}@example.com",
        "date_of_birth": dt.date(1990, 1, 1),
        "gender": "F",
        "job_title": "Analyst",
        "department": "Finance",
        "start_date": dt.date(2020, 1, 1),
        "annual_pay": Decimal("35000.00"),
        "pay_basis": "Salary",
        "pay_frequency": "Monthly",
        "benefit_level": "CORE",
    }
    values.update(overrides)
    return values


async def add_people(
    context: ServiceContext, count: int, start: int = 1, **overrides: Any
) -> list[int]:
    ids = []
    for n in range(start, start + count):
        employee_id, _, _ = await add_employee(
            context, person(n, **overrides), created_via=CreatedVia.CLI
        )
        ids.append(employee_id)
    return ids


async def drain(worker: SyncWorker, seconds: float) -> WorkerStats:
    """Run ``worker`` until nothing is In progress; fail the test after ``seconds``."""
    with anyio.fail_after(seconds):
        return await worker.drain()


async def synced(context: ServiceContext, ids: Sequence[int]) -> None:
    """Request a sync of ``ids``, then let one worker send all that is queued (20 s at most)."""
    await request_sync(context, Selection.of(ids))
    await drain(SyncWorker(context), 20)


# ---------------------------------------------------------------------- the app's pilot


SETTLE_SECONDS = 60.0


async def settle(pilot: Pilot[Any]) -> None:
    """Let messages, zero-delay timers and workers finish (three rounds: work begets work).

    A worker that never finishes fails the test within a minute, naming what still runs,
    instead of hanging the run.
    """
    for _ in range(3):
        await pilot.pause()
        try:
            with anyio.fail_after(SETTLE_SECONDS):
                await pilot.app.workers.wait_for_complete()
        except TimeoutError:
            running = [repr(worker) for worker in pilot.app.workers if not worker.is_finished]
            pytest.fail(f"workers still running after {SETTLE_SECONDS:.0f} s: {running}")
    await pilot.pause()


async def press(pilot: Pilot[Any], *keys: str) -> None:
    """Press ``keys``, then let what they started finish."""
    await pilot.press(*keys)
    await settle(pilot)


# A starter's personal details as typed into the wizard (title and gender are selects).
STARTER_PERSONAL = {
    "title": "Ms",
    "gender": "F",
    "forenames": "Ann",
    "surname": "Lee",
    "date_of_birth": "1990-01-01",
}


def fill_form(screen: Screen[Any], **values: str) -> None:
    """Set the form's fields (``#input-<name>``: an Input, or a Select) in the order given."""
    for name, value in values.items():
        widget = screen.query_one(f"#input-{name}")
        if isinstance(widget, Select):
            widget.value = value
        else:
            assert isinstance(widget, Input), name
            widget.value = value


@asynccontextmanager
async def piloted(app: App[Any], size: tuple[int, int] = (120, 36)) -> AsyncIterator[Pilot[Any]]:
    """``app`` running headless at ``size``, settled after its first screen."""
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        yield pilot


# One ``<text>`` element of the SVG Rich writes for App.export_screenshot: where it starts (x,
# in cells times CELL_WIDTH), the terminal line it clips to, and its escaped text.
_SVG_TEXT = re.compile(
    r'<text [^>]*?x="([^"]+)"[^>]*?clip-path="url\(#[^"]*-line-(\d+)\)">(.*?)</text>'
)
# Rich's SVG cell: 20 px high, 0.61 of that wide (Console.export_svg's defaults).
CELL_WIDTH = 20 * 0.61


def _render(app: App[Any]) -> str:
    """The terminal as plain text: the screen over the screens it covers (a dialog's backdrop).

    Read from Textual's public screenshot (an SVG of every cell) rather than its compositor:
    each run of text stands at its cell column on its line; blank cells are spaces."""
    width, height = app.size
    lines: list[list[str]] = [[] for _ in range(height)]
    used = [0] * height  # cells written on each line so far
    for x, line, escaped in _SVG_TEXT.findall(app.export_screenshot(simplify=True)):
        row, column = int(line), round(float(x) / CELL_WIDTH)
        text = html.unescape(escaped.replace("&#160;", " "))
        lines[row].append(" " * (column - used[row]) + text)
        used[row] = column + cell_len(text)
    return "\n".join("".join(parts) + " " * (width - used[row]) for row, parts in enumerate(lines))


def screen_text(app: App[Any]) -> str:
    """What the terminal shows, line by line."""
    return "\n".join(_render(app).splitlines()[: app.size.height])


def flat_text(app: App[Any]) -> str:
    """What the terminal shows as one line of words: wrapped lines joined, borders dropped."""
    text = _render(app)
    for border in "█▀▄▔▁▊▎▏":
        text = text.replace(border, " ")
    return " ".join(text.split())


def configured(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    env: dict[str, str],
    toml: str,
    *,
    mode: int | None = None,
) -> None:
    """The environment ``env`` and, when ``toml`` is given, a config file holding it (with
    permissions ``mode`` when given)."""
    if toml:
        config = tmp_path / "benefits.toml"
        config.write_text(toml)
        if mode is not None:
            config.chmod(mode)
        monkeypatch.setenv("BENEFITS_TUI_CONFIG", str(config))
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def run_cli(
    args: Sequence[str], env: dict[str, str], *, timeout: float = 60, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """``benefits-tui args...`` in a subprocess with ``env``; ``check``: fail on a non-zero exit."""
    result = subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(
            f"benefits-tui {' '.join(args)} -> {result.returncode}\n{result.stderr}"
        )
    return result


CliInvoke = Callable[..., Result]


def cli_invoker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, catch_exceptions: bool = True
) -> CliInvoke:
    """``benefits-tui args...`` in-process (click's runner) on a new SQLite database, acting
    as ``cli.tester``. ``catch_exceptions=False`` lets a traceback fail the test loudly."""
    from benefits_tui.cli.main import cli

    monkeypatch.setenv("BENEFITS_TUI_DATABASE_URL", new_sqlite_url(tmp_path))
    monkeypatch.setenv("BENEFITS_TUI_USER", "cli.tester")
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=catch_exceptions)

    return invoke


def export_rows(run: CliInvoke, *args: str) -> list[dict[str, str]]:
    """The rows ``benefits-tui export [args] -`` writes, as dictionaries."""
    result = run("export", *args, "-")
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def cron_env(database_url: str, api_url: str) -> dict[str, str]:
    """The environment of a headless run (as from cron) against ``api_url``, with fast polls."""
    return {
        "BENEFITS_TUI_DATABASE_URL": database_url,
        "BENEFITS_API_URL": api_url,
        "BENEFITS_API_TOKEN": TOKEN,
        "BENEFITS_TUI_USER": "cron",
        "BENEFITS_TUI_SYNC_JOB_POLL_SECONDS": "0.05",
        "BENEFITS_TUI_SYNC_BACKOFF_BASE_SECONDS": "0.05",
    }


def invoke_cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    """``benefits-tui args...`` in-process with ``env``: (exit code, everything it printed)."""
    from benefits_tui.cli.main import cli

    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output
