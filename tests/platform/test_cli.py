"""The ``simulator`` click command: help text and flag validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from benefits_tui.cli.simulator_cmd import simulator


def test_help_lists_every_spec_flag() -> None:
    result = CliRunner().invoke(simulator, ["--help"])
    assert result.exit_code == 0
    for flag in [
        "--host",
        "--port",
        "--state",
        "--token",
        "--latency-ms",
        "--jitter-ms",
        "--async-ratio",
        "--job-delay-ms",
        "--fail-rate",
        "--timeout-rate",
        "--rate-limit",
        "--preload",
        "--seed",
        "--hang-ms",
        "BENEFITS_API_TOKEN",
    ]:
        assert flag in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["--fail-rate", "1.5"],
        ["--async-ratio", "-0.1"],
        ["--timeout-rate", "2"],
        ["--latency-ms", "-1"],
        ["--rate-limit", "-3"],
        ["--port", "70000"],
        ["--fail-rate", "0.6", "--timeout-rate", "0.6"],
        ["--preload", "/nonexistent/accounts.csv"],
    ],
)
def test_bad_flags_are_usage_errors(args: list[str]) -> None:
    result = CliRunner().invoke(simulator, ["--token", "t", *args])
    assert result.exit_code == 2 and "Error" in result.output and "Traceback" not in result.output


def test_missing_token_says_what_to_set(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        simulator, ["--state", str(tmp_path / "s.db")], env={"BENEFITS_API_TOKEN": None}
    )
    assert result.exit_code == 2 and "BENEFITS_API_TOKEN" in result.output


def test_serves_with_the_given_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    def fake_serve(config, host, port):  # type: ignore[no-untyped-def]
        seen.update(config=config, host=host, port=port)

    monkeypatch.setattr("benefits_tui.platform.simulator.server.serve", fake_serve)
    token_file = tmp_path / "token"
    token_file.write_text("from-file\n")
    token_file.chmod(0o600)  # a token file others can read is refused
    result = CliRunner().invoke(
        simulator,
        [
            "--port",
            "0",
            "--state",
            ":memory:",
            "--async-ratio",
            "0.25",
            "--rate-limit",
            "50",
            "--seed",
            "9",
        ],
        env={"BENEFITS_API_TOKEN": None, "BENEFITS_API_TOKEN_FILE": str(token_file)},
    )
    assert result.exit_code == 0, result.output
    config = seen["config"]
    assert config.token == "from-file" and config.state_path is None and seen["port"] == 0
    assert config.async_ratio == 0.25 and config.rate_limit == 50 and config.seed == 9
    assert "from-file" not in repr(config)
