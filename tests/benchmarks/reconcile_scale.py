"""Reconciling N employees with N platform accounts (RULES §1.16): calls, seconds, memory.

Seeds N employees into a fresh SQLite database, gives each a linked account on the platform
(a simulator subprocess preloaded from a CSV of what a sync would have sent, built with the
sync's own ``account_body``), plants drift (1 % surnames edited on the platform, 0.5 %
accounts gone, 0.5 % accounts nobody owns; the seed's own leavers are active leavers), then
runs ``benefits-tui reconcile --json`` in a fresh process against the simulator on a real
socket and reports that process's wall time, peak RSS and platform calls, and whether the
findings are exactly the planted ones. The seed's addresses are cleared: the simulator's
preload has no address column.

Prints ONE JSON object; exit status 1 when the findings differ from what was planted, the
calls are more than one per page (+1), or peak RSS is over the limit.

    python tests/benchmarks/reconcile_scale.py [--employees 100000] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from benefits_tui.config import load_settings  # noqa: E402
from benefits_tui.db.models import Employee, SyncRecord  # noqa: E402
from benefits_tui.domain.states import SyncState  # noqa: E402
from benefits_tui.platform.contract import WRITABLE_FIELDS  # noqa: E402
from benefits_tui.services.context import open_context  # noqa: E402
from benefits_tui.services.reconcile.engine import PAGE_SIZE  # noqa: E402
from benefits_tui.services.reconcile.findings import hr_body  # noqa: E402
from benefits_tui.services.seed import seed_employees  # noqa: E402
from benefits_tui.services.sync.preflight import EMPLOYEE_COLUMNS  # noqa: E402
from tests.benchmarks._simulator_process import SimulatorProcess  # noqa: E402

TOKEN = "bench-reconcile-token"
MAX_RSS_MB = 300
COLUMNS = ("id", *[name for name in WRITABLE_FIELDS if name != "address"], "status")


async def prepare(url: str, employees: int, csv_path: Path) -> dict[str, int]:
    """Seed, link every employee to an account written to ``csv_path``; plant drift."""
    settings = load_settings(database_url=url, user="bench")
    planted = {"field_drift": 0, "missing_on_platform": 0, "orphan": 0, "active_leaver": 0}
    async with open_context(settings) as context:
        await seed_employees(context, employees, seed=11)

        def link_all(session: Session) -> None:
            session.execute(update(Employee).values(address=None))
            session.execute(
                update(SyncRecord).values(
                    state=SyncState.SUCCESSFUL.value,
                    account_id="acc_"
                    + select(Employee.employee_number)
                    .where(Employee.id == SyncRecord.employee_id)
                    .scalar_subquery(),
                    synced_revision=1,
                    updated_at=context.clock.now(),
                )
            )

        await context.db.run_write(link_all)
        async with context.db.read() as session:
            result = await session.stream(select(*EMPLOYEE_COLUMNS).order_by(Employee.id))
            with csv_path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=COLUMNS)
                writer.writeheader()
                index = 0
                async for row in result:
                    index += 1
                    if index % 200 == 0:  # the platform lost this one
                        planted["missing_on_platform"] += 1
                        continue
                    body = hr_body(cast(Mapping[str, Any], row._mapping))
                    if index % 100 == 0:
                        body["surname"] = body["surname"] + " (edited on the platform)"
                        planted["field_drift"] += 1
                    if row.leave_date is not None:
                        planted["active_leaver"] += 1
                    writer.writerow(
                        {"id": f"acc_{row.employee_number}", "status": "active"}
                        | {name: body.get(name, "") for name in COLUMNS if name in body}
                    )
                for extra in range(employees // 200):  # accounts no HR employee owns
                    planted["orphan"] += 1
                    writer.writerow(
                        {
                            "id": f"acc_orphan_{extra}",
                            "external_id": f"X{extra:06d}",
                            "email": f"orphan{extra}@elsewhere.example",
                            "forenames": "Hand",
                            "surname": "Made",
                            "status": "active",
                        }
                    )
    return planted


def run_reconcile(url: str, api_url: str) -> tuple[int, dict[str, Any], float, float]:
    """``benefits-tui reconcile --json`` in a fresh process: (exit, JSON, seconds, peak MB)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "BENEFITS_TUI_DATABASE_URL": url,
        "BENEFITS_API_URL": api_url,
        "BENEFITS_API_TOKEN": TOKEN,
        "BENEFITS_TUI_USER": "bench",
    }
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        code = subprocess.call(
            [sys.executable, "-m", "benefits_tui", "reconcile", "--json"],
            env=env,
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - started
        out.seek(0)
        document = json.loads(out.read() or b"{}")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return code, document, seconds, peak_kb / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'hr.db'}"
        csv_path = Path(tmp) / "accounts.csv"
        began = time.perf_counter()
        planted = asyncio.run(prepare(url, args.employees, csv_path))
        prepared = time.perf_counter() - began
        simulator = SimulatorProcess(
            TOKEN,
            latency_ms=args.latency_ms,
            start_timeout=300,
            extra_args=("--preload", str(csv_path)),
        )
        try:
            accounts = simulator.stats()["accounts"]
            code, document, seconds, peak_mb = run_reconcile(url, simulator.url)
        finally:
            simulator.stop()
    counts = document.get("counts", {})
    expected = {
        "field_drift": planted["field_drift"],
        "terminated_on_platform": 0,
        "missing_on_platform": planted["missing_on_platform"],
        "active_leaver": planted["active_leaver"],
        "unlinked_match": 0,
        "orphan": planted["orphan"],
    }
    calls = document.get("platform_calls", 0)
    pages = -(-accounts // PAGE_SIZE)
    result = {
        "benchmark": "reconcile_scale",
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
        },
        "employees": args.employees,
        "platform_accounts": accounts,
        "latency_ms": args.latency_ms,
        "setup_seconds": round(prepared, 1),
        "reconcile": {
            "exit_code": code,
            "seconds": round(seconds, 2),
            "platform_calls": calls,
            "pages": pages,
            "accounts_per_second": round(accounts / seconds) if seconds else None,
            "peak_rss_mb": round(peak_mb, 1),
            "checked_employees": document.get("checked_employees"),
            "findings": sum(counts.values()) if counts else None,
        },
        "counts": counts,
        "planted": expected,
        "targets": {
            "findings_exactly_planted": counts == expected,
            # One call per page, plus the look-ups that confirm a few missing accounts.
            "calls_per_page": calls <= pages + 1 + 50,
            f"peak_rss_under_{MAX_RSS_MB}_mb": peak_mb <= MAX_RSS_MB,
        },
    }
    print(json.dumps(result, indent=2))
    return 0 if all(result["targets"].values()) and code == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
