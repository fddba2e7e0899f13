"""Two processes asking to sync the same 100 employees at once share one job each (RULES §1.12)."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import func, select

from benefits_tui.db.models import SyncEvent
from benefits_tui.domain.states import Action
from benefits_tui.platform.simulator.config import SimulatorConfig
from benefits_tui.platform.simulator.server import start_in_thread
from tests.helpers import TOKEN, services


async def test_two_processes_requesting_the_same_employees_queue_each_once(
    database_url: str,
) -> None:
    with start_in_thread(SimulatorConfig(token=TOKEN)) as running:
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("BENEFITS_TUI_", "BENEFITS_API_"))
            },
            "BENEFITS_TUI_DATABASE_URL": database_url,
            "BENEFITS_API_URL": running.url,
            "BENEFITS_API_TOKEN": TOKEN,
        }
        seed = subprocess.run(
            [sys.executable, "-m", "benefits_tui", "db", "seed", "--employees", "100"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert seed.returncode == 0, seed.stderr
        command = [sys.executable, "-m", "benefits_tui", "sync", "--all", "--yes", "--no-wait"]
        users = [
            subprocess.Popen(
                command,
                # On PostgreSQL the login is the user: both run as the test's login there.
                env=env
                if database_url.startswith("postgresql")
                else {**env, "BENEFITS_TUI_USER": user},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for user in ("alice", "bob")
        ]
        outputs = [user.communicate(timeout=60) for user in users]
        assert all("Traceback" not in err and "locked" not in err for _, err in outputs), outputs
    async with services(database_url) as context, context.db.read() as session:
        per_employee = (
            await session.execute(
                select(SyncEvent.employee_id, func.count())
                .where(SyncEvent.action == Action.REQUESTED.value)
                .group_by(SyncEvent.employee_id)
            )
        ).all()
    counts = [count for _, count in per_employee]
    assert len(counts) >= 95  # all but the few past leavers the seed holds
    assert max(counts) == 1, "an employee was queued twice"
