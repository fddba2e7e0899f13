"""Throughput of a batch sync against the simulator over a real socket (RULES §5, Throughput).

Seeds N employees into a fresh database, starts the simulator in a subprocess (so it does
not share the GIL with the engine), requests a sync of everyone Not syncing and drains it
with ``SyncWorker(ctx, concurrency=C)``. Three runs, each with a fresh database and simulator:

* ``rate_limited``: simulator limit R requests/s, latency L, the engine's client-side limit
  set to R (the sensible configuration for a known provider limit). Target: successful
  requests/s >= 0.9 R, 429s < 2 %, about 2 requests per new account.
* ``rate_limited_no_client_limit``: the same, with the client-side limit off (reported only).
* ``unlimited``: no limit, latency L. Target: requests/s x L >= 0.8 C.

Each run also reports how long SQLite's write lock was held per write transaction during the
drain (``sqlite_write_lock_held_ms``: the time other processes would wait for it).

Prints ONE JSON object; exit status 1 when a target is missed.

    /work/venv/bin/python tests/benchmarks/sync_throughput.py [--employees N] [--rate-limit R]
        [--latency-ms L] [--concurrency C] [--database-url URL]

``--database-url`` must name a THROW-AWAY database: before each run it is emptied
(PostgreSQL: ``DROP SCHEMA public CASCADE``). The default is a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, event, func, select  # noqa: E402

from benefits_tui.config import load_settings  # noqa: E402
from benefits_tui.db.models import SyncRecord  # noqa: E402
from benefits_tui.domain.states import SyncState  # noqa: E402
from benefits_tui.services.context import open_context  # noqa: E402
from benefits_tui.services.queries import EmployeeFilter  # noqa: E402
from benefits_tui.services.seed import seed_employees  # noqa: E402
from benefits_tui.services.sync.requests import Selection, request_sync  # noqa: E402
from benefits_tui.services.sync.worker import SyncWorker  # noqa: E402
from tests.benchmarks._simulator_process import SimulatorProcess  # noqa: E402
from tests.databases import empty_public_schema  # noqa: E402

TOKEN = "bench-sync-token"
RATE_SHARE_TARGET = 0.9
MAX_429_SHARE = 0.02
MAX_REQUESTS_PER_ACCOUNT = 2.2
CONCURRENCY_SHARE_TARGET = 0.8


# ------------------------------------------------------------------ the simulator
# ------------------------------------------------------------------- the database
async def _empty_database(url: str) -> None:
    if url.startswith("postgresql"):
        await empty_public_schema(url)


# ------------------------------------------------------------- SQLite's write lock
class WriteLockHold:
    """How long each SQLite write transaction held the write lock: from its ``BEGIN
    IMMEDIATE`` to its ``COMMIT`` or ``ROLLBACK`` (every engine of this process)."""

    def __init__(self) -> None:
        self.held: list[float] = []
        self._began: dict[int, float] = {}

    def _after_execute(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement == "BEGIN IMMEDIATE":
            self._began[id(conn.connection.dbapi_connection)] = time.perf_counter()

    def _end(self, conn: Any) -> None:
        began = self._began.pop(id(conn.connection.dbapi_connection), None)
        if began is not None:
            self.held.append(time.perf_counter() - began)

    def __enter__(self) -> WriteLockHold:
        event.listen(Engine, "after_cursor_execute", self._after_execute)
        event.listen(Engine, "commit", self._end)
        event.listen(Engine, "rollback", self._end)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(Engine, "after_cursor_execute", self._after_execute)
        event.remove(Engine, "commit", self._end)
        event.remove(Engine, "rollback", self._end)

    def summary(self) -> dict[str, Any] | None:
        if not self.held:
            return None  # PostgreSQL: no database-wide write lock
        held = sorted(self.held)

        def ms(share: float) -> float:
            return round(held[min(len(held) - 1, int(share * len(held)))] * 1000, 2)

        return {
            "write_transactions": len(held),
            "p50": ms(0.5),
            "p90": ms(0.9),
            "p99": ms(0.99),
            "max": round(held[-1] * 1000, 1),
            "total_s": round(sum(held), 2),
        }


# ------------------------------------------------------------------------ one run
async def _run(
    name: str,
    *,
    database_url: str,
    employees: int,
    sim_rate: float,
    client_rate: float,
    latency_ms: float,
    concurrency: int,
    profile: str | None,
) -> dict[str, Any]:
    await _empty_database(database_url)
    sim = SimulatorProcess(TOKEN, rate_limit=sim_rate, latency_ms=latency_ms)
    try:
        settings = load_settings(
            database_url=database_url, api_url=sim.url, api_token=TOKEN, user="bench"
        )
        settings.sync = settings.sync.model_copy(
            update={"rate_limit": client_rate, "concurrency": concurrency}
        )
        async with open_context(settings) as ctx:
            await seed_employees(ctx, employees, seed=1)
            result = await request_sync(
                ctx, Selection.all_in(EmployeeFilter(SyncState.NOT_SYNCING))
            )
            worker = SyncWorker(ctx, concurrency=concurrency)
            await worker.rules()  # picklists and levels: fetched once, outside the timing
            before = sim.stats()["requests_by_status"]
            sim_cpu0 = sim.cpu_seconds()
            profiler = None
            if profile:
                import pyinstrument

                profiler = pyinstrument.Profiler(async_mode="enabled")
                profiler.start()
            cpu0, t0 = time.process_time(), time.perf_counter()
            with anyio.fail_after(600), WriteLockHold() as lock_hold:
                await worker.drain()
            elapsed = time.perf_counter() - t0
            cpu = time.process_time() - cpu0
            if profile and profiler is not None:
                profiler.stop()
                Path(profile).write_text(profiler.output_text(unicode=False, show_all=False))
            sim_cpu1 = sim.cpu_seconds()
            stats = sim.stats()
            log = sim.request_log()
            async with ctx.db.read() as session:
                states = dict(
                    (
                        await session.execute(
                            select(SyncRecord.state, func.count()).group_by(SyncRecord.state)
                        )
                    ).all()
                )
    finally:
        sim.stop()
    by_status = {
        k: v - before.get(k, 0)
        for k, v in stats["requests_by_status"].items()
        if v - before.get(k, 0)
    }
    total = sum(by_status.values())
    throttled = by_status.get("429", 0)
    ok = total - throttled
    rps = ok / elapsed
    steady = _steady_rate(log)
    out: dict[str, Any] = {
        "employees_queued": result.queued,
        "rejected_by_preflight": result.rejected,
        "seconds": round(elapsed, 2),
        "requests": total,
        "requests_by_status": by_status,
        "requests_per_s": round(rps, 1),
        "requests_per_s_steady": round(steady, 1) if steady else None,
        "share_429": round(throttled / total, 4) if total else 0.0,
        "requests_per_employee": round(total / result.queued, 3) if result.queued else None,
        "requests_per_new_account": round(ok / stats["accounts"], 3) if stats["accounts"] else None,
        "accounts_created": stats["accounts"],
        "duplicate_emails": stats["duplicate_emails"],
        "employees_per_s": round(result.queued / elapsed, 1),
        "final_states": states,
        "engine_cpu_ms_per_request": round(cpu * 1000 / total, 2) if total else None,
        "sqlite_write_lock_held_ms": lock_hold.summary(),
        "simulator_cpu_ms_per_request": (
            round((sim_cpu1 - sim_cpu0) * 1000 / total, 2)
            if total and sim_cpu0 is not None and sim_cpu1
            else None
        ),
    }
    if os.environ.get("SYNC_BENCH_TIMELINE"):  # requests per 0.5 s, to stderr
        start = log[0]["time"] if log else 0.0
        buckets: dict[int, int] = {}
        for entry in log:
            slot = int((entry["time"] - start) / 0.5)
            buckets[slot] = buckets.get(slot, 0) + 1
        print(
            name, [buckets.get(i, 0) for i in range(max(buckets, default=-1) + 1)], file=sys.stderr
        )
    if sim_rate:
        out["rate_limit"] = sim_rate
        out["client_rate_limit"] = client_rate
        out["achieved_over_rate_limit"] = round(rps / sim_rate, 3)
    else:
        achieved = rps * latency_ms / 1000
        out["achieved_concurrency"] = round(achieved, 2)
        out["achieved_over_configured_concurrency"] = round(achieved / concurrency, 3)
    out["ok"] = _meets_target(name, out, sim_rate, concurrency)
    return out


def _steady_rate(log: list[dict[str, Any]]) -> float | None:
    """Successful requests/s between the 5th and the 95th percentile of arrival times: the
    run without its ramp-up and its tail."""
    times = sorted(entry["time"] for entry in log if entry.get("status") != 429)
    if len(times) < 40:
        return None
    low, high = times[len(times) * 5 // 100], times[len(times) * 95 // 100]
    inside = sum(1 for t in times if low <= t < high)
    return inside / (high - low) if high > low else None


def _meets_target(name: str, out: dict[str, Any], sim_rate: float, concurrency: int) -> bool | None:
    done = (
        out["final_states"].get(SyncState.IN_PROGRESS.value, 0) == 0
        and out["duplicate_emails"] == 0
    )
    if name == "rate_limited":
        return bool(
            done
            and out["achieved_over_rate_limit"] >= RATE_SHARE_TARGET
            and out["share_429"] < MAX_429_SHARE
            and (out["requests_per_new_account"] or 0) <= MAX_REQUESTS_PER_ACCOUNT
        )
    if name == "unlimited":
        return bool(
            done and out["achieved_over_configured_concurrency"] >= CONCURRENCY_SHARE_TARGET
        )
    return None  # reported, no target


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    runs: dict[str, Any] = {}
    plans = [
        ("rate_limited", args.rate_limit, args.rate_limit),
        ("rate_limited_no_client_limit", args.rate_limit, 0.0),
        ("unlimited", 0.0, 0.0),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, sim_rate, client_rate in plans:
            if args.only and name not in args.only.split(","):
                continue
            url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / (name + '.db')}"
            profile = f"{args.profile}.{name}.txt" if args.profile else None
            runs[name] = await _run(
                name,
                database_url=url,
                employees=args.employees,
                sim_rate=sim_rate,
                client_rate=client_rate,
                latency_ms=args.latency_ms,
                concurrency=args.concurrency,
                profile=profile,
            )
    targets = [run["ok"] for run in runs.values() if run["ok"] is not None]
    return {
        "benchmark": "sync_throughput",
        "employees": args.employees,
        "rate_limit": args.rate_limit,
        "latency_ms": args.latency_ms,
        "concurrency": args.concurrency,
        "database": "postgresql"
        if (args.database_url or "").startswith("postgresql")
        else "sqlite",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "runs": runs,
        "ok": all(targets),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=600)
    parser.add_argument(
        "--rate-limit", type=float, default=100.0, help="simulator (and client-side) requests/s"
    )
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=8, help="the product's default")
    parser.add_argument("--database-url", help="a THROW-AWAY database (emptied before each run)")
    parser.add_argument("--only", help="comma-separated run names")
    parser.add_argument(
        "--profile", help="write a pyinstrument profile of each run to PREFIX.<run>.txt"
    )
    args = parser.parse_args()
    result = asyncio.run(_main(args))
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
