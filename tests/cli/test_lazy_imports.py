"""Quick commands import only what they use (RULES §5, "Instant, as felt from outside").

Each command runs in a fresh interpreter with ``-X importtime``, whose report on stderr names
every module imported; none of the heavy ones may appear.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Never needed to print a version, the help or the counts.
HEAVY = ("textual", "httpx", "alembic", "benefits_tui.app", "benefits_tui.platform.client")
# Not needed for --version and --help either (the settings, the database).
HEAVY_WITHOUT_DATABASE = (*HEAVY, "sqlalchemy", "pydantic", "rich", "anyio")


def imported_modules(*args: str, env: dict[str, str] | None = None) -> tuple[set[str], str]:
    """Run ``benefits-tui ARGS``; the modules it imported and its standard output."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "benefits_tui", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in completed.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "benefits_tui.cli.main" in modules  # the report was read
    return modules, completed.stdout


def heavy_in(modules: set[str], heavy: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in heavy))


@pytest.mark.parametrize("args", [("--version",), ("--help",), ("-h",), ("status", "--help")])
def test_version_and_help_import_neither_the_app_nor_the_database(args: tuple[str, ...]) -> None:
    modules, stdout = imported_modules(*args)
    assert stdout.strip()
    assert heavy_in(modules, HEAVY_WITHOUT_DATABASE) == []


def test_help_still_lists_every_command() -> None:
    from benefits_tui.cli.main import COMMANDS

    _, stdout = imported_modules("--help")
    for name in COMMANDS:
        assert f"  {name} " in stdout


def test_status_json_imports_neither_textual_nor_httpx_nor_alembic(tmp_path: Path) -> None:
    env = {"BENEFITS_TUI_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}"}
    subprocess.run(
        [sys.executable, "-m", "benefits_tui", "db", "upgrade"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        timeout=60,
    )
    modules, stdout = imported_modules("status", "--json", env=env)
    assert json.loads(stdout)["not_syncing"] == 0
    assert heavy_in(modules, HEAVY) == []
    # A SQLite file at the schema's head: read with the standard library alone (the quick
    # path of services/status.py), neither SQLAlchemy nor pydantic imported.
    assert heavy_in(modules, ("sqlalchemy", "pydantic", "pydantic_settings", "aiosqlite")) == []


def test_the_app_reaches_its_first_frame_without_httpx_or_alembic() -> None:
    """The platform client and the migrations are not on the path to the first rows."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import benefits_tui.app.app"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in completed.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "textual.app" in modules
    assert heavy_in(modules, ("httpx", "alembic", "benefits_tui.platform.client")) == []
