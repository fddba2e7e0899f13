"""The platform contract, checked by tools no one here wrote.

``openapi-spec-validator`` validates ``assets/benefits-api.openapi.yaml``; ``schemathesis run``
(every check, every phase including the stateful one, configured by ``schemathesis.toml`` with
its hooks file) fuzzes a real ``benefits-tui simulator`` on a loopback port. The run is short
and reproducible (fixed seed, few examples); README "Contract tests" gives the fuller command.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "assets" / "benefits-api.openapi.yaml"
SEED = 14
MAX_EXAMPLES = 10  # per operation and phase: enough to reach every status, short enough for CI


def test_the_openapi_file_is_valid_openapi_3_1() -> None:
    spec, _ = read_from_filename(str(SPEC))
    validate(spec)  # raises OpenAPIValidationError naming the first problem
    assert str(spec["openapi"]).startswith("3.1")


@dataclass
class Simulator:
    url: str
    token: str
    process: subprocess.Popen[bytes]

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[Simulator]:
    """``benefits-tui simulator`` in a subprocess; a share of writes answer 202 + job."""
    port = _free_port()
    token = "contract-" + secrets.token_hex(12)
    env = {**os.environ, "BENEFITS_API_TOKEN": token}  # the token never goes on a command line
    env.pop("BENEFITS_API_TOKEN_FILE", None)
    command = [sys.executable, "-m", "benefits_tui", "simulator", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--state", str(tmp_path / "sim.db"), "--seed", str(SEED)]
    command += ["--async-ratio", "0.3", "--job-delay-ms", "50"]
    log = (tmp_path / "simulator.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    sim = Simulator(f"http://127.0.0.1:{port}", token, process)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "simulator.log").read_text()
            try:
                sim.get("/_sim/stats")
                break
            except OSError:
                assert time.monotonic() < deadline, "the simulator did not start in 30 s"
                time.sleep(0.1)
        yield sim
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.mark.slow
def test_schemathesis_finds_nothing_against_the_simulator(simulator: Simulator) -> None:
    executable = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert executable, "schemathesis is a test dependency: pip install -e '.[test]'"
    env = {**os.environ, "BENEFITS_API_TOKEN": simulator.token, "SCHEMATHESIS_HOOKS": ""}
    result = subprocess.run(
        [
            executable,
            "run",
            str(SPEC),
            "--url",
            simulator.url,
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            "--workers",
            "1",
            "--no-color",
        ],
        cwd=ROOT,  # where schemathesis.toml (auth, hooks, operations) is found
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    assert simulator.token not in output
    # The success paths were reached, asynchronous ones included, so every kind of answer
    # the file describes was validated against it.
    statuses = simulator.get("/_sim/stats")["requests_by_status"]
    assert {"200", "201", "202", "400", "401", "404", "405", "422"} <= set(statuses), statuses
    log = simulator.get("/_sim/requests")["data"]
    assert any(e["path"].startswith("/v1/jobs/") and e["status"] == 200 for e in log)
    assert any(e["method"] == "PATCH" and e["status"] == 200 for e in log)
    assert any(e["path"].endswith("/termination") and e["status"] == 200 for e in log)
