"""Configuration: environment variables, an optional TOML file, and command-line overrides.

Precedence (highest first): flags passed to :func:`load_settings`, environment variables,
the TOML file named by ``BENEFITS_TUI_CONFIG``, defaults. Every problem becomes a
:class:`ConfigError` naming the setting to fix, which the CLI prints as one line.
"""

from __future__ import annotations

import getpass
import os
import stat
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

APP_NAME = "benefits-tui"


class ConfigError(Exception):
    """A setting is missing or wrong; ``str()`` is one line that names what to set."""

    def __init__(self, setting: str, problem: str) -> None:
        self.setting = setting
        self.problem = problem
        super().__init__(f"{setting}: {problem}")


class Role(StrEnum):
    """What a user may do (SPEC 1.10)."""

    READ_ONLY = "read_only"
    HR = "hr"
    ADMIN = "admin"


def default_database_url() -> str:
    """A SQLite file in the user's data directory."""
    data_dir = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return f"sqlite+aiosqlite:///{data_dir / 'benefits.db'}"


def _os_login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError, ImportError):  # no login name (no passwd entry, no pwd module)
        return "unknown"


class SyncSettings(BaseSettings):
    """Tuning of the sync engine."""

    model_config = SettingsConfigDict(env_prefix="BENEFITS_TUI_SYNC_", extra="ignore")

    concurrency: int = Field(default=8, ge=1, le=256)
    # Transient trouble (429s included) is retried until this much time has passed; no
    # attempt counter can fail a record during a shorter outage (SPEC 1.3).
    max_retry_seconds: float = Field(default=3600.0, gt=0)
    # No Retry-After holds the integration back for longer than this (SPEC 1.13).
    max_hold_seconds: float = Field(default=900.0, gt=0)
    # An asynchronous platform job not finished within this ends the attempt (SPEC 1.13).
    job_timeout_seconds: float = Field(default=1800.0, gt=0)
    backoff_base_seconds: float = Field(default=2.0, gt=0)
    backoff_max_seconds: float = Field(default=300.0, gt=0)
    rate_limit: float = Field(default=0.0, ge=0, description="client-side requests/s, 0 = none")
    request_timeout: float = Field(default=10.0, gt=0)
    lease_seconds: float = Field(default=60.0, gt=1)
    job_poll_seconds: float = Field(default=0.5, gt=0)
    stuck_after_minutes: float = Field(default=15.0, gt=0)


class Settings(BaseSettings):
    """Every setting of the product (SPEC 4)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: str = Field(
        default_factory=default_database_url,
        validation_alias=AliasChoices("BENEFITS_TUI_DATABASE_URL", "database_url"),
    )
    api_url: str | None = Field(
        default=None, validation_alias=AliasChoices("BENEFITS_API_URL", "api_url")
    )
    api_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("BENEFITS_API_TOKEN", "api_token")
    )
    api_token_file: Path | None = Field(
        default=None, validation_alias=AliasChoices("BENEFITS_API_TOKEN_FILE", "api_token_file")
    )
    user: str = Field(
        default_factory=_os_login, validation_alias=AliasChoices("BENEFITS_TUI_USER", "user")
    )
    default_role: Role = Role.HR
    roles: dict[str, Role] = Field(default_factory=dict)
    sync: SyncSettings = Field(default_factory=SyncSettings)

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        value = value.strip()
        if value.startswith(("postgresql://", "postgres://")):
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            value = "sqlite+aiosqlite:///" + value[len("sqlite:///") :]
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:/// or postgresql+asyncpg:// "
                f"(got {value.split('://', 1)[0] or 'nothing'!r})"
            )
        return value

    @field_validator("api_url")
    @classmethod
    def _check_api_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def role_of(self, user: str | None = None) -> Role:
        """The role of ``user`` (default: the acting user)."""
        return self.roles.get(user or self.user, self.default_role)

    @property
    def role(self) -> Role:
        return self.role_of(self.user)

    def token(self) -> str:
        """The API token, read from the environment or the token file; never logged."""
        if self.api_token is not None and self.api_token.get_secret_value().strip():
            return self.api_token.get_secret_value().strip()
        if self.api_token_file is not None:
            path = Path(self.api_token_file).expanduser()
            check_private_file(path, "BENEFITS_API_TOKEN_FILE")
            try:
                text = path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    "BENEFITS_API_TOKEN_FILE", f"cannot read {path}: {exc.strerror}"
                ) from None
            if not text:
                raise ConfigError("BENEFITS_API_TOKEN_FILE", f"{path} is empty")
            return text
        raise ConfigError(
            "BENEFITS_API_TOKEN", "not set (set BENEFITS_API_TOKEN or BENEFITS_API_TOKEN_FILE)"
        )

    def require_api_url(self) -> str:
        if not self.api_url:
            raise ConfigError("BENEFITS_API_URL", "not set (the Benefits platform's base URL)")
        return self.api_url


def check_private_file(path: Path, setting: str) -> None:
    """Refuse a secret-bearing file that other users can read (like OpenSSH's StrictModes)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(setting, f"{path} does not exist") from None
    except OSError as exc:
        raise ConfigError(setting, f"cannot read {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(setting, f"{path} is accessible by other users; run: chmod 600 {path}")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError("BENEFITS_TUI_CONFIG", f"{path} does not exist") from None
    except OSError as exc:
        raise ConfigError("BENEFITS_TUI_CONFIG", f"cannot read {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError("BENEFITS_TUI_CONFIG", f"{path} is not valid TOML: {exc}") from None
    if "api_token" in data:
        check_private_file(path, "BENEFITS_TUI_CONFIG")
    return data


_SETTING_NAMES = {
    "database_url": "BENEFITS_TUI_DATABASE_URL",
    "api_url": "BENEFITS_API_URL",
    "api_token": "BENEFITS_API_TOKEN",
    "api_token_file": "BENEFITS_API_TOKEN_FILE",
    "user": "BENEFITS_TUI_USER",
}


def load_settings(**overrides: Any) -> Settings:
    """Build :class:`Settings`; ``overrides`` are command-line flags (``None`` = not given)."""
    file_values: dict[str, Any] = {}
    config_path = os.environ.get("BENEFITS_TUI_CONFIG")
    if config_path:
        file_values = _read_toml(Path(config_path).expanduser())
    flags = {key: value for key, value in overrides.items() if value is not None}
    try:
        # Environment beats the file; flags beat both. pydantic-settings gives init
        # values priority, so merge file < env by letting env sources fill gaps.
        env_settings = Settings.model_validate({})  # defaults + environment
        explicit_env = {
            name for name, env in _SETTING_NAMES.items() if os.environ.get(env) not in (None, "")
        }
        merged: dict[str, Any] = {}
        for key, value in file_values.items():
            if key not in explicit_env:
                merged[key] = value
        for key in explicit_env:
            merged[key] = getattr(env_settings, key)
        if isinstance(merged.get("api_token"), SecretStr):
            merged["api_token"] = merged["api_token"].get_secret_value()
        if "sync" in merged and isinstance(merged["sync"], dict):
            merged["sync"] = SyncSettings(**merged["sync"])
        merged.update(flags)
        return Settings(**merged)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "configuration"
        setting = _SETTING_NAMES.get(field.split(".")[0], field)
        message = error["msg"].removeprefix("Value error, ")
        raise ConfigError(setting, message) from None
