"""SQLite: a process that finds the write lock held waits and says so, instead of failing.

Another process takes the write lock and is stopped (SIGSTOP, as ctrl+z does) while holding
it: `benefits-tui import` waits, saying who waits for what, and finishes once the holder is
resumed and lets go (it used to fail with "database is locked").
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from benefits_tui.services.queries import count_by_state
from tests.helpers import services

HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("COMMIT")
"""


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs POSIX job control")
def test_import_waits_for_a_stopped_lock_holder_and_says_so(tmp_path: Path) -> None:
    database = tmp_path / "hr.db"
    url = f"sqlite+aiosqlite:///{database}"

    async def create() -> None:
        async with services(url):
            pass

    anyio.run(create)
    csv = tmp_path / "people.csv"
    csv.write_text(
        "employee_number,forenames,surname\nE900001,Ada,Lovelace\nE900002,Alan,Turing\n",
        encoding="utf-8",
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    importer = None
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        os.kill(holder.pid, signal.SIGSTOP)  # ctrl+z while holding the lock
        env = dict(os.environ, BENEFITS_TUI_DATABASE_URL=url, BENEFITS_TUI_USER="hr.tester")
        errors = tmp_path / "import.err"
        with errors.open("w", encoding="utf-8") as sink:
            importer = subprocess.Popen(
                [sys.executable, "-m", "benefits_tui", "import", str(csv)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=sink,
                text=True,
            )
        deadline = time.monotonic() + 60
        while "is waiting for the write lock" not in errors.read_text(encoding="utf-8"):
            assert importer.poll() is None, errors.read_text(encoding="utf-8")  # never fails
            assert time.monotonic() < deadline, "the import never said it was waiting"
            time.sleep(0.1)
        time.sleep(1.5)  # a wait longer than one slice of SQLite's busy handler
        assert importer.poll() is None, errors.read_text(encoding="utf-8")
        os.kill(holder.pid, signal.SIGCONT)
        assert holder.stdin is not None
        holder.stdin.write("done\n")
        holder.stdin.flush()
        holder.wait(timeout=10)
        importer.wait(timeout=60)
        err = errors.read_text(encoding="utf-8")
    finally:
        for process in (holder, importer):
            if process is not None and process.poll() is None:
                os.kill(process.pid, signal.SIGCONT)
                process.kill()
                process.wait()
    assert importer.returncode == 0, err
    assert "is waiting for the write lock" in err and "another process holds it" in err, err
    assert "database is locked" not in err

    async def count() -> int:
        async with services(url) as context:
            return sum((await count_by_state(context)).values())

    assert anyio.run(count) == 2
