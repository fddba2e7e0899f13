"""RULES §5 Secrets: the API token never appears in the history, the logs, error messages,
reprs, CLI output (failures included), exports or crash logs; secret-bearing files that
other users can read are refused; the SQLite database is private to its owner."""

from __future__ import annotations

import io
import logging
import os
import stat
import traceback
from pathlib import Path
from typing import Any

import httpx
import pytest

from benefits_tui.config import ConfigError, load_settings
from benefits_tui.platform import errors as platform_errors
from benefits_tui.platform.client import BenefitsClient
from benefits_tui.platform.simulator.app import create_app
from benefits_tui.platform.simulator.config import SimulatorConfig
from benefits_tui.platform.simulator.server import start_in_thread
from benefits_tui.services.csv_export import export_csv, export_filter
from benefits_tui.services.sync.requests import Selection, request_sync
from benefits_tui.services.sync.worker import SyncWorker
from tests.conftest import new_sqlite_url
from tests.helpers import NO_PLATFORM, TOKEN, Simulator, add_people, drain, run_cli, services
from tests.reliability.common import cli_env, start_simulator

ECHO = f"Authorization: Bearer {TOKEN}"  # what a careless platform might echo back


def assert_clean(where: str, text: str) -> None:
    assert TOKEN not in text, f"the API token appears in {where}: ...{_around(text)}..."
    # Not even most of it: a clipped token is still a leaked token.
    assert TOKEN[4:-4] not in text, (
        f"part of the API token appears in {where}: ...{_around(text, TOKEN[4:-4])}..."
    )


def _around(text: str, needle: str = TOKEN) -> str:
    at = text.find(needle)
    return text[max(0, at - 80) : at + len(needle) + 40]


def _database_bytes(path: Path) -> str:
    data = b""
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = Path(str(path) + suffix)
        if candidate.exists():
            data += candidate.read_bytes()
    return data.decode("utf-8", errors="replace")


class _WrongTokenPlatform:
    """A simulator that expects another token: every call is answered 401."""

    def __init__(self) -> None:
        self.app = create_app(SimulatorConfig(token="sk_live_the-right-one-0000"))
        self.transport = httpx.ASGITransport(app=self.app)


# ------------------------------------------------------------------ in-process


async def test_history_logs_and_export_never_hold_the_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore included
    database = tmp_path / "hr.db"
    url = f"sqlite+aiosqlite:///{database}"
    sim = Simulator(fail_rate=0.3, async_ratio=0.5, job_delay_ms=0, seed=3)
    async with services(url, sim, max_retry_seconds=0.5) as context:
        ids = await add_people(context, 8)
        ids += await add_people(context, 1, start=20, email="broken-address")
        await request_sync(context, Selection.of(ids))
        await drain(SyncWorker(context), 30)
        # Everything sent again to a platform that refuses the token: 401s into history.
        more = await add_people(context, 3, start=40)
        await request_sync(context, Selection.of(more))
    async with services(url, _WrongTokenPlatform(), max_retry_seconds=0.3) as context:  # type: ignore[arg-type]
        await drain(SyncWorker(context), 30)
        out = io.StringIO()
        await export_csv(context, export_filter("all"), out)
        assert_clean("repr of the service context", repr(context))
        assert_clean(
            "repr of the settings", repr(context.settings) + str(context.settings.model_dump())
        )
        assert_clean("repr of the client", repr(context.platform()) + str(context.platform()))
    assert "failed" in out.getvalue() and "401" in _database_bytes(database), (
        "the 401s did not happen"
    )
    assert_clean("the export", out.getvalue())
    assert_clean("the database (history, records)", _database_bytes(database))
    logged = caplog.text + "".join(
        f"{record.getMessage()} {record.exc_text or ''} {record.args!r}"
        for record in caplog.records
    )
    assert any(r.name.startswith("httpcore") or r.name.startswith("httpx") for r in caplog.records)
    assert_clean("the logs", logged)


def _echoing_transport(
    status: int,
    body: Any = None,
    *,
    content_type: str = "application/problem+json",
    raise_: Exception | None = None,
) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if raise_ is not None:
            raise raise_
        echoed = request.headers.get("authorization", "")
        payload = (
            body
            if body is not None
            else {
                "type": "about:blank",
                "title": f"echo {echoed}",
                "status": status,
                "code": "echo",
                "detail": f"request had {echoed}",
                "errors": [{"field": "email", "code": "invalid", "message": f"see {echoed}"}],
            }
        )
        if isinstance(payload, str):
            return httpx.Response(
                status,
                text=payload.replace("{auth}", echoed),
                headers={"content-type": content_type, "retry-after": "1"},
            )
        return httpx.Response(
            status, json=payload, headers={"content-type": content_type, "retry-after": "1"}
        )

    return httpx.MockTransport(handler)


ERROR_CASES: list[tuple[str, dict[str, Any]]] = [
    ("400", {"status": 400}),
    ("401", {"status": 401}),
    ("403", {"status": 403}),
    ("404", {"status": 404}),
    ("409 email_in_use", {"status": 409}),
    (
        "409 in flight",
        {"status": 409, "body": {"code": "idempotency_key_in_use", "detail": f"key of {ECHO}"}},
    ),
    ("422", {"status": 422}),
    (
        "422 key reused",
        {"status": 422, "body": {"code": "idempotency_key_reused", "detail": f"{ECHO}"}},
    ),
    ("429", {"status": 429}),
    ("500", {"status": 500}),
    ("503 html", {"status": 503, "body": "<html>{auth}</html>", "content_type": "text/html"}),
    ("418", {"status": 418}),
    ("200 not json", {"status": 200, "body": "oops {auth}", "content_type": "text/plain"}),
    ("connect error", {"status": 0, "raise_": httpx.ConnectError(f"refused for {ECHO}")}),
    ("connect timeout", {"status": 0, "raise_": httpx.ConnectTimeout(f"slow {ECHO}")}),
    ("read timeout", {"status": 0, "raise_": httpx.ReadTimeout(f"slow {ECHO}")}),
    ("pool timeout", {"status": 0, "raise_": httpx.PoolTimeout(f"busy {ECHO}")}),
    ("dropped", {"status": 0, "raise_": httpx.RemoteProtocolError(f"dropped {ECHO}")}),
    ("other", {"status": 0, "raise_": httpx.DecodingError(f"odd {ECHO}")}),
    ("unsendable", {"status": 0, "raise_": httpx.LocalProtocolError(f"header {ECHO}")}),
]


@pytest.mark.parametrize(("name", "case"), ERROR_CASES, ids=[name for name, _ in ERROR_CASES])
async def test_platform_errors_never_hold_the_token(name: str, case: dict[str, Any]) -> None:
    case = dict(case)
    status = case.pop("status")
    transport = _echoing_transport(status, **case)
    seen: list[type[BaseException]] = []
    async with BenefitsClient(
        "http://benefits.test", TOKEN, transport=transport, get_retries=0
    ) as client:
        assert_clean("repr of the client", repr(client) + str(client) + repr(vars(client)))
        for call in (
            lambda: client.find_account_by_email("a@example.com"),
            lambda: client.create_account({"email": "a@example.com"}, "key-1"),
            lambda: client.get_job("job_1"),
        ):
            with pytest.raises(platform_errors.PlatformError) as info:
                await call()
            exc = info.value
            seen.append(type(exc))
            text = " ".join(
                [
                    str(exc),
                    repr(exc),
                    repr(exc.args),
                    repr(exc.problem),
                    exc.problem.summary() if exc.problem else "",
                    "".join(traceback.format_exception(exc)),
                ]
            )
            assert_clean(f"a {type(exc).__name__} ({name})", text)
    assert seen


async def test_every_error_class_is_covered() -> None:
    """Every concrete class in the taxonomy is produced by one of the cases above."""
    produced: set[str] = set()
    for _, given in ERROR_CASES:
        case = dict(given)
        transport = _echoing_transport(case.pop("status"), **case)
        async with BenefitsClient(
            "http://benefits.test", TOKEN, transport=transport, get_retries=0
        ) as client:
            for call in (
                lambda: client.find_account_by_email("a@example.com"),
                lambda: client.create_account({"email": "a@example.com"}, "key-1"),
            ):
                try:
                    await call()
                except platform_errors.PlatformError as exc:
                    produced.add(type(exc).__name__)
    concrete = {
        name
        for name in platform_errors.__all__
        if name not in ("PlatformError", "PermanentError", "TransientError")
    }
    assert concrete <= produced, f"not exercised: {concrete - produced}"


async def test_crash_log_never_holds_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from benefits_tui.cli.crash_log import report_crash

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    config = tmp_path / "config.toml"
    config.write_text(f'api_token = "{TOKEN}"\n')
    config.chmod(0o600)
    for source in (
        {"BENEFITS_API_TOKEN": TOKEN},
        {"BENEFITS_API_TOKEN_FILE": str(token_file)},
        {"BENEFITS_TUI_CONFIG": str(config)},
    ):
        for name in ("BENEFITS_API_TOKEN", "BENEFITS_API_TOKEN_FILE", "BENEFITS_TUI_CONFIG"):
            monkeypatch.delenv(name, raising=False)
        for name, value in source.items():
            monkeypatch.setenv(name, value)
        assert load_settings().token() == TOKEN
        try:
            raise RuntimeError(f"something went wrong while sending {ECHO}")
        except RuntimeError as exc:
            with pytest.raises(SystemExit):
                report_crash(exc)
        logs = list((tmp_path / "state").rglob("crash-*.log"))
        assert logs, "no crash log written"
        for log in logs:
            assert stat.S_IMODE(log.stat().st_mode) == 0o600
            assert_clean(f"the crash log (token from {next(iter(source))})", log.read_text())
            log.unlink()
        assert_clean(
            f"the crash message (token from {next(iter(source))})", capsys.readouterr().err
        )


# ---------------------------------------------------------------------- files


def test_secret_files_readable_by_others_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    token_file.chmod(0o644)
    monkeypatch.setenv("BENEFITS_API_TOKEN_FILE", str(token_file))
    with pytest.raises(ConfigError) as info:
        load_settings().token()
    assert "BENEFITS_API_TOKEN_FILE" in str(info.value) and "chmod 600" in str(info.value)
    assert_clean("the refusal", str(info.value))
    token_file.chmod(0o600)
    assert load_settings().token() == TOKEN

    monkeypatch.delenv("BENEFITS_API_TOKEN_FILE")
    config = tmp_path / "config.toml"
    config.write_text(f'api_token = "{TOKEN}"\n')
    config.chmod(0o640)
    monkeypatch.setenv("BENEFITS_TUI_CONFIG", str(config))
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "BENEFITS_TUI_CONFIG" in str(info.value) and "chmod 600" in str(info.value)
    assert_clean("the refusal", str(info.value))


# ------------------------------------------------------------------------ CLI


@pytest.mark.slow
def test_cli_output_never_holds_the_token(tmp_path: Path) -> None:
    """Failures included: a wrong token (401), an unreachable platform, bad files."""
    data = tmp_path / "data" / "nested"
    database = data / "hr.db"
    url = f"sqlite+aiosqlite:///{database}"
    server = start_simulator(fail_rate=0.2, seed=5)
    outputs: dict[str, str] = {}
    try:
        wrong = start_in_thread(SimulatorConfig(token="sk_live_the-right-one-0000"))  # answers 401
        try:
            good = cli_env(
                tmp_path,
                url,
                server.url,
                max_retry_seconds=0.3,
                backoff_base_seconds=0.05,
                backoff_max_seconds=0.1,
                request_timeout=2,
            )
            refused = dict(good, BENEFITS_API_URL=wrong.url)
            unreachable = dict(good, BENEFITS_API_URL=NO_PLATFORM)
            commands = [
                ("db upgrade", good, ["db", "upgrade"]),  # creates the nested folder 0700
                ("status", good, ["status"]),
                (
                    "employee add",
                    good,
                    [
                        "employee",
                        "add",
                        "--forenames",
                        "Ada",
                        "--surname",
                        "Lovelace",
                        "--email",
                        "ada@example.com",
                        "--title",
                        "Ms",
                        "--gender",
                        "F",
                        "--date-of-birth",
                        "1990-01-01",
                        "--annual-pay",
                        "40000",
                        "--pay-basis",
                        "Salary",
                        "--pay-frequency",
                        "Monthly",
                    ],
                ),
                (
                    "employee add 2",
                    good,
                    ["employee", "add", "--forenames", "Bob", "--surname", "NoEmail"],
                ),
                ("sync 401", refused, ["sync", "--all", "--yes"]),
                ("sync unreachable", unreachable, ["sync", "--all", "--yes"]),
                ("sync", good, ["sync", "--all", "--yes"]),
                ("worker 401", refused, ["worker", "--once"]),
                ("employee set", good, ["employee", "set", "E000001", "job_title=Engineer"]),
                ("worker unreachable", unreachable, ["worker", "--once"]),
                ("worker 401 again", refused, ["worker", "--once"]),
                ("history", good, ["history", "E000001"]),
                ("history json", good, ["history", "E000001", "--json"]),
                ("export", good, ["export", "--status", "all", "-"]),
                ("status json", good, ["status", "--json"]),
                (
                    "token in URL",
                    dict(good, BENEFITS_API_URL=f"http://user:{TOKEN}@127.0.0.1:9"),
                    ["sync", "--all", "--yes"],
                ),
            ]
            for name, env, args in commands:
                result = run_cli(args, env, timeout=60)
                outputs[name] = f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
                assert "Traceback" not in result.stderr, f"{name}: {result.stderr}"
        finally:
            wrong.stop()
    finally:
        server.stop()
    for name, text in outputs.items():
        assert_clean(f"the output of `benefits-tui {name}`", text)
    assert "401" in outputs["sync 401"] or "token" in outputs["sync 401"].lower(), outputs[
        "sync 401"
    ]
    # Unreachable: queued for a worker, said so (RULES §1.10; exit 1 as one failed pre-flight).
    assert "cannot be reached" in outputs["sync unreachable"], outputs["sync unreachable"]
    assert "E000001" in outputs["export"]
    assert_clean("the database", _database_bytes(database))
    for log in (tmp_path / "home").rglob("*.log"):
        assert_clean(f"log file {log}", log.read_text(errors="replace"))
    # The database (and the folder made for it) are private to their owner.
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for suffix in ("-wal", "-shm"):
        side = Path(str(database) + suffix)
        if side.exists():
            assert stat.S_IMODE(side.stat().st_mode) & 0o077 == 0, f"{side} is readable by others"


def test_cli_refuses_a_token_file_others_can_read(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    token_file.chmod(0o644)
    env = cli_env(tmp_path, new_sqlite_url(tmp_path), NO_PLATFORM)
    del env["BENEFITS_API_TOKEN"]
    env["BENEFITS_API_TOKEN_FILE"] = str(token_file)
    result = run_cli(["sync", "--all", "--yes"], env)
    assert result.returncode == 2
    assert "BENEFITS_API_TOKEN_FILE" in result.stderr and "chmod 600" in result.stderr
    assert_clean("the refusal", result.stdout + result.stderr)
    assert os.access(token_file, os.R_OK)
