"""Configuration: environment variables, an optional TOML file, and command-line overrides.

Precedence (highest first) for every setting, nested tables included: flags passed to
:func:`load_settings`, environment variables, the TOML file named by ``BENEFITS_TUI_CONFIG``,
defaults (RULES §4). pydantic-settings' own sources keep that order (see
:meth:`Settings.settings_customise_sources`), and :func:`explain_settings` asks the same sources
where each effective value came from. Every problem becomes a :class:`ConfigError` naming the
setting to fix, which the CLI prints as one line.

A new setting is a field: on :class:`Settings` (its environment variable is its
``validation_alias``, else ``BENEFITS_TUI_<NAME>``) or on a nested table such as
:class:`SyncSettings` (``BENEFITS_TUI_<TABLE>_<NAME>``, ``[table]`` in the file).
"""

from __future__ import annotations

import os
import stat
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from benefits_tui.config_quick import (
    CONFIG_ENV,
    DEFAULT_MAX_HOLD_SECONDS,
    DEFAULT_STUCK_AFTER_MINUTES,
    _os_login,
    check_database_url,
    default_database_url,
)
from benefits_tui.config_quick import Role as Role  # noqa: PLC0414 - re-exported, defined there
from benefits_tui.domain.errors import EXIT_USAGE, BenefitsError

ENV_PREFIX = "BENEFITS_TUI_"  # of every setting without an environment name of its own


class ConfigError(BenefitsError):
    """A setting is missing or wrong; ``str()`` is one line that names what to set."""

    exit_code = EXIT_USAGE

    def __init__(self, setting: str, problem: str) -> None:
        self.setting = setting
        self.problem = problem
        super().__init__(f"{setting}: {problem}")


class SyncSettings(BaseModel):
    """Tuning of the sync engine: the ``[sync]`` table, ``BENEFITS_TUI_SYNC_<NAME>``.

    A plain model, read by :class:`Settings`' sources: as a settings class of its own it would
    read the environment itself, under whatever the file's table passed in (the file won).
    """

    model_config = ConfigDict(extra="ignore")

    concurrency: int = Field(default=8, ge=1, le=256)
    # Transient trouble (429s included) is retried until this much time has passed; no
    # attempt counter can fail a record during a shorter outage (RULES §1.3).
    max_retry_seconds: float = Field(default=3600.0, gt=0)
    # No Retry-After holds the integration back for longer than this (RULES §1.13).
    max_hold_seconds: float = Field(default=DEFAULT_MAX_HOLD_SECONDS, gt=0)
    # An asynchronous platform job not finished within this ends the attempt (RULES §1.13).
    job_timeout_seconds: float = Field(default=1800.0, gt=0)
    backoff_base_seconds: float = Field(default=2.0, gt=0)
    backoff_max_seconds: float = Field(default=300.0, gt=0)
    rate_limit: float = Field(default=0.0, ge=0, description="client-side requests/s, 0 = none")
    request_timeout: float = Field(default=10.0, gt=0)
    lease_seconds: float = Field(default=60.0, gt=1)
    job_poll_seconds: float = Field(default=0.5, gt=0)
    stuck_after_minutes: float = Field(default=DEFAULT_STUCK_AFTER_MINUTES, gt=0)


class Settings(BaseSettings):
    """Every setting of the product (RULES §4)."""

    model_config = SettingsConfigDict(
        extra="ignore",
        populate_by_name=True,  # flags and the file name settings by field name
        env_prefix=ENV_PREFIX,
        # BENEFITS_TUI_SYNC_MAX_HOLD_SECONDS is [sync] max_hold_seconds: split once after the table.
        env_nested_delimiter="_",
        env_nested_max_split=1,
        env_ignore_empty=True,  # VAR= is not set, as for every other tool
    )

    # The validation alias is the setting's environment variable (only that one: the field
    # name is for flags and the file).
    database_url: str = Field(
        default_factory=default_database_url, validation_alias="BENEFITS_TUI_DATABASE_URL"
    )
    api_url: str | None = Field(default=None, validation_alias="BENEFITS_API_URL")
    api_token: SecretStr | None = Field(default=None, validation_alias="BENEFITS_API_TOKEN")
    api_token_file: Path | None = Field(default=None, validation_alias="BENEFITS_API_TOKEN_FILE")
    user: str = Field(default_factory=_os_login, validation_alias="BENEFITS_TUI_USER")
    default_role: Role = Role.HR
    roles: dict[str, Role] = Field(default_factory=dict)
    sync: SyncSettings = Field(default_factory=SyncSettings)

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return check_database_url(value)

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
        """Flags, then the environment, then the file; defaults fill what none of them set."""
        return tuple(source for _, source in _layers(settings_cls, init_settings))

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


Origin = Literal["flag", "environment", "file", "default"]


def config_file() -> Path | None:
    """The TOML file named by ``BENEFITS_TUI_CONFIG``, if any."""
    named = os.environ.get(CONFIG_ENV, "").strip()
    return Path(named).expanduser() if named else None


def _layers(
    settings_cls: type[BaseSettings], flags: PydanticBaseSettingsSource
) -> tuple[tuple[Origin, PydanticBaseSettingsSource], ...]:
    """The sources of settings, highest precedence first, each with the origin it stands for."""
    return (
        ("flag", flags),
        ("environment", EnvSettingsSource(settings_cls)),
        ("file", TomlConfigSettingsSource(settings_cls, toml_file=config_file())),
    )


def _flags(overrides: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in overrides.items() if value is not None}


def _setting_name(loc: tuple[int | str, ...]) -> str:
    """What to tell a person to fix: a field's environment variable, else its dotted path."""
    head = str(loc[0]) if loc else ""
    field = Settings.model_fields.get(head)
    if field is None:  # the sources key a field by its alias
        field = next((f for f in Settings.model_fields.values() if head in _alias_names(f)), None)
    if field is not None and isinstance(field.validation_alias, str):
        return field.validation_alias
    return ".".join(str(part) for part in loc) or "configuration"


def load_settings(**overrides: Any) -> Settings:
    """Build :class:`Settings`; ``overrides`` are command-line flags (``None`` = not given)."""
    path = config_file()
    if path is not None:
        _read_toml(path)  # a missing, unreadable, invalid or too open file is one clear line
    try:
        return Settings(**_flags(overrides))
    except ValidationError as exc:
        error = exc.errors()[0]
        message = error["msg"].removeprefix("Value error, ")
        raise ConfigError(_setting_name(error["loc"]), message) from None


# ------------------------------------------------------------------ where each value came from


class EffectiveSetting(BaseModel):
    """One setting as in effect, and the layer that gave it (``benefits-tui config``)."""

    model_config = ConfigDict(frozen=True)

    name: str  # dotted for a table: ``sync.concurrency``
    value: Any  # JSON-ready; None for a secret, whatever it holds
    origin: Origin
    env: str | None  # the environment variable that sets it
    secret: bool = False

    @property
    def is_set(self) -> bool:
        """A secret was given somewhere (its value is never shown)."""
        return self.origin != "default"


def _alias_names(field: FieldInfo) -> tuple[str, ...]:
    alias = field.validation_alias
    if isinstance(alias, str):
        return (alias,)
    if isinstance(alias, AliasChoices):
        return tuple(choice for choice in alias.choices if isinstance(choice, str))
    return ()


def _is_secret(field: FieldInfo) -> bool:
    annotation = field.annotation
    return annotation is SecretStr or SecretStr in get_args(annotation)


def _shown(value: Any) -> Any:
    """``value`` as JSON would hold it (paths and enums as strings)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(key): _shown(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_shown(item) for item in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value.value if isinstance(value, StrEnum) else value
    return str(value)


_MISSING = object()


def _walk(
    model: BaseModel,
    layers: list[tuple[Origin, Any]],
    path: tuple[str, ...],
    env_prefix: str,
) -> list[EffectiveSetting]:
    found: list[EffectiveSetting] = []
    for name, field in type(model).model_fields.items():
        keys = (name, *_alias_names(field))
        given = [
            (origin, next((data[key] for key in keys if key in data), _MISSING))
            for origin, data in layers
            if isinstance(data, dict)
        ]
        given = [(origin, value) for origin, value in given if value is not _MISSING]
        value = getattr(model, name)
        env = _alias_names(field)[0] if _alias_names(field) else f"{env_prefix}{name}".upper()
        if isinstance(value, BaseModel):  # a table: one entry per setting in it
            found += _walk(value, given, (*path, name), f"{env}_")
            continue
        secret = _is_secret(field)
        found.append(
            EffectiveSetting(
                name=".".join((*path, name)),
                value=None if secret else _shown(value),
                origin=given[0][0] if given else "default",
                env=env,
                secret=secret,
            )
        )
    return found


def explain_settings(**overrides: Any) -> list[EffectiveSetting]:
    """Every effective setting and where it came from (flag, environment, file, default).

    Raises :class:`ConfigError` as :func:`load_settings` does. Secrets are reported as set or
    not, never with their value.
    """
    settings = load_settings(**overrides)
    flags = InitSettingsSource(Settings, init_kwargs=_flags(overrides))
    layers: list[tuple[Origin, Any]] = [
        (origin, source()) for origin, source in _layers(Settings, flags)
    ]
    path = config_file()
    return [
        EffectiveSetting(
            name="config_file",
            value=str(path) if path else None,
            origin="environment" if path else "default",
            env=CONFIG_ENV,
        ),
        *_walk(settings, layers, (), ENV_PREFIX),
    ]
