"""RULES §5 Reliability, end to end: ~600 employees, a difficult platform (5xx, timeouts with
and without effect, async jobs, a rate limit, preloaded accounts), two users syncing
overlapping sets at the same moment, and workers SIGKILLed every ~2 s for ~20 s; then a
drain. Zero duplicate accounts, zero lost syncs, every employee Successful or Failed with a
reason, no "database is locked", and nothing sent inside a 429's Retry-After window."""

from __future__ import annotations

import bisect
import json
import math
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, true

from benefits_tui.db.models import Employee, SyncEvent, SyncRecord
from benefits_tui.domain.fields import is_valid_email
from benefits_tui.domain.states import Action, SyncState
from benefits_tui.platform.contract import normalise_email
from benefits_tui.platform.simulator import app as sim_app
from benefits_tui.services.seed import seed_employees
from tests.helpers import CLI, run_cli
from tests.reliability.common import (
    check_outcome,
    cli_env,
    open_services,
    sim_config,
    sim_get,
    start_simulator,
    write_preload,
)

pytestmark = pytest.mark.slow

EMPLOYEES = 600
WORKERS = 3
CHAOS_SECONDS = 20.0
KILL_EVERY = 2.0
RATE_LIMIT = 150.0
# From, to (s; longer until a 429 is answered), requests/s: the platform tightens its limit.
SQUEEZE = (5.0, 11.0, 10.0)
GRACE = 0.3  # a request already on its way when the 429 arrived may still land
SIM = {
    "async_ratio": 0.3,
    "fail_rate": 0.12,
    "timeout_rate": 0.05,
    "hang_ms": 1500,
    "job_delay_ms": 300,
    "latency_ms": 2,
    "jitter_ms": 2,
    "rate_limit": RATE_LIMIT,
}
SYNC: dict[str, Any] = {
    "request_timeout": 1,
    "lease_seconds": 2,
    "backoff_base_seconds": 0.1,
    "backoff_max_seconds": 1.0,
    "job_poll_seconds": 0.2,
    "max_retry_seconds": 120,  # longer than the chaos: no fault may fail a record
    "rate_limit": RATE_LIMIT * 0.9,
}


def _platform_calls(url: str) -> int:
    """How many account calls the simulator has answered (health checks and picklists aside)."""
    log = sim_get(url, "/_sim/requests")["data"]
    return sum(1 for entry in log if entry["path"].startswith("/v1/accounts"))


def _retry_after_violations(log: list[dict[str, Any]]) -> tuple[int, list[str], float]:
    """Requests that certainly arrived inside (t + GRACE, t + Retry-After) of a 429 answered
    at t, and the latest arrival within the grace (how close in-flight requests came to it)."""
    windows = []
    for entry in log:
        if entry["status"] == 429:
            # The simulator's Retry-After is whole seconds, at least 1: with any limit of a
            # request per second or more the wait is under a second, so it says 1.
            retry_after = max(1, math.ceil(1 / min(RATE_LIMIT, SQUEEZE[2])))
            windows.append((entry["time"], entry["time"] + retry_after, entry))
    windows.sort(key=lambda window: window[0])
    bad: list[str] = []
    latest_in_flight = 0.0
    starts = [w[0] for w in windows]
    for entry in log:
        # A server kept off the CPU reads its sockets late: the request arrived at some time
        # in [earliest, time]. It was sent inside a window only if all of that lies inside it.
        earliest, latest = entry["earliest"], entry["time"]
        index = bisect.bisect_left(starts, earliest)
        inside = [(earliest - start, w) for start, end, w in windows[:index] if latest < end]
        if not inside:
            continue
        offset, throttled = max(inside, key=lambda pair: pair[0])  # the deepest window
        if offset <= GRACE:
            latest_in_flight = max(latest_in_flight, offset)
            continue
        bad.append(
            f"{entry['method']} {entry['path']} at +{offset:.2f}s -> {entry['status']}"
            f" (429 to {throttled['method']} {throttled['path']})"
        )
    return len(windows), bad, round(latest_in_flight, 3)


async def test_chaos(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    rng = random.Random(20260105)
    # 1. HR: ~600 realistic employees (a few per hundred cannot sync, on purpose).
    async with open_services(database_url, None) as context:
        await seed_employees(context, EMPLOYEES, seed=3)
        async with context.db.read() as session:
            rows = (
                await session.execute(
                    select(Employee.employee_number, Employee.email, Employee.leave_date).order_by(
                        Employee.id
                    )
                )
            ).all()
    emails = Counter(normalise_email(r.email) for r in rows if r.email)
    candidates = [
        r
        for r in rows
        if is_valid_email(r.email)
        and emails[normalise_email(r.email)] == 1
        and r.leave_date is None
    ]
    chosen = rng.sample(candidates, 30)
    preloaded = {normalise_email(r.email): f"acc_pre_{r.employee_number}" for r in chosen}
    strangers = [
        (f"acc_other_{n}", f"someone.else{n}@elsewhere.example", "Other") for n in range(10)
    ]
    preloaded.update({normalise_email(email): account_id for account_id, email, _ in strangers})
    csv_path = write_preload(
        tmp_path / "preload.csv",
        [
            (f"acc_pre_{r.employee_number}", r.email.upper() if i % 2 else r.email, "Pre")
            for i, r in enumerate(chosen)
        ]
        + strangers,
    )

    # 2. The platform: faults, async jobs, a rate limit, pre-existing accounts.
    monkeypatch.setattr(sim_app, "REQUEST_LOG_SIZE", 200_000)
    server = start_simulator(preload=csv_path, seed=11, **SIM)
    logs = tmp_path / "logs"
    logs.mkdir()
    print(f"\nlogs in {logs}")
    processes: list[tuple[str, subprocess.Popen[bytes]]] = []
    started = time.monotonic()

    def spawn(name: str, args: list[str], user: str) -> subprocess.Popen[bytes]:
        env = cli_env(tmp_path, database_url, server.url, user=user, **SYNC)
        # The child keeps its own copies of the log descriptors: ours close at once.
        with open(logs / f"{name}.out", "wb") as out, open(logs / f"{name}.err", "wb") as err:
            process = subprocess.Popen([CLI, *args], env=env, stdout=out, stderr=err)
        processes.append((name, process))
        return process

    kills = 0
    try:
        workers = [spawn(f"worker{i}-0", ["worker"], "benefits-sync") for i in range(WORKERS)]
        # 3. Two users at the same moment, overlapping sets; a third request mid-chaos.
        users = [
            spawn("alice-1", ["sync", "--all", "--search", "an", "--yes", "--no-wait"], "alice"),
            spawn("bob-1", ["sync", "--all", "--search", "ar", "--yes", "--no-wait"], "bob"),
        ]
        # The chaos clock starts with the first platform call, not with the spawns: on a busy
        # machine starting the processes alone can take longer than the squeeze window.
        deadline = time.monotonic() + 60
        while not _platform_calls(server.url) and time.monotonic() < deadline:
            time.sleep(0.05)
        started = time.monotonic()
        generation = [0] * WORKERS
        late_request: subprocess.Popen[bytes] | None = None
        squeezed = relaxed = 0.0
        next_kill = time.monotonic() + KILL_EVERY
        while time.monotonic() - started < CHAOS_SECONDS:
            time.sleep(0.05)
            if late_request is None and time.monotonic() - started > 6:
                late_request = spawn("alice-2", ["sync", "--all", "--yes", "--no-wait"], "alice")
                users.append(late_request)
            if not squeezed and time.monotonic() - started > SQUEEZE[0]:
                sim_config(server.url, rate_limit=SQUEEZE[2])
                squeezed = time.time()
            # The squeeze lasts until the platform has answered a 429 (on a machine so busy
            # that the workers send less than the squeezed rate, that takes longer), and ends
            # two seconds before the chaos does at the latest.
            if (
                squeezed
                and not relaxed
                and time.monotonic() - started > SQUEEZE[1]
                and (
                    sim_get(server.url, "/_sim/stats")["requests_by_status"].get("429")
                    or time.monotonic() - started > CHAOS_SECONDS - 2
                )
            ):
                sim_config(server.url, rate_limit=RATE_LIMIT)
                relaxed = time.time()
            if time.monotonic() >= next_kill:
                index = rng.randrange(WORKERS)
                workers[index].send_signal(signal.SIGKILL)
                workers[index].wait()
                kills += 1
                generation[index] += 1
                workers[index] = spawn(
                    f"worker{index}-{generation[index]}", ["worker"], "benefits-sync"
                )
                next_kill = time.monotonic() + rng.uniform(0.6, 1.4) * KILL_EVERY
        for process in workers:  # the last of them die mid-batch too
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
        for process in users:
            assert process.wait(timeout=60) in (0, 1), "a sync request failed"
        chaos_done = time.monotonic()

        # 4. Drain: whatever was left by the dead is resumed by the next worker.
        drain = run_cli(
            ["worker", "--once"], cli_env(tmp_path, database_url, server.url, **SYNC), timeout=90
        )
        (logs / "drain.err").write_text(drain.stderr)
        assert drain.returncode == 0, drain.stderr
        drained = time.monotonic()

        # 5. The checks.
        async with open_services(database_url, server.url) as context:
            async with context.db.read() as session:
                requested = set(
                    (
                        await session.scalars(
                            select(SyncEvent.employee_id)
                            .where(SyncEvent.action == Action.REQUESTED.value)
                            .distinct()
                        )
                    ).all()
                )
                not_requested_moved = (
                    await session.scalars(
                        select(SyncRecord.employee_id).where(
                            SyncRecord.employee_id.not_in(requested) if requested else true(),
                            SyncRecord.state != SyncState.NOT_SYNCING.value,
                        )
                    )
                ).all()
                reclaimed = await session.scalar(
                    select(SyncEvent.id)
                    .where(SyncEvent.action == Action.LEASE_RECLAIMED.value)
                    .limit(1)
                )
                by_user = Counter(
                    (
                        await session.scalars(
                            select(SyncEvent.actor).where(
                                SyncEvent.action == Action.REQUESTED.value
                            )
                        )
                    ).all()
                )
            outcome = await check_outcome(context, server.url, requested, preloaded=preloaded)
        stats = sim_get(server.url, "/_sim/stats")
        log = sim_get(server.url, "/_sim/requests")["data"]
        windows, violations, latest_in_flight = _retry_after_violations(log)
        (logs / "requests.json").write_text(json.dumps(log))
        faults = Counter(entry.get("fault") for entry in log if entry.get("fault"))
        stderr_all = {
            name: (logs / f"{name}.err").read_text(errors="replace") for name, _ in processes
        } | {"drain": drain.stderr}
        locked = [name for name, text in stderr_all.items() if "database is locked" in text]
        tracebacks = [name for name, text in stderr_all.items() if "Traceback" in text]
        created = sum(
            1 for eid, acc in outcome.account_ids.items() if not acc.startswith("acc_pre_")
        )
        figures = {
            "database": database,
            "employees": EMPLOYEES,
            "requested": len(requested),
            "requested_by_user": dict(by_user),
            "states": dict(outcome.states),
            "kills": kills,
            "requests": len(log),
            "answers_by_status": stats["requests_by_status"],
            "faults_injected": dict(faults),
            "retry_after_windows": windows,
            "requests_inside_retry_after": len(violations),
            "latest_request_within_grace_s": latest_in_flight,
            "simulator_read_lag_max_s": round(max(e["time"] - e["earliest"] for e in log), 3),
            "accounts": stats["accounts"],
            "preloaded_linked": sum(
                1 for acc in outcome.account_ids.values() if acc.startswith("acc_pre_")
            ),
            "created": created,
            "duplicates": stats["duplicate_emails"],
            "lost": len(outcome.lost),
            "leases_reclaimed": reclaimed is not None,
            "chaos_s": round(chaos_done - started, 1),
            "squeeze": [round(squeezed - log[0]["time"], 2), round(relaxed - log[0]["time"], 2)],
            "drain_s": round(drained - chaos_done, 1),
        }
        print(f"\nCHAOS FIGURES ({database}): " + json.dumps(figures, indent=1, sort_keys=True))
        (logs / "figures.json").write_text(json.dumps(figures, indent=1))

        outcome.assert_ok()
        assert stats["duplicate_emails"] == 0
        assert stats["accounts"] == len(preloaded) + created, "an account was created twice"
        assert figures["preloaded_linked"] == sum(
            1 for eid in outcome.account_ids if outcome.account_ids[eid].startswith("acc_pre_")
        )
        assert len(requested) >= EMPLOYEES * 0.95, (
            "the late --all request should have covered every current employee"
        )
        assert not not_requested_moved, (
            f"employees nobody asked for were synced: {not_requested_moved[:5]}"
        )
        assert kills >= 8
        assert not locked, f"'database is locked' in the stderr of {locked}"
        assert not tracebacks, "tracebacks in " + ", ".join(
            f"{name}: {stderr_all[name][-1500:]}" for name in tracebacks
        )
        assert not violations, (
            f"{len(violations)} requests inside a Retry-After window: {violations[:10]}"
        )
        assert faults and stats["requests_by_status"].get("429"), (
            "the faults did not happen: the test proves nothing"
        )
    finally:
        for _, process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        server.stop()
