"""Crash points for reliability tests: kill this process at a named step of the sync.

Set ``BENEFITS_TUI_CRASH_AT`` to a comma-separated list of point names (and optionally
``BENEFITS_TUI_CRASH_AFTER=N`` to let N passes go by first). Unset in normal use: then
:func:`crashpoint` is a dictionary look-up and nothing else.
"""

from __future__ import annotations

import itertools
import os
import signal

POINTS = ("after_claim", "after_create_sent", "after_accepted", "before_success")

_armed = {
    name.strip() for name in os.environ.get("BENEFITS_TUI_CRASH_AT", "").split(",") if name.strip()
}
_passes_allowed = int(os.environ.get("BENEFITS_TUI_CRASH_AFTER", "0") or 0)
_passes = itertools.count()  # passes through an armed point so far


def crashpoint(name: str) -> None:
    """SIGKILL this process here if the test armed point ``name``."""
    if name not in _armed:
        return
    if next(_passes) < _passes_allowed:
        return
    os.kill(os.getpid(), signal.SIGKILL)
