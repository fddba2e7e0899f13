"""Configuration: environment, TOML file, flags; one clear line for every mistake."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from benefits_tui.cli.main import cli
from benefits_tui.config import ConfigError, Role, load_settings


def test_defaults_use_a_sqlite_file_in_the_user_data_dir() -> None:
    settings = load_settings()
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.database_url.endswith("benefits.db")
    assert settings.user


def test_environment_beats_file_and_flags_beat_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "benefits.toml"
    config.write_text(
        'database_url = "sqlite+aiosqlite:///from-file.db"\nuser = "file-user"\n'
        'default_role = "read_only"\n[roles]\nalice = "admin"\n[sync]\nconcurrency = 3\n'
    )
    monkeypatch.setenv("BENEFITS_TUI_CONFIG", str(config))
    monkeypatch.setenv("BENEFITS_TUI_USER", "env-user")
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///from-file.db"
    assert settings.user == "env-user" and settings.role is Role.READ_ONLY
    assert settings.role_of("alice") is Role.ADMIN
    assert settings.sync.concurrency == 3
    assert load_settings(user="flag-user").user == "flag-user"


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"BENEFITS_TUI_DATABASE_URL": "mysql://x"}, "BENEFITS_TUI_DATABASE_URL"),
        ({"BENEFITS_API_URL": "ftp://x"}, "BENEFITS_API_URL"),
        ({"BENEFITS_TUI_CONFIG": "/nonexistent/benefits.toml"}, "BENEFITS_TUI_CONFIG"),
    ],
)
def test_a_wrong_setting_names_the_setting(
    env: dict[str, str], setting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert error.value.setting == setting
    assert "\n" not in str(error.value)


def test_missing_token_names_what_to_set() -> None:
    with pytest.raises(ConfigError, match="BENEFITS_API_TOKEN"):
        load_settings().token()


def test_token_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("sk_live_secret\n")
    os.chmod(token, 0o644)
    with pytest.raises(ConfigError, match="chmod 600") as error:
        load_settings(api_token_file=str(token)).token()
    assert "sk_live_secret" not in str(error.value)
    os.chmod(token, 0o600)
    assert load_settings(api_token_file=str(token)).token() == "sk_live_secret"


def test_config_file_with_a_token_must_be_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "benefits.toml"
    config.write_text('api_token = "sk_live_secret"\n')
    os.chmod(config, 0o644)
    monkeypatch.setenv("BENEFITS_TUI_CONFIG", str(config))
    with pytest.raises(ConfigError, match="BENEFITS_TUI_CONFIG"):
        load_settings()


@pytest.mark.parametrize(
    "url",
    ["mysql://localhost/x", "postgresql+asyncpg://nobody@127.0.0.1:1/none", "not a url"],
)
def test_bad_database_url_is_one_line_and_exit_2(url: str) -> None:
    result = CliRunner().invoke(cli, ["status"], env={"BENEFITS_TUI_DATABASE_URL": url})
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "BENEFITS_TUI_DATABASE_URL" in lines[0]
    assert "Traceback" not in result.output


def test_sqlite_database_file_is_private(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'new' / 'hr.db'}"
    result = CliRunner().invoke(cli, ["db", "upgrade"], env={"BENEFITS_TUI_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new" / "hr.db").stat().st_mode & 0o777 == 0o600
