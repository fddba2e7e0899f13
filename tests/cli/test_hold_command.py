"""`benefits-tui hold [--clear]` and `status --json`'s platform_hold_until (RULES §1.13)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import anyio
from click.testing import CliRunner

from benefits_tui.cli.main import cli
from benefits_tui.services.sync.pacing import Pacer
from tests.helpers import NO_PLATFORM, TOKEN, services


def _run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_a_hold_is_shown_capped_and_only_an_admin_clears_it(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}"
    config = tmp_path / "benefits.toml"
    config.write_text('[roles]\nboss = "admin"\n', encoding="utf-8")
    env = {
        "BENEFITS_TUI_DATABASE_URL": database,
        "BENEFITS_API_URL": NO_PLATFORM,
        "BENEFITS_API_TOKEN": TOKEN,
        "BENEFITS_TUI_USER": "clerk",
        "BENEFITS_TUI_CONFIG": str(config),
        "BENEFITS_TUI_SYNC_MAX_HOLD_SECONDS": "120",
    }
    assert _run(env, "db", "upgrade")[0] == 0
    code, output = _run(env, "status", "--json")
    assert code == 0 and json.loads(output)["platform_hold_until"] is None, output
    assert _run(env, "hold")[1].startswith("No hold")

    async def answered_429_in_year_9999() -> dt.datetime:
        async with services(database, max_hold_seconds=120) as context:
            return await Pacer(context).hold_back(1e11)

    until = anyio.run(answered_429_in_year_9999)
    now = dt.datetime.now(dt.UTC)
    assert until - now <= dt.timedelta(seconds=121)
    code, output = _run(env, "status", "--json")
    shown = dt.datetime.fromisoformat(json.loads(output)["platform_hold_until"])
    assert code == 0 and shown == until
    code, output = _run(env, "status")
    assert "holds requests back since" in output and "until" in output
    code, output = _run(env, "hold", "--clear")
    assert code != 0 and "clear" in output  # an HR user may not
    assert json.loads(_run(env, "hold", "--json")[1])["platform_hold_until"] is not None
    code, output = _run(dict(env, BENEFITS_TUI_USER="boss"), "hold", "--clear")
    assert code == 0 and "Hold cleared" in output
    assert json.loads(_run(env, "status", "--json")[1])["platform_hold_until"] is None
