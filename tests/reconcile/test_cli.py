"""`benefits-tui reconcile` against a simulator on a real socket: JSON, exit codes, --fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import httpx
import pytest

from benefits_tui.platform.simulator.config import SimulatorConfig
from benefits_tui.platform.simulator.server import RunningSimulator, start_in_thread
from tests.helpers import NO_PLATFORM, TOKEN, cron_env, invoke_cli
from tests.reconcile.common import hand_made as hand_made_account


@pytest.fixture
def simulator() -> Iterator[RunningSimulator]:
    with start_in_thread(SimulatorConfig(token=TOKEN)) as running:
        yield running


@pytest.fixture
def env(sqlite_url: str, simulator: RunningSimulator) -> dict[str, str]:
    return cron_env(sqlite_url, simulator.url)


run = invoke_cli


def patch(simulator: RunningSimulator, account_id: str, changes: dict[str, object]) -> None:
    response = httpx.patch(
        f"{simulator.url}/v1/accounts/{account_id}",
        json=changes,
        headers={"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": f"admin-{uuid.uuid4()}"},
    )
    assert response.status_code == 200, response.text


def account_of(env: dict[str, str], number: str) -> str:
    code, output = run(env, "history", number, "--json")
    assert code == 0, output
    return str(json.loads(output)["benefits_account_id"])


def test_reconcile_json_exit_codes_and_fix(
    env: dict[str, str], simulator: RunningSimulator
) -> None:
    assert run(env, "db", "seed", "--employees", "12")[0] == 0
    assert run(env, "sync", "--all", "--yes")[0] in (0, 1)
    code, output = run(env, "reconcile", "--json")
    assert code == 0, output
    clean = json.loads(output)
    assert clean["counts"] == dict.fromkeys(
        (
            "field_drift",
            "terminated_on_platform",
            "missing_on_platform",
            "active_leaver",
            "unlinked_match",
            "orphan",
        ),
        0,
    )
    assert clean["drift"] == [] and clean["checked_employees"] == 12
    assert clean["platform_accounts"] > 8

    account = account_of(env, "E000001")
    patch(simulator, account, {"surname": "[bold]Edited\x1b[31m"})
    code, output = run(env, "reconcile", "--json")
    assert code == 1, output
    found = json.loads(output)
    assert found["counts"]["field_drift"] == 1
    (drift,) = found["drift"]
    assert drift["kind"] == "field_drift" and drift["employee_number"] == "E000001"
    assert drift["account_id"] == account
    assert drift["fields"]["surname"]["platform"] == "[bold]Edited\x1b[31m"
    assert "\x1b" not in output  # JSON escapes it

    # The text report shows the platform's words literally, never raw escapes.
    code, output = run(env, "reconcile")
    assert code == 1 and "E000001" in output and "\x1b" not in output and "␛" in output

    # Status shows the last reconciliation.
    status = json.loads(run(env, "status", "--json")[1])
    assert status["reconciliation"]["drift"] == 1
    assert status["reconciliation"]["counts"]["field_drift"] == 1

    # Without --yes in a pipe nothing is repaired.
    code, output = run(env, "reconcile", "--fix", "field-drift")
    assert code == 2 and "--yes" in output
    # Every finding repaired (queued): nothing is left for a person to look at, so exit 0 (a
    # cron job running `reconcile --fix field-drift --yes` reports no failure for drift it fixed).
    code, output = run(env, "reconcile", "--fix", "field-drift", "--yes")
    assert code == 0 and "1 queued" in output and "not repaired" not in output
    assert run(env, "worker", "--once")[0] == 0
    code, output = run(env, "reconcile", "--json")
    assert code == 0, output

    # A hand-made account (an orphan) is drift that --fix field-drift does not repair: exit 1.
    patch(simulator, account, {"surname": "Edited again"})
    hand_made = httpx.post(
        f"{simulator.url}/v1/accounts",
        json=hand_made_account(external_id="X-1"),
        headers={"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": "hand-made-1"},
    )
    assert hand_made.status_code == 201, hand_made.text
    code, output = run(env, "reconcile", "--fix", "field-drift", "--yes")
    assert code == 1 and "1 queued" in output and "1 finding not repaired" in output


def test_read_only_fix_is_refused_with_exit_2(
    env: dict[str, str], tmp_path: os.PathLike[str]
) -> None:
    config = os.path.join(tmp_path, "roles.toml")
    with open(config, "w", encoding="utf-8") as handle:
        handle.write('[roles]\nviewer = "read_only"\n')
    viewer = {**env, "BENEFITS_TUI_USER": "viewer", "BENEFITS_TUI_CONFIG": config}
    assert run(env, "db", "seed", "--employees", "3")[0] == 0
    code, output = run(viewer, "reconcile", "--fix", "unlinked-match", "--yes")
    assert code == 2 and "read-only" in output


def test_unreachable_platform_exits_2(env: dict[str, str]) -> None:
    # A retry budget of 2 s instead of the default hour: the run gives up within it.
    unreachable = {
        **env,
        "BENEFITS_API_URL": NO_PLATFORM,
        "BENEFITS_TUI_SYNC_MAX_RETRY_SECONDS": "2",
    }
    code, output = run(unreachable, "reconcile")
    assert code == 2 and "Traceback" not in output
    assert f"Cannot reach the Benefits platform at {NO_PLATFORM}" in output, output


def test_no_progress_bar_in_a_pipe(env: dict[str, str]) -> None:
    assert run(env, "db", "seed", "--employees", "3")[0] == 0
    result = subprocess.run(
        [sys.executable, "-m", "benefits_tui", "reconcile"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Reconciling" not in result.stderr and "\x1b" not in result.stderr
    assert "No drift" in result.stdout
