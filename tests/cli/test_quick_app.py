"""``benefits-tui`` on a SQLite file at this program's schema draws its first page read with the
standard library, before SQLAlchemy, pydantic and the services are imported (RULES §5): who
acts is read the same way as the full loader reads it, and nothing heavy is on that path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benefits_tui.config import load_settings
from benefits_tui.config_quick import quick_identity
from tests.helpers import add_people, configured, services


@pytest.mark.parametrize(
    ("env", "toml", "flags"),
    [
        ({}, "", {}),
        ({"BENEFITS_TUI_USER": "env.user"}, "", {}),
        ({"BENEFITS_TUI_USER": "env.user"}, 'user = "file.user"\n', {"user": "flag.user"}),
        ({}, 'user = "file.user"\ndefault_role = "read_only"\n', {}),
        ({}, 'user = "boss"\n[roles]\nboss = "admin"\nviewer = "read_only"\n', {}),
        ({"BENEFITS_TUI_USER": "viewer"}, '[roles]\nviewer = "read_only"\n', {}),
        ({"BENEFITS_TUI_USER": ""}, 'default_role = "worker"\n', {}),
    ],
)
def test_the_quick_identity_is_the_full_loaders(
    env: dict[str, str],
    toml: str,
    flags: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configured(monkeypatch, tmp_path, env, toml)
    full = load_settings(**flags)
    assert quick_identity({"api_url": None, "user": None, **flags}) == (full.user, full.role)


@pytest.mark.parametrize(
    ("env", "toml"),
    [
        ({"BENEFITS_TUI_DEFAULT_ROLE": "admin"}, ""),
        ({"BENEFITS_TUI_ROLES": '{"x": "admin"}'}, ""),
        ({}, 'default_role = "superuser"\n'),
        ({}, '[roles]\nboss = "root"\n'),
        ({}, "roles = 3\n"),
        ({}, "user = 7\n"),
        ({}, "not toml ["),
    ],
)
def test_the_quick_identity_leaves_doubtful_values_to_the_full_loader(
    env: dict[str, str], toml: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configured(monkeypatch, tmp_path, env, toml)
    assert quick_identity({}) is None


# Run in a fresh interpreter: the app on a SQLite file, its settings loader noting, when it is
# called (once the first frame is drawn, before the services open), which heavy modules are
# already imported and what the grid's first line shows.
FIRST_FRAME = """
import json, sys
from benefits_tui.app.app import BenefitsApp
from benefits_tui.cli.app_cmd import first_page_preview

url = sys.argv[1]
HEAVY = ("sqlalchemy", "pydantic", "pydantic_settings", "aiosqlite", "httpx", "alembic")
seen = {}

def loader():
    seen["heavy"] = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
    seen["services"] = sorted(
        m for m in sys.modules
        if m.startswith("benefits_tui.services.")
        and m not in ("benefits_tui.services.first_page", "benefits_tui.services.grid",
                      "benefits_tui.services.permissions", "benefits_tui.services.errors")
    )
    seen["first_line"] = app.main_screen.table.render_line(1).text
    from benefits_tui.config import load_settings
    return load_settings(database_url=url)

preview = first_page_preview({"database_url": url, "api_url": None, "user": None})
assert preview is not None, "no preview"
app = BenefitsApp(preview=preview, settings_loader=loader, start_worker=False, poll_seconds=None)

async def main():
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(400):  # the services open, then the screen loads as usual
            if app.main_screen.counts or app.startup_error is not None:
                break
            await pilot.pause(0.05)
        seen["counted"] = app.main_screen.counts.get(app.main_screen.active, -1)

import asyncio
asyncio.run(main())
print(json.dumps(seen))
"""


async def test_the_first_frame_imports_neither_sqlalchemy_nor_pydantic(sqlite_url: str) -> None:
    async with services(sqlite_url) as context:
        await add_people(context, 3)
    completed = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME, sqlite_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "BENEFITS_TUI_USER": "hr.tester"},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    seen = json.loads(completed.stdout.strip().splitlines()[-1])
    assert seen["heavy"] == []
    assert seen["services"] == []
    assert "Test1 Person" in seen["first_line"]  # the first row was drawn from the preview
    assert seen["counted"] == 3  # then the services opened and loaded as usual


def test_a_command_runs_with_the_garbage_collector_on(sqlite_url: str, tmp_path: Path) -> None:
    """main turns the collector off for the app's start only (cli/main.py): a command, which may
    run for hours (worker, import), turns it back on at once."""
    probe = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('collector on:', gc.isenabled(), file=sys.stderr))\n"
        "from benefits_tui.cli.main import main\n"
        "sys.argv = ['benefits-tui', 'status', '--json']\n"
        "main()\n"
    )
    env = {**os.environ, "BENEFITS_TUI_DATABASE_URL": sqlite_url}
    subprocess.run(
        [sys.executable, "-m", "benefits_tui", "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    assert json.loads(completed.stdout)["not_syncing"] == 0
    assert "collector on: True" in completed.stderr
