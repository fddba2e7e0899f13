"""The last line of defence: an unexpected error is one line on screen and a log file."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import traceback
from pathlib import Path

import platformdirs

from benefits_tui.config import load_settings
from benefits_tui.config_quick import APP_NAME
from benefits_tui.domain.errors import one_line
from benefits_tui.domain.safe_text import visible


def _tokens() -> set[str]:
    """The API token from wherever it is configured: the environment, the token file, the
    config file (the crash may have happened before or while the settings were read)."""
    tokens = {os.environ.get("BENEFITS_API_TOKEN", "").strip()}
    with contextlib.suppress(Exception):  # a broken configuration must not hide the crash
        tokens.add(load_settings().token())
    return {
        token for token in tokens if len(token) >= 6
    }  # as the client: a few characters cannot be hidden usefully


def _scrub(text: str) -> str:
    """Remove the API token from text bound for a file or the screen (it must never be written)."""
    for token in _tokens():
        text = text.replace(token, "***")
    return text


def report_crash(exc: BaseException) -> None:
    log_dir = Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    path = log_dir / f"crash-{dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
    where = ""
    try:
        log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(_scrub("".join(traceback.format_exception(exc))))
        where = f" (details in {path})"
    except OSError:
        pass
    message = visible(_scrub(one_line(exc)))
    print(
        f"benefits-tui: unexpected error: {type(exc).__name__}: {message[:300]}{where}",
        file=sys.stderr,
    )
    sys.exit(70)
