"""`sync`, `worker`, `history` and `status` against a simulator on a real loopback socket."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from benefits_tui.platform.simulator.config import SimulatorConfig
from benefits_tui.platform.simulator.server import RunningSimulator, start_in_thread
from tests.helpers import NO_PLATFORM, TOKEN, cron_env, invoke_cli


@pytest.fixture
def simulator() -> Iterator[RunningSimulator]:
    with start_in_thread(SimulatorConfig(token=TOKEN, async_ratio=0.3, job_delay_ms=50)) as running:
        yield running


@pytest.fixture
def env(sqlite_url: str, simulator: RunningSimulator) -> dict[str, str]:
    return cron_env(sqlite_url, simulator.url)


run = invoke_cli


def test_sync_refuses_without_all_or_employee(env: dict[str, str]) -> None:
    assert run(env, "db", "seed", "--employees", "30")[0] == 0
    code, output = run(env, "sync", "--yes")
    assert code == 2 and "--all" in output


def test_sync_all_waits_and_exits_1_when_some_failed(
    env: dict[str, str], simulator: RunningSimulator
) -> None:
    assert run(env, "db", "seed", "--employees", "120", "--seed", "4")[0] == 0
    code, output = run(env, "sync", "--status", "not-syncing", "--all", "--yes")
    assert code == 1, output  # the seed holds a few that cannot sync
    assert "employees sent to Benefits" in output
    status = json.loads(run(env, "status", "--json")[1])
    assert status["in_progress"] == 0 and status["not_syncing"] == 0
    assert status["successful"] > 100 and status["failed"] > 0
    stats = httpx.get(f"{simulator.url}/_sim/stats").json()
    assert stats["duplicate_emails"] == 0 and stats["accounts"] == status["successful"]
    # Failed ones, fixed or not, can be sent again from the Failed tab.
    code, output = run(env, "sync", "--status", "failed", "--all", "--yes")
    assert code == 1
    assert TOKEN not in output


def test_sync_one_employee_then_history(env: dict[str, str]) -> None:
    run(env, "db", "seed", "--employees", "5")
    code, output = run(env, "sync", "--employee", "E000001", "--yes")
    assert code == 0, output
    code, output = run(env, "history", "E000001", "--json")
    assert code == 0
    events = json.loads(output)
    assert events["status"] == "successful" and events["benefits_account_id"]
    assert events["events"][0]["action"] == "succeeded"
    assert any(e["action"] == "requested" and e["actor"] == "cron" for e in events["events"])


def test_no_wait_then_worker_once_finishes(env: dict[str, str]) -> None:
    run(env, "db", "seed", "--employees", "10")
    code, output = run(
        env, "sync", "--employee", "E000001", "--employee", "E000002", "--yes", "--no-wait"
    )
    assert code == 0, output
    assert json.loads(run(env, "status", "--json")[1])["in_progress"] == 2
    code, output = run(env, "worker", "--once")
    assert code == 0, output
    assert json.loads(run(env, "status", "--json")[1])["successful"] == 2


def test_a_wrong_token_is_one_line_exit_2_and_nothing_queued(env: dict[str, str]) -> None:
    run(env, "db", "seed", "--employees", "5")
    code, output = run(
        {**env, "BENEFITS_API_TOKEN": "sk_wrong_token_123"}, "sync", "--all", "--yes"
    )
    assert code == 2 and "BENEFITS_API_TOKEN" in output and "Traceback" not in output
    assert json.loads(run(env, "status", "--json")[1])["in_progress"] == 0
    assert "sk_wrong_token_123" not in output


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"BENEFITS_API_URL": NO_PLATFORM}, "cannot be reached"),
        ({"BENEFITS_API_TOKEN": ""}, "no platform token"),
    ],
)
def test_without_the_platform_sync_queues_and_says_a_worker_sends_them(
    env: dict[str, str], overrides: dict[str, str], why: str
) -> None:
    """An unreachable platform, or HR without the token: queued, said so, exit 0."""
    run(env, "db", "seed", "--employees", "5")
    code, output = run({**env, **overrides}, "sync", "--all", "--yes")
    assert code == 0, output
    assert why in output and "a worker sends them" in output and "no worker running" in output
    assert json.loads(run(env, "status", "--json")[1])["in_progress"] == 5


def test_history_of_unknown_employee_is_a_clear_error(env: dict[str, str]) -> None:
    run(env, "db", "seed", "--employees", "2")
    code, output = run(env, "history", "E999999")
    assert code == 2 and "no employee" in output  # a usage error (RULES §4)


def test_sync_all_follows_its_own_request_only(env: dict[str, str]) -> None:
    """The outcome counts the employees of this request (by who asked and when, not by a list
    of their IDs held in memory): not an earlier request's, not another user's."""
    run(env, "db", "seed", "--employees", "12", "--seed", "1")
    assert run(env, "sync", "--employee", "E000001", "--yes")[0] == 0
    other = {**env, "BENEFITS_TUI_USER": "someone.else"}
    assert run(other, "sync", "--employee", "E000002", "--yes")[0] == 0
    before = json.loads(run(env, "status", "--json")[1])
    code, output = run(env, "sync", "--status", "not-syncing", "--all", "--yes")
    after = json.loads(run(env, "status", "--json")[1])
    ok, failed = (after[key] - before[key] for key in ("successful", "failed"))
    assert ok + failed == before["not_syncing"] == 10
    assert f"Successful: {ok:,}  Failed: {failed:,}" in output, output
    assert code == (1 if failed else 0)
