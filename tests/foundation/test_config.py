"""Configuration: environment, TOML file, flags; one clear line for every mistake."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from benefits_tui.cli.main import cli
from benefits_tui.config import ConfigError, Role, Settings, SyncSettings, load_settings


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


# Precedence, layer by layer (RULES §4): flag > environment > file > default, for a top-level
# setting and for one in the [sync] table alike.
PRECEDENCE_CASES = [
    # (setting path, environment variable, TOML text, flag overrides, values per layer)
    pytest.param(
        ("user",),
        "BENEFITS_TUI_USER",
        'user = "from-file"\n',
        {"user": "from-flag"},
        ("from-file", "from-env", "from-flag"),
        id="user",
    ),
    pytest.param(
        ("api_url",),
        "BENEFITS_API_URL",
        'api_url = "https://file.example"\n',
        {"api_url": "https://flag.example"},
        ("https://file.example", "https://env.example", "https://flag.example"),
        id="api_url",
    ),
    pytest.param(
        ("sync", "concurrency"),
        "BENEFITS_TUI_SYNC_CONCURRENCY",
        "[sync]\nconcurrency = 3\n",
        {"sync": {"concurrency": 21}},
        (3, 5, 21),
        id="sync.concurrency",
    ),
    pytest.param(
        ("sync", "max_hold_seconds"),
        "BENEFITS_TUI_SYNC_MAX_HOLD_SECONDS",
        "[sync]\nmax_hold_seconds = 4\n",
        {"sync": {"max_hold_seconds": 9}},
        (4, 6, 9),
        id="sync.max_hold_seconds",
    ),
]
ENV_VALUES = {
    "BENEFITS_TUI_USER": "from-env",
    "BENEFITS_API_URL": "https://env.example",
    "BENEFITS_TUI_SYNC_CONCURRENCY": "5",
    "BENEFITS_TUI_SYNC_MAX_HOLD_SECONDS": "6",
}


def _value(settings: object, path: tuple[str, ...]) -> object:
    for name in path:
        settings = getattr(settings, name)
    return settings


@pytest.mark.parametrize(("path", "env", "toml", "flags", "expected"), PRECEDENCE_CASES)
def test_each_layer_beats_the_one_below(
    path: tuple[str, ...],
    env: str,
    toml: str,
    flags: dict[str, object],
    expected: tuple[object, object, object],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from_file, from_env, from_flag = expected
    default = _value(load_settings(), path)
    assert default not in expected
    config = tmp_path / "benefits.toml"
    config.write_text(toml)
    monkeypatch.setenv("BENEFITS_TUI_CONFIG", str(config))
    assert _value(load_settings(), path) == from_file  # file > default
    monkeypatch.setenv(env, ENV_VALUES[env])
    assert _value(load_settings(), path) == from_env  # environment > file
    assert _value(load_settings(**flags), path) == from_flag  # flag > environment
    monkeypatch.setenv(env, "")  # set but empty: as if unset
    assert _value(load_settings(), path) == from_file


def test_environment_beats_the_sync_table_setting_by_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reported bug: the file's [sync] table used to win over BENEFITS_TUI_SYNC_*."""
    config = tmp_path / "benefits.toml"
    config.write_text("[sync]\nconcurrency = 3\nrate_limit = 20\n")
    monkeypatch.setenv("BENEFITS_TUI_CONFIG", str(config))
    monkeypatch.setenv("BENEFITS_TUI_SYNC_CONCURRENCY", "12")
    settings = load_settings()
    assert settings.sync.concurrency == 12  # from the environment
    assert settings.sync.rate_limit == 20  # the rest of the table still applies
    assert settings.sync.max_hold_seconds == 900  # and defaults fill the gaps


def test_a_wrong_value_in_the_sync_table_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENEFITS_TUI_SYNC_CONCURRENCY", "lots")
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert error.value.setting == "sync.concurrency"


# `benefits-tui config` ----------------------------------------------------------------------


def _config_env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "benefits.toml"
    config.write_text('user = "file-user"\n[sync]\nconcurrency = 3\nmax_hold_seconds = 4\n')
    return {
        "BENEFITS_TUI_CONFIG": str(config),
        "BENEFITS_TUI_SYNC_CONCURRENCY": "5",
        "BENEFITS_API_TOKEN": "sk_live_NEVER-PRINTED",
    }


def test_config_json_names_every_setting_and_its_source(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--api-url", "https://flag.example", "config", "--json"], env=_config_env(tmp_path)
    )
    assert result.exit_code == 0, result.output
    assert "sk_live_NEVER-PRINTED" not in result.output
    shown = json.loads(result.output)
    assert shown["api_url"] == {
        "value": "https://flag.example",
        "source": "flag",
        "env": "BENEFITS_API_URL",
    }
    assert shown["sync.concurrency"]["value"] == 5
    assert shown["sync.concurrency"]["source"] == "environment"
    assert shown["sync.concurrency"]["env"] == "BENEFITS_TUI_SYNC_CONCURRENCY"
    assert shown["sync.max_hold_seconds"] == {
        "value": 4,
        "source": "file",
        "env": "BENEFITS_TUI_SYNC_MAX_HOLD_SECONDS",
    }
    assert shown["user"]["value"] == "file-user" and shown["user"]["source"] == "file"
    assert shown["sync.lease_seconds"]["source"] == "default"
    assert shown["api_token"] == {
        "value": None,
        "source": "environment",
        "env": "BENEFITS_API_TOKEN",
        "set": True,
    }
    assert shown["config_file"]["source"] == "environment"
    # Every field of the settings (and of each table) is listed: new settings need no wiring.
    expected = {name for name, field in Settings.model_fields.items() if name != "sync"} | {
        f"sync.{name}" for name in SyncSettings.model_fields
    }
    assert expected | {"config_file"} == set(shown)


def test_config_text_says_set_or_not_set_for_the_token(tmp_path: Path) -> None:
    env = _config_env(tmp_path)
    result = CliRunner().invoke(cli, ["config"], env=env)
    assert result.exit_code == 0, result.output
    assert "sk_live_NEVER-PRINTED" not in result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert lines["api_token"].split()[1:] == ["set", "(environment:", "BENEFITS_API_TOKEN)"]
    assert lines["sync.concurrency"].split()[1:] == [
        "5",
        "(environment:",
        "BENEFITS_TUI_SYNC_CONCURRENCY)",
    ]
    assert lines["sync.max_hold_seconds"].split()[1:] == ["4.0", "(file)"]
    del env["BENEFITS_API_TOKEN"]
    result = CliRunner().invoke(cli, ["config"], env=env)
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert lines["api_token"].split()[1:] == ["not", "set", "(default)"]


def test_config_with_a_wrong_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["config"], env={"BENEFITS_TUI_SYNC_CONCURRENCY": "0"})
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "sync.concurrency" in result.output
