"""Throughput of the Benefits simulator over a real socket (uvicorn, in a subprocess).

Fires N requests (look-ups by email, creates with idempotency keys, and reads by ID) with
a fixed concurrency over keep-alive connections and prints ONE JSON object. The simulator
must sustain >= 1,000 requests/s with no faults and no latency; exit status 1 if not.

    /work/venv/bin/python tests/benchmarks/simulator_throughput.py [--requests N] [--concurrency C]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "bench-token"
TARGET_RPS = 1000.0

SERVER_CODE = """
import sys
from benefits_tui.platform.simulator.config import SimulatorConfig
from benefits_tui.platform.simulator.server import serve
serve(SimulatorConfig(token=sys.argv[1], state_path=sys.argv[2]), port=int(sys.argv[3]))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"simulator exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("simulator did not start")


def _body(n: int, run: str) -> dict[str, object]:
    return {
        "external_id": f"E{n:06d}",
        "forenames": "Zoë",
        "surname": f"Bench{n}",
        "date_of_birth": "1985-06-15",
        "gender": "F",
        "title": "Ms",
        "email": f"bench{n}.{run}@example.com",
        "annual_pay": 30000 + n,
        "pay_basis": "Salary",
        "pay_frequency": "Monthly",
        "benefit_level": "CORE",
    }


class _Conn:
    """A minimal HTTP/1.1 keep-alive client connection (httpx costs ~1.5 ms CPU a request,
    more than the server itself, so it cannot load the server from the one spare core)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> _Conn:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def request(
        self, method: str, target: str, body: bytes = b"", key: str | None = None
    ) -> tuple[int, bytes]:
        head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
        if key:
            head += f"Idempotency-Key: {key}\r\n"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        status = int(raw[9:12])
        length = 0
        for line in raw.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length) if length else b""

    def close(self) -> None:
        self.writer.close()


async def _fire(
    port: int, requests: int, concurrency: int
) -> tuple[float, Counter[int], list[float]]:
    run = uuid.uuid4().hex[:8]
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    counter = iter(range(requests))
    created: list[str] = []
    conns = [await _Conn.open(port) for _ in range(concurrency)]

    async def worker(conn: _Conn) -> None:
        for n in counter:
            kind = n % 4  # 2 look-ups : 1 create : 1 read by id
            t0 = time.perf_counter()
            if kind == 2:
                body = json.dumps(_body(n, run)).encode()
                status, data = await conn.request("POST", "/v1/accounts", body, key=f"{run}-{n}")
                if status == 201:
                    created.append(json.loads(data)["id"])
            elif kind == 3 and created:
                status, _ = await conn.request("GET", f"/v1/accounts/{created[-1]}")
            else:
                email = quote(f"bench{max(0, n - 8)}.{run}@example.com")
                status, _ = await conn.request("GET", f"/v1/accounts?email={email}")
            latencies.append(time.perf_counter() - t0)
            statuses[status] += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker(conn) for conn in conns))
    elapsed = time.perf_counter() - start
    for conn in conns:
        conn.close()
    return elapsed, statuses, latencies


async def _stats(port: int) -> dict[str, object]:
    conn = await _Conn.open(port)
    try:
        _status, data = await conn.request("GET", "/_sim/stats")
        return dict(json.loads(data))
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        state = os.path.join(tmp, "bench.db")
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVER_CODE, TOKEN, state, str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        try:
            _wait_for(port, proc)
            elapsed, statuses, latencies = asyncio.run(_fire(port, args.requests, args.concurrency))
            stats = asyncio.run(_stats(port))
        finally:
            proc.terminate()
            proc.wait(10)
    latencies.sort()
    rps = args.requests / elapsed
    errors = sum(n for status, n in statuses.items() if status >= 400)
    result = {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "seconds": round(elapsed, 3),
        "requests_per_s": round(rps, 1),
        "target_requests_per_s": TARGET_RPS,
        "ok": rps >= TARGET_RPS and errors == 0,
        "errors": errors,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "latency_ms_p50": round(latencies[len(latencies) // 2] * 1000, 2),
        "latency_ms_p99": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
        "simulator_accounts": stats["accounts"],
        "simulator_duplicate_emails": stats["duplicate_emails"],
    }
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
