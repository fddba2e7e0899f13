"""``benefits-tui simulator`` in a subprocess (its own GIL, state in memory), for benchmarks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SimulatorProcess:
    """Starts the simulator on a free loopback port and waits until it accepts connections."""

    def __init__(
        self,
        token: str,
        *,
        latency_ms: float,
        rate_limit: float = 0,
        start_timeout: float = 30,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }
        env.pop("BENEFITS_API_TOKEN_FILE", None)
        env["BENEFITS_API_TOKEN"] = token  # not on the command line, where `ps` shows it
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benefits_tui",
                "simulator",
                "--port",
                str(self.port),
                "--state",
                ":memory:",
                "--latency-ms",
                str(latency_ms),
                "--rate-limit",
                str(rate_limit),
                *extra_args,  # e.g. --preload accounts.csv
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + start_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"simulator exited: {self.proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("simulator did not start") from None
                time.sleep(0.05)

    def _get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read())

    def stats(self) -> dict[str, Any]:
        return dict(self._get("/_sim/stats"))

    def request_log(self) -> list[dict[str, Any]]:
        """The simulator's most recent /v1 requests (up to 10,000), oldest first."""
        return list(self._get("/_sim/requests")["data"])

    def cpu_seconds(self) -> float | None:
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
