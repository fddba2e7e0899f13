"""RULES §1.15: the platform's words are untrusted text, stored bounded and never shown raw.

A platform answers a create with a 422 whose title, detail and messages carry an OSC 52
clipboard write, a clear screen, a window title, U+202E and an 8-bit CSI. The record fails
with that reason; every output (``sync``, ``history``, ``history --json``, ``status``,
``export -`` to a terminal) shows it with visible symbols, through real pipes and a pty.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import anyio

from benefits_tui.domain.safe_text import json_visible, visible
from benefits_tui.domain.states import SyncState
from benefits_tui.services.queries import employee_detail
from tests.faults import HOSTILE, FaultyPlatform, raw_controls, serve_in_thread
from tests.helpers import TOKEN, add_people, run_cli, services, synced


def test_visible_shows_every_dangerous_character_and_keeps_the_rest() -> None:
    shown = visible(HOSTILE + "\t\n\x7f\u2066محمد é")
    assert raw_controls(shown) == []
    assert "\u241b]52;c;" in shown and "\u241b[2J" in shown  # ESC shown as ␛, rest literal
    assert "\u27e8U+202E\u27e9gnp.exe" in shown and "\ufffd31m" in shown
    assert "\u2409\u240a\u2421\u27e8U+2066\u27e9محمد é" in shown
    assert visible("line\nnext", multiline=True) == "line\nnext"
    assert visible("x" * 50, limit=10) == "x" * 9 + "…"
    # JSON keeps the exact value, escaped: the terminal sees no control character.
    text = json_visible(json.dumps({"v": HOSTILE}, ensure_ascii=False))
    assert raw_controls(text) == [] and json.loads(text) == {"v": HOSTILE}


async def test_a_hostile_rejection_is_stored_bounded(database_url: str) -> None:
    platform = FaultyPlatform()
    platform.fault = "hostile"
    async with services(database_url, platform.sim, max_retry_seconds=5) as context:
        context.transport = platform.transport
        [employee] = await add_people(context, 1)
        await synced(context, [employee])
        detail = await employee_detail(context, employee)
    assert detail.state is SyncState.FAILED
    assert detail.reason is not None and "Benefits rejected" in detail.reason
    assert "\x1b]52" in detail.reason  # stored as the platform said it (shown safely)
    assert len(detail.reason) <= 2000  # ... but bounded: the message was 10,000+ characters
    assert all(len(e.answer or "") <= 2000 and len(e.reason or "") <= 2000 for e in detail.history)
    assert (await platform.sim.stats())["accounts"] == 0


def _on_a_terminal(env: dict[str, str], *args: str) -> str:
    """Run the CLI with its standard output on a pseudo-terminal; returns what it wrote."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "benefits_tui", *args],
            env=env,
            stdout=follower,
            stderr=subprocess.PIPE,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    finally:
        os.close(leader)
    assert process.returncode == 0
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_every_cli_output_shows_the_platforms_words_as_symbols(tmp_path: Path) -> None:
    platform = FaultyPlatform()
    platform.fault = "hostile"
    database = f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}"

    async def prepare() -> None:
        async with services(database, platform.sim) as context:
            await add_people(context, 2)

    anyio.run(prepare)
    with serve_in_thread(platform) as url:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "BENEFITS_TUI_DATABASE_URL": database,
            "BENEFITS_API_URL": url,
            "BENEFITS_API_TOKEN": TOKEN,
            "BENEFITS_TUI_USER": "cron",
            "BENEFITS_TUI_SYNC_JOB_POLL_SECONDS": "0.05",
        }
        outputs = {}
        sync = run_cli(["sync", "--all", "--yes"], env)
        assert sync.returncode == 1, sync.stderr
        outputs["sync"] = sync.stdout + sync.stderr
        for name, args in {
            "history": ("history", "E000001"),
            "history --json": ("history", "E000001", "--json"),
            "status": ("status",),
            "status --json": ("status", "--json"),
            "export - | pipe": ("export", "--status", "failed", "-"),
        }.items():
            result = run_cli(args, env)
            assert result.returncode == 0, (name, result.stderr)
            outputs[name] = result.stdout + result.stderr
        outputs["export - on a terminal"] = _on_a_terminal(env, "export", "--status", "failed", "-")
    for name, text in outputs.items():
        if name == "export - | pipe":
            continue  # a file or a pipe gets the data intact (see below)
        assert raw_controls(text) == [], (name, text[:400])
    assert "\u241b]52;c;" in outputs["history"]  # the reason is there, shown as symbols
    assert "\u241b]52;c;" in outputs["export - on a terminal"]
    history = json.loads(outputs["history --json"])
    assert "\x1b]52;c;" in history["reason"]  # the exact value for a program reading it
    assert "\x1b]52;c;" in outputs["export - | pipe"]
