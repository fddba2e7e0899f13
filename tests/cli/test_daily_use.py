"""The command line as scripts and people use it, through real pipes (RULES §4): a closed pipe,
a mistyped database path, an unknown employee, an impossible date, the wording."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from benefits_tui.cli.main import cli as main_cli
from benefits_tui.platform.simulator.config import SimulatorConfig
from benefits_tui.platform.simulator.server import RunningSimulator, start_in_thread
from tests.conftest import new_sqlite_url
from tests.helpers import TOKEN, run_cli

ROOT = Path(__file__).resolve().parents[2]


def environment(database_url: str | None, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("BENEFITS_TUI_", "BENEFITS_API_"))
    }
    env |= {"BENEFITS_TUI_USER": "cron", **extra}
    if database_url is not None:
        env["BENEFITS_TUI_DATABASE_URL"] = database_url
    return env


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A database of 1,000 employees: an export bigger than a pipe's buffer (64 KiB)."""
    env = environment(new_sqlite_url(tmp_path_factory.mktemp("daily")))
    code, output = run(env, "db", "seed", "--employees", "1000")
    assert code == 0, output
    return env


def test_export_into_a_pipe_closed_early_exits_quietly(seeded: dict[str, str]) -> None:
    """`benefits-tui export - | head -1`: no complaint about the pipe, exit 0."""
    process = subprocess.Popen(
        [sys.executable, "-m", "benefits_tui", "export", "-"],
        env=seeded,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()  # what `head -1` does after its line
    stderr = process.stderr.read()
    code = process.wait(timeout=60)
    assert first.startswith(b"employee_number,")
    assert stderr == b"", stderr
    assert code == 0


def test_a_shell_pipeline_to_head(seeded: dict[str, str]) -> None:
    result = subprocess.run(
        [
            "bash",
            "-c",
            f'"{sys.executable}" -m benefits_tui export - | head -1; '
            'echo "exit=${PIPESTATUS[0]}" >&2',
        ],
        env=seeded,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.startswith("employee_number,") and result.stdout.count("\n") == 1
    assert result.stderr == "exit=0\n"


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    """In-process (fast): for what does not need a real pipe."""
    result = CliRunner().invoke(main_cli, list(args), env=env)
    return result.exit_code, result.output


def test_a_mistyped_sqlite_path_is_refused_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "hr.db"
    env = {"BENEFITS_TUI_DATABASE_URL": f"sqlite+aiosqlite:///{missing}"}
    for args in (("status",), ("export", "-"), ("db", "seed", "--employees", "3")):
        code, output = run(env, *args)
        assert code == 2, (args, output)
        assert f"no database at {missing}" in output and "Traceback" not in output
    code, output = run({}, "--database-url", f"sqlite+aiosqlite:///{missing}", "status")
    assert code == 2 and "no database at" in output
    assert not missing.exists() and not missing.parent.exists()
    # `db upgrade` creates it; then the same commands work.
    assert run(env, "db", "upgrade")[0] == 0
    assert missing.exists()
    assert run(env, "status")[0] == 0


def test_the_app_refuses_a_mistyped_path_too(tmp_path: Path) -> None:
    missing = tmp_path / "hr.db"
    result = run_cli([], environment(f"sqlite+aiosqlite:///{missing}"), timeout=120)
    assert result.returncode == 2 and "no database at" in result.stderr
    assert not missing.exists()


def test_unknown_employee_is_a_usage_error(seeded: dict[str, str]) -> None:
    for args in (
        ("history", "E999999"),
        ("leaver", "E999999", "--date", "2026-03-01", "--reason", "Resignation"),
        ("employee", "set", "nobody@example.com", "department=Sales"),
    ):
        code, output = run(seeded, *args)
        assert code == 2, (args, code, output)
        assert "no employee with number or email" in output


def test_an_impossible_leave_date_gets_a_human_message(seeded: dict[str, str]) -> None:
    code, output = run(
        seeded, "leaver", "E000001", "--date", "2026-02-30", "--reason", "Resignation"
    )
    assert code == 2
    assert "February 2026 has 28 days" in output
    assert "%Y" not in output and "format" not in output


@pytest.fixture
def simulator() -> Iterator[RunningSimulator]:
    with start_in_thread(SimulatorConfig(token=TOKEN)) as running:
        yield running


def test_sync_of_one_employee_says_employee(tmp_path: Path, simulator: RunningSimulator) -> None:
    env = environment(
        new_sqlite_url(tmp_path),
        BENEFITS_API_URL=simulator.url,
        BENEFITS_API_TOKEN=TOKEN,
    )
    assert run(env, "db", "upgrade")[0] == 0
    assert run(env, "db", "seed", "--employees", "3")[0] == 0
    code, output = run(env, "sync", "--employee", "E000001", "--yes", "--no-wait")
    assert code == 0, output
    assert "Send 1 employee to Benefits?" in output
    assert "1 employee sent to Benefits" in output
    assert "1 employees" not in output


def test_simulator_help_names_a_file_that_exists() -> None:
    code, output = run({}, "simulator", "--help")
    assert code == 0
    named = re.findall(r"assets/[\w.-]+", output)
    assert named, output
    for name in named:
        assert (ROOT / name).is_file(), name
