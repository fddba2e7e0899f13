"""The few settings a quick command reads, without pydantic (RULES §4, §5).

``status`` needs the database URL, the stuck threshold and the cap of a hold; importing
pydantic-settings to read them costs more than the whole answer. :func:`quick_settings`
reads those with the same precedence as :func:`benefits_tui.config.load_settings` (flag,
environment, file, default) and gives up (None) on anything it is not sure of, so that the
full loader reads and reports it: a value that does not parse, a file that cannot be read
or is too open.
"""

from __future__ import annotations

import getpass
import os
import re
import stat
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

APP_NAME = "benefits-tui"
CONFIG_ENV = "BENEFITS_TUI_CONFIG"
DATABASE_URL_ENV = "BENEFITS_TUI_DATABASE_URL"
STUCK_ENV = "BENEFITS_TUI_SYNC_STUCK_AFTER_MINUTES"
MAX_HOLD_ENV = "BENEFITS_TUI_SYNC_MAX_HOLD_SECONDS"
SYNC_TABLE_ENV = "BENEFITS_TUI_SYNC"  # the whole [sync] table as JSON: the full loader's job
# The defaults of SyncSettings, which takes them from here.
DEFAULT_STUCK_AFTER_MINUTES = 15.0
DEFAULT_MAX_HOLD_SECONDS = 900.0
_PLAIN_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?")


class Role(StrEnum):
    """What a user may do (RULES §1.10)."""

    READ_ONLY = "read_only"
    HR = "hr"
    ADMIN = "admin"
    WORKER = "worker"


def _os_login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError, ImportError):  # no login name (no passwd entry, no pwd module)
        return "unknown"


def default_database_url() -> str:
    """A SQLite file in the user's data directory."""
    import platformdirs

    data_dir = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return f"sqlite+aiosqlite:///{data_dir / 'benefits.db'}"


def check_database_url(value: str) -> str:
    """The URL in its canonical form (driver named); ValueError says what is wrong."""
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


@dataclass(frozen=True, slots=True)
class QuickSettings:
    database_url: str
    stuck_after_minutes: float = DEFAULT_STUCK_AFTER_MINUTES
    max_hold_seconds: float = DEFAULT_MAX_HOLD_SECONDS


def _environment() -> dict[str, str] | None:
    """The product's variables by upper-case name (pydantic-settings ignores case), set and
    not empty; None when two spellings of one name are set."""
    found: dict[str, str] = {}
    for name, value in os.environ.items():
        upper = name.upper()
        if not upper.startswith("BENEFITS_") or not value:
            continue
        if upper in found:
            return None
        found[upper] = value
    return found


def _file() -> dict[str, Any] | None:
    """The config file's contents ({} when none is named); None when the full loader must
    judge it (missing, unreadable, not TOML, a token in a file others can read)."""
    named = os.environ.get(CONFIG_ENV, "").strip()
    if not named:
        return {}
    import tomllib  # only when a file is named (RULES §5: 2 ms of every start otherwise)

    path = Path(named).expanduser()
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
        if "api_token" in data and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            return None
    except (OSError, ValueError):  # TOMLDecodeError and UnicodeDecodeError are ValueErrors
        return None
    return data


def quick_settings(flags: dict[str, Any]) -> QuickSettings | None:
    """What ``status`` reads, or None: let the full loader read the settings."""
    env = _environment()
    file = _file()
    if env is None or file is None or SYNC_TABLE_ENV in env:
        return None
    table = file.get("sync", {})
    if not isinstance(table, dict):
        return None
    url: object = _first(flags.get("database_url"), env.get(DATABASE_URL_ENV))
    url = _first(url, file.get("database_url")) or default_database_url()
    stuck = _first(env.get(STUCK_ENV), table.get("stuck_after_minutes"))
    cap = _first(env.get(MAX_HOLD_ENV), table.get("max_hold_seconds"))
    if not isinstance(url, str):
        return None
    try:
        return QuickSettings(
            check_database_url(url),
            DEFAULT_STUCK_AFTER_MINUTES if stuck is None else _positive(stuck),
            DEFAULT_MAX_HOLD_SECONDS if cap is None else _positive(cap),
        )
    except ValueError:
        return None


def _first(*values: object) -> object:
    """The first value given (None: not given at this layer)."""
    return next((value for value in values if value is not None), None)


def _positive(value: object) -> float:
    """A plain positive number (anything fancier is left to pydantic's judgement)."""
    if isinstance(value, str) and _PLAIN_NUMBER.fullmatch(value):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("not a plain number")
    if not 0 < value < float("inf"):
        raise ValueError("not a positive number")
    return float(value)


USER_ENV = "BENEFITS_TUI_USER"
_ROLE_ENV = ("BENEFITS_TUI_ROLES", "BENEFITS_TUI_DEFAULT_ROLE")  # (and nested forms)


def quick_identity(flags: dict[str, Any]) -> tuple[str, Role] | None:
    """The acting user and their role on SQLite (``Settings.user`` and ``Settings.role``), or
    None when the full loader must judge them: set in the environment in any way other than
    a plain ``BENEFITS_TUI_USER``, or in the file as anything but plain names and roles."""
    env = _environment()
    file = _file()
    if env is None or file is None:
        return None
    if any(name.startswith((*_ROLE_ENV, USER_ENV)) and name != USER_ENV for name in env):
        return None  # roles set in the environment, or the user in any but the plain form
    user = _first(flags.get("user"), env.get(USER_ENV), file.get("user"))
    if user is None:
        user = _os_login()
    default = file.get("default_role", Role.HR.value)
    roles = file.get("roles", {})
    if not isinstance(user, str) or not isinstance(roles, dict):
        return None
    known = {role.value for role in Role}
    if any(not isinstance(r, str) or r not in known for r in (default, *roles.values())):
        return None
    return user, Role(roles.get(user, default))
